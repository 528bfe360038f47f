"""The needs and consultation pages: a community's needs with their lifecycle, raising and deciding needs,
planning and running a consultation meeting with its ballot and published result, and the prioritised
needs feeding the street's home page, the call page and the application's linked needs.

Every write goes through the services: a refusal is a message with 400 or 403 and leaves every domain
table as it was; a community the user has no relation to is a 404, with its needs and meetings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.applications import services as application_services
from grassroots.applications.models import Application
from grassroots.core.models import AuditEvent
from grassroots.funding.models import Call, ServiceCategory
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need, Participant, Vote
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Organization, Person
from grassroots.review import services as review_services
from grassroots.review.models import Review
from tests.world import fingerprint

from .conftest import WebWorld

pytestmark = pytest.mark.django_db

#: Every role of the web world, plus the residents this module adds (key → login name).
EXTRA = {"resident_b": "web_res_c1_b", "resident_c": "web_res_c1_c", "other_resident": "web_res_c2"}
#: The roles of the permission matrix.
MATRIX = ["resident", "other_resident", "cw1", "cw2", "street", "mgr_a"]
EVERYONE = [*MATRIX, "staff", "dept", "mgr_b", "sw_a", "evaluator", "expert", "nobody", "resident_b"]
#: Who sees community 1 (东湖社区): its residents and worker, the street and department officers above it,
#: every agency's staff, the platform staff.
SEES_C1 = {"resident", "resident_b", "cw1", "street", "dept", "mgr_a", "mgr_b", "sw_a", "staff"}


@pytest.fixture(scope="module")
def place(web_module_world: WebWorld, django_db_blocker: Any) -> dict[str, int]:
    """Built once for the module inside the web world's transaction: two more residents of community 1 and
    one of community 2, two needs of community 1 (one raised by a resident), and a planned meeting on them."""
    web = web_module_world
    with django_db_blocker.unblock():
        c1 = Organization.objects.get(name="东湖社区")
        c2 = Organization.objects.get(name="西园社区")
        cw1, cw2 = web.user("cw1"), web.user("cw2")
        for username, name, community, worker in [
            ("web_res_c1_b", "孙大爷", c1, cw1),
            ("web_res_c1_c", "周阿婆", c1, cw1),
            ("web_res_c2", "吴阿姨", c2, cw2),
        ]:
            person = org_services.add_person(worker, name=name, username=username, home_community=community)
            org_services.add_membership(worker, person=person, organization=community, role="resident")
        elderly = ServiceCategory.objects.get(code="elderly")
        lighting = needs_services.raise_need(
            web.user("resident"),
            community=c1,
            title="楼道照明改造",
            title_en="Stairwell lighting",
            category=elderly,
            raised_on=date(2025, 2, 1),
            people_affected=60,
            location="3号楼",
        )
        canteen = needs_services.raise_need(
            cw1, community=c1, title="社区长者食堂", category=elderly, raised_on=date(2025, 2, 2), people_affected=120
        )
        residents = list(Person.objects.filter(home_community=c1).order_by("pk"))
        meeting = needs_services.plan_meeting(
            cw1,
            community=c1,
            title="东湖社区居民议事会",
            held_on=date(2025, 2, 20),
            agenda=[lighting, canteen],
            participants=[(p, "resident") for p in residents],
            quorum=2,
            priorities=1,
            approvals=1,
        )
        return {
            "c1": c1.pk,
            "c2": c2.pk,
            "lighting": lighting.pk,
            "canteen": canteen.pk,
            "visits": Need.objects.get(title="独居老人探访").pk,
            "c2_need": Need.objects.get(title="儿童课后托管").pk,
            "meeting": meeting.pk,
            "elderly": elderly.pk,
        }


_clients: dict[str, Client] = {}


@pytest.fixture(autouse=True)
def browsers(web: WebWorld, place: dict[str, int]) -> Iterator[None]:
    """Everyone logged in (in English) before the test starts, since logging in writes the login's time."""
    for who in [*EVERYONE, *EXTRA]:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(web.user(who) if who in web.users else Person.objects.get(user__username=EXTRA[who]).user)
        _clients[who] = client
    yield
    _clients.clear()


def login(web: WebWorld, who: str) -> Client:
    return _clients[who]


def text_of(response: Any) -> str:
    return response.content.decode()


def errors_in(html: str) -> list[str]:
    return re.findall(r'<li class="error">(.*?)</li>', html, flags=re.S)


@contextmanager
def unchanged() -> Iterator[None]:
    """The block's requests must leave every domain table exactly as it was."""
    before = fingerprint()
    yield
    after = fingerprint()
    assert [label for label in before if before[label] != after[label]] == []


def url(name: str, pk: int) -> str:
    return reverse(name, args=[pk])


def vote(web: WebWorld, who: str, meeting: int, data: dict[str, Any]) -> Any:
    return login(web, who).post(url("meeting-ballot", meeting), data)


def open_meeting(web: WebWorld, place: dict[str, int]) -> int:
    response = login(web, "cw1").post(url("meeting-state", place["meeting"]), {"action": "open"})
    assert response.status_code == 302
    return place["meeting"]


# --- who sees what: roles × pages ------------------------------------------------------------------------------


def expected_page(page: str, who: str) -> int:
    if who not in SEES_C1:
        return 404
    if page == "raise" and who not in ("resident", "resident_b", "cw1", "staff"):
        return 403  # sees the community, may not raise its needs
    if page == "plan" and who not in ("cw1", "staff"):
        return 403
    return 200


@pytest.mark.parametrize("page", ["needs", "need", "meeting", "raise", "plan"])
def test_permission_matrix_of_the_pages(web: WebWorld, place: dict[str, int], page: str) -> None:
    address = {
        "needs": url("community-needs", place["c1"]),
        "need": url("need-detail", place["lighting"]),
        "meeting": url("meeting-detail", place["meeting"]),
        "raise": url("need-raise", place["c1"]),
        "plan": url("meeting-plan", place["c1"]),
    }[page]
    seen = {who: login(web, who).get(address).status_code for who in EVERYONE}
    assert seen == {who: expected_page(page, who) for who in EVERYONE}
    response = Client().get(address)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_objects_are_404(web: WebWorld, place: dict[str, int]) -> None:
    client = login(web, "staff")
    for name in ["community-needs", "need-raise", "meeting-plan", "need-detail", "meeting-detail"]:
        assert client.get(url(name, 999999)).status_code == 404
    # An organization that is not a community has no needs page.
    street = Organization.objects.get(name="S街道办事处")
    assert client.get(url("community-needs", street.pk)).status_code == 404


def expected_write(action: str, who: str) -> int:
    if who not in SEES_C1:
        return 404
    allowed = {"raise": {"resident", "cw1"}, "plan": {"cw1"}, "open": {"cw1"}, "ballot": {"resident"}}[action]
    return 302 if who in allowed else 403


@pytest.mark.parametrize("action", ["raise", "plan", "open", "ballot"])
def test_permission_matrix_of_the_writes(web: WebWorld, place: dict[str, int], action: str) -> None:
    """Each role tries each write on community 1; only its residents and worker succeed, each where the
    rule lets them. A refusal writes nothing, whether it is a 403 (seen, not allowed) or a 404 (not seen)."""
    if action == "ballot":
        open_meeting(web, place)
    address, data = {
        "raise": (url("need-raise", place["c1"]), {"title": "加装电梯", "category": place["elderly"]}),
        "plan": (
            url("meeting-plan", place["c1"]),
            {"title": "议事会", "held_on": "2025-03-01", "rule": "approval", "quorum": "1", "priorities": "1"}
            | {"agenda": [place["visits"]]},
        ),
        "open": (url("meeting-state", place["meeting"]), {"action": "open"}),
        "ballot": (url("meeting-ballot", place["meeting"]), {"approve": [place["lighting"]]}),
    }[action]
    for who in MATRIX:
        status = expected_write(action, who)
        if status == 302:
            continue  # tried last, below: a success changes the world for the next roles
        with unchanged():
            response = login(web, who).post(address, data)
        assert response.status_code == status, who
        if status == 403:
            assert errors_in(text_of(response)), who  # the page says why
    for who in MATRIX:
        if expected_write(action, who) == 302:
            assert login(web, who).post(address, data).status_code == 302, who


def test_a_resident_of_another_community_cannot_vote_nor_be_seated(web: WebWorld, place: dict[str, int]) -> None:
    meeting = open_meeting(web, place)
    outsider = Person.objects.get(user__username="web_res_c2")
    with unchanged():
        response = vote(web, "other_resident", meeting, {"approve": [place["lighting"]]})
        assert response.status_code == 404  # the meeting does not exist for them
        response = login(web, "cw1").post(url("meeting-seat", meeting), {"person": outsider.pk, "kind": "resident"})
        assert response.status_code == 400
        assert any("is not a resident of" in e for e in errors_in(text_of(response)))
        # Someone who sees the meeting but holds no seat is refused with the reason.
        response = vote(web, "mgr_a", meeting, {"approve": [place["lighting"]]})
        assert response.status_code == 403
        assert any("Only the meeting&#x27;s participants vote" in e for e in errors_in(text_of(response)))
    assert not Vote.objects.filter(meeting_id=meeting).exists()


# --- personal data -------------------------------------------------------------------------------------------


def test_who_raised_a_need_and_who_sat_are_for_the_community_workers(web: WebWorld, place: dict[str, int]) -> None:
    needs_page = url("community-needs", place["c1"])
    meeting_page = url("meeting-detail", place["meeting"])
    worker = text_of(login(web, "cw1").get(needs_page))
    assert "钱阿姨" in worker and "Raised by" in worker
    sitting = text_of(login(web, "cw1").get(meeting_page))
    assert "孙大爷" in sitting and "周阿婆" in sitting
    for who in ["street", "mgr_a", "dept", "resident_b"]:
        html = text_of(login(web, who).get(needs_page))
        assert "Stairwell lighting" in html and "钱阿姨" not in html and "Raised by" not in html, who
        html = text_of(login(web, who).get(meeting_page))
        assert "周阿婆" not in html and "Voted" not in html, who
        assert "Resident: 3" in html, who  # the seats by kind
        html = text_of(login(web, who).get(url("need-detail", place["lighting"])))
        assert "钱阿姨" not in html, who


# --- the community's needs ---------------------------------------------------------------------------------------


def test_the_needs_page_shows_the_lifecycle_the_needs_and_the_meetings(web: WebWorld, place: dict[str, int]) -> None:
    html = text_of(login(web, "mgr_a").get(url("community-needs", place["c1"])))
    assert "Donghu Community" in html
    for stage, count in [("raised", 3), ("consulted", 0), ("prioritised", 0), ("declined", 0)]:
        assert re.search(rf'data-stage="{stage}">.*?<td class="num">{count}</td>', html, flags=re.S), stage
    assert 'class="bar stage-raised" style="width: 100%"' in html
    row = re.search(rf'<tr id="need-{place["lighting"]}".*?</tr>', html, flags=re.S)
    assert row is not None
    for shown in ["Stairwell lighting", "Services for older people", "60", "3号楼", "2025-02-01", "Raised"]:
        assert shown in row.group(0), shown
    assert "东湖社区居民议事会" in html and url("meeting-detail", place["meeting"]) in html
    assert url("need-raise", place["c1"]) not in html and url("meeting-plan", place["c1"]) not in html
    worker = text_of(login(web, "cw1").get(url("community-needs", place["c1"])))
    assert url("need-raise", place["c1"]) in worker and url("meeting-plan", place["c1"]) in worker
    resident = text_of(login(web, "resident").get(url("community-needs", place["c1"])))
    assert url("need-raise", place["c1"]) in resident and url("meeting-plan", place["c1"]) not in resident


def test_the_needs_page_filters_by_state_and_category(web: WebWorld, place: dict[str, int]) -> None:
    client = login(web, "cw1")
    base = url("community-needs", place["c1"])
    needs_services.decline_need(web.user("cw1"), Need.objects.get(pk=place["visits"]), "已由街道解决")
    html = text_of(client.get(base + "?state=declined"))
    assert "独居老人探访" in html and "Stairwell lighting" not in html
    youth = ServiceCategory.objects.get(code="youth")
    html = text_of(client.get(base + f"?category={youth.pk}"))
    assert "No need matches the filter." in html
    html = text_of(client.get(base + f"?category={place['elderly']}&state=raised"))
    assert "Stairwell lighting" in html and "独居老人探访" not in html
    html = text_of(client.get(base + "?state=nonsense&category=x"))  # unknown filters are ignored
    assert "Stairwell lighting" in html and "独居老人探访" in html


def test_addressed_needs_link_the_contracts_answering_them(web: WebWorld, place: dict[str, int]) -> None:
    """The world's contract answers 独居老人探访: once the need is prioritised and addressed the list shows
    the contract, linked for those who may see it."""
    cw1 = web.user("cw1")
    meeting = needs_services.plan_meeting(
        cw1,
        community=Organization.objects.get(pk=place["c1"]),
        title="探访议事会",
        held_on=date(2025, 3, 1),
        agenda=Need.objects.filter(pk=place["visits"]),
        participants=[(p, "resident") for p in Person.objects.filter(home_community_id=place["c1"])],
        quorum=1,
        priorities=1,
    )
    needs_services.open_voting(cw1, meeting)
    needs_services.cast_ballot(web.user("resident"), meeting, {place["visits"]: 1})
    needs_services.close_meeting(cw1, meeting)
    need = Need.objects.get(pk=place["visits"])
    assert need.state == Need.State.PRIORITISED
    needs_services.mark_addressed(web.user("street"), need)  # as the contract stage does on signing
    contract = url("contract-detail", web.pk["contract"])
    html = text_of(login(web, "cw1").get(url("community-needs", place["c1"])))
    row = re.search(rf'<tr id="need-{need.pk}".*?</tr>', html, flags=re.S)
    assert row is not None and contract in row.group(0) and "Addressed by a contract" in row.group(0)
    html = text_of(login(web, "mgr_b").get(url("community-needs", place["c1"])))
    row = re.search(rf'<tr id="need-{need.pk}".*?</tr>', html, flags=re.S)
    assert row is not None and "Silver mutual aid" in row.group(0) and contract not in row.group(0)
    detail = text_of(login(web, "cw1").get(url("need-detail", need.pk)))
    assert contract in detail and "Mark resolved" in detail


def test_the_organization_profile_links_the_needs_page(web: WebWorld, place: dict[str, int]) -> None:
    html = text_of(login(web, "street").get(url("org-profile", place["c1"])))
    assert url("community-needs", place["c1"]) in html and 'data-stage="raised"' in html
    assert "东湖社区居民议事会" in html
    html = text_of(login(web, "expert").get(url("org-profile", place["c1"])))  # the profile, not the needs
    assert url("community-needs", place["c1"]) not in html and 'data-stage="raised"' not in html


# --- raising and deciding needs ---------------------------------------------------------------------------------


def test_a_resident_raises_a_need_and_the_worker_records_one(web: WebWorld, place: dict[str, int]) -> None:
    form = {
        "title": "  加装电梯 ",
        "title_en": "Lifts in old blocks",
        "description": "老旧小区没有电梯。",
        "category": place["elderly"],
        "people_affected": "85",
        "location": "老街坊小区",
    }
    response = login(web, "resident").post(url("need-raise", place["c1"]), form)
    assert response.status_code == 302
    need = Need.objects.get(title="加装电梯")
    assert response["Location"] == url("need-detail", need.pk)
    assert need.raised_by is not None and need.raised_by.name == "钱阿姨"
    assert (need.people_affected, need.location, need.state) == (85, "老街坊小区", "raised")
    assert need.community_id == place["c1"]
    response = login(web, "cw1").post(url("need-raise", place["c1"]), form | {"title": "垃圾分类指导"})
    assert response.status_code == 302
    assert Need.objects.get(title="垃圾分类指导").raised_by.name == "张书记"  # type: ignore[union-attr]


def test_a_refused_need_keeps_the_form_and_writes_nothing(web: WebWorld, place: dict[str, int]) -> None:
    client = login(web, "resident")
    with unchanged():
        response = client.post(url("need-raise", place["c1"]), {"title": " ", "category": place["elderly"]})
        assert response.status_code == 400 and "A need needs a title." in errors_in(text_of(response))
        response = client.post(
            url("need-raise", place["c1"]),
            {"title": "加装电梯", "category": place["elderly"], "people_affected": "很多", "location": "5号楼"},
        )
        assert response.status_code == 400
        assert any("give a whole number" in e for e in errors_in(text_of(response)))
        assert 'value="加装电梯"' in text_of(response) and 'value="5号楼"' in text_of(response)
        response = client.post(url("need-raise", place["c1"]), {"title": "加装电梯", "category": "999999"})
        assert response.status_code == 400 and "Choose the service category of the need." in text_of(response)
        response = client.post(
            url("need-raise", place["c1"]),
            {"title": "加装电梯", "category": place["elderly"], "people_affected": "-3"},
        )
        assert response.status_code == 400
        # A resident of community 1 raises nothing in community 2, which they cannot even see.
        response = client.post(url("need-raise", place["c2"]), {"title": "加装电梯", "category": place["elderly"]})
        assert response.status_code == 404


def test_the_worker_merges_declines_and_resolves_needs(web: WebWorld, place: dict[str, int]) -> None:
    client = login(web, "cw1")
    page = text_of(client.get(url("need-detail", place["visits"])))
    assert "Merge into the need it repeats" in page and "Reason for declining" in page
    with unchanged():
        response = client.post(url("need-decide", place["visits"]), {"action": "decline", "reason": " "})
        assert response.status_code == 400 and "Say why the need is declined." in errors_in(text_of(response))
        response = client.post(url("need-decide", place["visits"]), {"action": "merge", "into": place["visits"]})
        assert response.status_code == 400 and "A need cannot be merged into itself." in errors_in(text_of(response))
        response = client.post(url("need-decide", place["visits"]), {"action": "merge", "into": place["c2_need"]})
        assert response.status_code == 400  # not a need cw1 may see: as good as none chosen
        response = client.post(url("need-decide", place["visits"]), {"action": "resolve"})
        assert response.status_code == 400  # a raised need is not resolved before it is prioritised
        response = login(web, "street").post(url("need-decide", place["visits"]), {"action": "decline", "reason": "x"})
        assert response.status_code == 403
        response = login(web, "cw2").post(url("need-decide", place["visits"]), {"action": "decline", "reason": "x"})
        assert response.status_code == 404
        assert login(web, "cw1").get(url("need-decide", place["visits"])).status_code == 405
    response = client.post(url("need-decide", place["visits"]), {"action": "merge", "into": place["canteen"]})
    assert response.status_code == 302 and response["Location"] == url("need-detail", place["canteen"])
    assert Need.objects.get(pk=place["visits"]).state == Need.State.MERGED
    assert "独居老人探访" in text_of(client.get(url("need-detail", place["canteen"])))  # merged into it
    response = client.post(url("need-decide", place["lighting"]), {"action": "decline", "reason": "物业负责"})
    assert response.status_code == 302 and Need.objects.get(pk=place["lighting"]).state == Need.State.DECLINED
    assert AuditEvent.objects.filter(action="need.declined", reason="物业负责").exists()


def test_a_need_being_voted_on_waits_for_the_meeting(web: WebWorld, place: dict[str, int]) -> None:
    open_meeting(web, place)
    client = login(web, "cw1")
    html = text_of(client.get(url("need-detail", place["lighting"])))
    assert "A meeting is voting on this need" in html and 'value="merge"' not in html and 'value="decline"' not in html
    with unchanged():
        response = client.post(url("need-decide", place["lighting"]), {"action": "decline", "reason": "物业负责"})
        assert response.status_code == 400 and any("is being voted on" in e for e in errors_in(text_of(response)))


# --- planning and running a meeting ---------------------------------------------------------------------------------


def plan_form(place: dict[str, int], **fields: Any) -> dict[str, Any]:
    residents = list(Person.objects.filter(home_community_id=place["c1"]).order_by("pk").values_list("pk", flat=True))
    form: dict[str, Any] = {
        "title": "东湖社区第二次议事会",
        "held_on": "2025-03-15",
        "rule": "approval",
        "approvals": "1",
        "points": "10",
        "quorum": "2",
        "priorities": "1",
        "agenda": [place["visits"]],
        "seat": residents,
    }
    form.update({f"kind-{pk}": "resident" for pk in residents})
    form.update(fields)
    return form


def test_the_plan_form_lists_open_needs_and_residents(web: WebWorld, place: dict[str, int]) -> None:
    html = text_of(login(web, "cw1").get(url("meeting-plan", place["c1"])))
    for need in ("visits", "lighting", "canteen"):
        assert f'name="agenda" value="{place[need]}"' in html
    assert f'name="agenda" value="{place["c2_need"]}"' not in html
    assert "钱阿姨" in html and "孙大爷" in html and "吴阿姨" not in html  # residents of community 1 only
    assert "Director Li" in html  # the street's officer, as a possible guest
    for label_for in ["meeting-title", "meeting-date", "meeting-quorum", "meeting-priorities", "agency-guests"]:
        assert f'<label for="{label_for}"' in html


def test_a_refused_plan_keeps_the_form_and_writes_nothing(web: WebWorld, place: dict[str, int]) -> None:
    client = login(web, "cw1")
    with unchanged():
        response = client.post(url("meeting-plan", place["c1"]), plan_form(place, agenda=[]))
        assert response.status_code == 400
        assert "The agenda lists needs of this community." in errors_in(text_of(response))
        assert 'value="东湖社区第二次议事会"' in text_of(response)
        response = client.post(url("meeting-plan", place["c1"]), plan_form(place, held_on="next week"))
        assert response.status_code == 400 and any("give a date" in e for e in errors_in(text_of(response)))
        response = client.post(url("meeting-plan", place["c1"]), plan_form(place, quorum="0"))
        assert response.status_code == 400
        response = client.post(url("meeting-plan", place["c1"]), plan_form(place, agenda=[place["c2_need"]]))
        assert response.status_code == 400
        outsider = Person.objects.get(user__username="web_res_c2")
        response = client.post(
            url("meeting-plan", place["c1"]),
            plan_form(place, seat=[outsider.pk], **{f"kind-{outsider.pk}": "resident"}),
        )
        assert response.status_code == 400 and any("is not a resident of" in e for e in errors_in(text_of(response)))
        response = login(web, "cw2").post(url("meeting-plan", place["c1"]), plan_form(place))
        assert response.status_code == 404


def test_approval_meeting_from_plan_to_published_result(web: WebWorld, place: dict[str, int]) -> None:
    worker = login(web, "cw1")
    form = plan_form(place, agenda=[place["visits"], place["lighting"], place["canteen"]], approvals="2")
    officer = Person.objects.get(user__username="web_street")
    response = worker.post(url("meeting-plan", place["c1"]), form | {"street_guest": [officer.pk]})
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="东湖社区第二次议事会")
    assert response["Location"] == url("meeting-detail", meeting.pk)
    assert meeting.agenda.count() == 3 and meeting.participants.count() == 4
    assert meeting.participants.get(person=officer).kind == Participant.Kind.STREET_GUEST
    page = text_of(login(web, "resident").get(url("meeting-detail", meeting.pk)))
    assert 'action="/meetings/' not in page and "You have a seat" in page  # planned: no ballot yet
    assert worker.post(url("meeting-state", meeting.pk), {"action": "open"}).status_code == 302

    ballot = text_of(login(web, "resident").get(url("meeting-detail", meeting.pk)))
    assert 'name="approve"' in ballot and "at most 2" in ballot
    assert ballot.count('type="checkbox" name="approve"') == 3
    assert "0 of 2 needed" in ballot
    guest = text_of(login(web, "street").get(url("meeting-detail", meeting.pk)))
    assert "guests take part in the discussion but do not vote" in guest and 'name="approve"' not in guest
    assert vote(web, "resident", meeting.pk, {"approve": [place["lighting"], place["canteen"]]}).status_code == 302
    assert vote(web, "resident_b", meeting.pk, {"approve": [place["lighting"]]}).status_code == 302
    during = text_of(login(web, "resident").get(url("meeting-detail", meeting.pk)))
    assert "You have voted" in during and 'name="approve"' not in during
    assert "2 of 2 needed" in during and "data-rank" not in during  # the count, never the running result
    assert "data-rank" not in text_of(worker.get(url("meeting-detail", meeting.pk)))

    response = worker.post(url("meeting-state", meeting.pk), {"action": "close", "minutes": "居民8人参会。"})
    assert response.status_code == 302
    for who in ["resident_c", "mgr_a", "street", "cw1"]:
        html = text_of(login(web, who).get(url("meeting-detail", meeting.pk)))
        ranks = re.findall(r'data-rank="(\d+)" data-need="(\d+)"', html)
        assert ranks == [("1", str(place["lighting"])), ("2", str(place["canteen"])), ("3", str(place["visits"]))]
        assert html.count("data-prioritised") == 1 and 'data-quorate="yes"' in html
        assert "居民8人参会。" in html and "Published result" in html
    lighting = Need.objects.get(pk=place["lighting"])
    assert (lighting.state, lighting.priority) == (Need.State.PRIORITISED, 1)
    assert Need.objects.get(pk=place["canteen"]).state == Need.State.CONSULTED


def test_points_meeting_with_a_refused_ballot_and_no_quorum(web: WebWorld, place: dict[str, int]) -> None:
    worker = login(web, "cw1")
    form = plan_form(place, rule="points", points="5", quorum="3", agenda=[place["lighting"], place["canteen"]])
    assert worker.post(url("meeting-plan", place["c1"]), form).status_code == 302
    meeting = Meeting.objects.get(title="东湖社区第二次议事会")
    assert worker.post(url("meeting-state", meeting.pk), {"action": "open"}).status_code == 302
    ballot = text_of(login(web, "resident").get(url("meeting-detail", meeting.pk)))
    assert f'name="points-{place["lighting"]}"' in ballot and 'max="5"' in ballot
    assert f'<label for="points-{place["lighting"]}">' in ballot
    lighting, canteen = f"points-{place['lighting']}", f"points-{place['canteen']}"
    with unchanged():
        response = vote(web, "resident", meeting.pk, {lighting: "4", canteen: "3"})
        assert response.status_code == 400
        assert "This ballot is not valid: it gives out more than 5 points." in errors_in(text_of(response))
        assert 'value="4"' in text_of(response) and 'value="3"' in text_of(response)  # the ballot kept
        response = vote(web, "resident", meeting.pk, {lighting: "", canteen: "0"})
        assert response.status_code == 400 and "the ballot is empty" in text_of(response)
        response = vote(web, "resident", meeting.pk, {lighting: "two"})
        assert response.status_code == 400
    assert vote(web, "resident", meeting.pk, {lighting: "2", canteen: "3"}).status_code == 302
    with unchanged():
        response = vote(web, "resident", meeting.pk, {lighting: "1"})
        assert response.status_code == 400
        assert "You have already voted in this meeting." in errors_in(text_of(response))
    assert vote(web, "resident_b", meeting.pk, {lighting: "5"}).status_code == 302
    assert sorted(Vote.objects.filter(meeting=meeting).values_list("points", flat=True)) == [2, 3, 5]
    assert worker.post(url("meeting-state", meeting.pk), {"action": "close"}).status_code == 302
    html = text_of(login(web, "mgr_a").get(url("meeting-detail", meeting.pk)))
    assert 'data-quorate="no"' in html and "The quorum was not met" in html
    rows = re.findall(
        r'data-rank="(\d+)" data-need="(\d+)">.*?<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>',
        html,
        flags=re.S,
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("1", str(place["lighting"]), "7", "2"),
        ("2", str(place["canteen"]), "3", "1"),
    ]
    assert "data-prioritised" not in html and "No minutes were recorded." in html
    assert Need.objects.get(pk=place["lighting"]).state == Need.State.CONSULTED


def test_seating_cancelling_and_refused_state_changes(web: WebWorld, place: dict[str, int]) -> None:
    worker = login(web, "cw1")
    meeting = place["meeting"]
    page = text_of(worker.get(url("meeting-detail", meeting)))
    assert "Open voting" in page and "Cancel the meeting" in page and 'id="seat-person"' in page
    with unchanged():
        response = worker.post(url("meeting-state", meeting), {"action": "close"})
        assert response.status_code == 400  # a planned meeting opens before it closes
        response = worker.post(url("meeting-state", meeting), {"action": "cancel", "reason": ""})
        assert response.status_code == 400 and "Say why the meeting is cancelled." in errors_in(text_of(response))
        response = login(web, "resident").post(url("meeting-state", meeting), {"action": "cancel", "reason": "x"})
        assert response.status_code == 403
        response = login(web, "street").post(url("meeting-seat", meeting), {"person": "1", "kind": "resident"})
        assert response.status_code == 403
    manager = Person.objects.get(user__username="web_mgr_a")
    response = worker.post(url("meeting-seat", meeting), {"person": manager.pk, "kind": "agency"})
    assert response.status_code == 302
    assert Participant.objects.get(meeting_id=meeting, person=manager).kind == "agency"
    response = worker.post(url("meeting-state", meeting), {"action": "cancel", "reason": "台风停会"})
    assert response.status_code == 302
    html = text_of(login(web, "resident").get(url("meeting-detail", meeting)))
    assert 'class="badge cancelled"' in html and 'name="approve"' not in html


# --- prioritised needs feed the street, the call and the applications --------------------------------------------


def _prioritise(web: WebWorld, place: dict[str, int]) -> None:
    """Hold the module's meeting: both residents approve the stairwell lighting."""
    open_meeting(web, place)
    assert vote(web, "resident", place["meeting"], {"approve": [place["lighting"]]}).status_code == 302
    assert vote(web, "resident_b", place["meeting"], {"approve": [place["lighting"]]}).status_code == 302
    needs_services.close_meeting(web.user("cw1"), Meeting.objects.get(pk=place["meeting"]))


def test_prioritised_needs_reach_the_street_and_the_call(web: WebWorld, place: dict[str, int]) -> None:
    _prioritise(web, place)
    home = text_of(login(web, "street").get(reverse("home")))
    section = home.split('data-section="street_officer"')[1]
    assert "Prioritised needs in your communities" in section
    assert "Stairwell lighting" in section and url("need-detail", place["lighting"]) in section
    assert "社区长者食堂" not in section.split("Calls it issued")[0]  # only consulted
    call = text_of(login(web, "mgr_b").get(url("call-detail", web.pk["open_call"])))
    block = call.split('id="prioritised-needs"')[1].split("</section>")[0]
    assert "Stairwell lighting" in block and "Donghu Community" in block
    assert "in this call" not in block  # an elderly-care need, a youth call
    decided = text_of(login(web, "mgr_b").get(url("call-detail", web.pk["decided_call"])))
    assert 'id="prioritised-needs"' not in decided  # only while applicants write


def test_home_sections_of_residents_and_community_workers(web: WebWorld, place: dict[str, int]) -> None:
    resident = text_of(login(web, "resident").get(reverse("home")))
    assert url("need-raise", place["c1"]) in resident and url("community-needs", place["c1"]) in resident
    assert "Stairwell lighting" in resident.split("Needs I raised")[1].split("Needs of my community")[0]
    assert "No vote is waiting for you." in resident
    worker = text_of(login(web, "cw1").get(reverse("home")))
    assert url("meeting-plan", place["c1"]) in worker and url("meeting-detail", place["meeting"]) in worker
    consult = worker.split("Needs to consult")[1].split("Applications it partners in")[0]
    assert "Stairwell lighting" in consult and "独居老人探访" in consult
    open_meeting(web, place)
    resident = text_of(login(web, "resident").get(reverse("home")))
    assert url("meeting-detail", place["meeting"]) + "#ballot" in resident and "Vote now" in resident
    vote(web, "resident", place["meeting"], {"approve": [place["lighting"]]})
    assert "No vote is waiting for you." in text_of(login(web, "resident").get(reverse("home")))
    other = text_of(login(web, "other_resident").get(reverse("home")))
    assert 'data-section="resident"' in other and "Stairwell lighting" not in other
    assert url("meeting-detail", place["meeting"]) not in other


def test_the_manager_links_needs_to_a_draft(web: WebWorld, place: dict[str, int]) -> None:
    draft = web.pk["app_a_draft"]
    address = url("application-needs", draft)
    html = text_of(login(web, "mgr_a").get(url("application-detail", draft)))
    assert f'action="{address}"' in html
    for need in ("visits", "lighting", "canteen"):
        assert f'name="needs" value="{place[need]}"' in html
    assert f'name="needs" value="{place["c2_need"]}"' not in html  # community 2 is not a partner
    with unchanged():
        response = login(web, "mgr_a").post(address, {"needs": [place["c2_need"]]})
        assert response.status_code == 400
        assert any("not a partner" in e for e in errors_in(text_of(response)))
        for who in ("cw1", "sw_a"):  # they see the draft; only the manager changes it
            assert login(web, who).post(address, {"needs": [place["lighting"]]}).status_code == 403
        assert login(web, "mgr_b").post(address, {"needs": [place["lighting"]]}).status_code == 404
        submitted = url("application-needs", web.pk["app_a_open"])
        response = login(web, "mgr_a").post(submitted, {"needs": [place["lighting"]]})
        assert response.status_code == 400 and "Only a draft application is changed." in errors_in(text_of(response))
    assert f'action="{submitted}"' not in text_of(
        login(web, "mgr_a").get(url("application-detail", web.pk["app_a_open"]))
    )
    response = login(web, "mgr_a").post(address, {"needs": [place["lighting"], place["canteen"]]})
    assert response.status_code == 302
    linked = set(Application.objects.get(pk=draft).needs.values_list("pk", flat=True))
    assert linked == {place["lighting"], place["canteen"]}
    html = text_of(login(web, "cw1").get(url("application-detail", draft)))
    assert url("community-needs", place["c1"]) + f"#need-{place['lighting']}" in html
    assert response.status_code == 302 and login(web, "mgr_a").post(address, {}).status_code == 302
    assert not Application.objects.get(pk=draft).needs.exists()  # unticking every box unlinks them


@pytest.mark.usefixtures("taking_applications")
def test_reviewers_see_the_linked_needs_and_their_community(web: WebWorld, place: dict[str, int]) -> None:
    draft = Application.objects.get(pk=web.pk["app_a_draft"])
    application_services.link_needs(web.user("mgr_a"), draft, Need.objects.filter(pk=place["lighting"]))
    application_services.submit(web.user("mgr_a"), draft)
    review_services.start_review(web.user("street"), Call.objects.get(pk=web.pk["open_call"]), today=date(2025, 7, 1))
    assert Review.objects.filter(application=draft, expert__person__user__username="web_expert").exists()
    expert = login(web, "expert")
    html = text_of(expert.get(url("application-detail", draft.pk)))
    assert "Stairwell lighting" in html
    link = url("community-needs", place["c1"]) + f"#need-{place['lighting']}"
    assert link in html
    assert expert.get(url("community-needs", place["c1"])).status_code == 200
    assert expert.get(url("need-detail", place["lighting"])).status_code == 200


# --- bounded queries and languages --------------------------------------------------------------------------------


def _count_queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_the_pages_take_as_many_queries_for_many_needs_as_for_few(web: WebWorld, place: dict[str, int]) -> None:
    _prioritise(web, place)
    worker = login(web, "cw1")
    pages = [
        url("community-needs", place["c1"]),
        url("meeting-detail", place["meeting"]),
        url("meeting-plan", place["c1"]),
        reverse("home"),
    ]
    before = [_count_queries(worker, p) for p in pages]
    elderly = ServiceCategory.objects.get(pk=place["elderly"])
    more = [
        needs_services.raise_need(
            web.user("resident"),
            community=Organization.objects.get(pk=place["c1"]),
            title=f"需求{i}",
            category=elderly,
            raised_on=date(2025, 3, i + 1),
        )
        for i in range(6)
    ]
    needs_services.plan_meeting(
        web.user("cw1"),
        community=Organization.objects.get(pk=place["c1"]),
        title="扩大议事会",
        held_on=date(2025, 3, 20),
        agenda=more,
        participants=[(p, "resident") for p in Person.objects.filter(home_community_id=place["c1"])],
    )
    after = [_count_queries(worker, p) for p in pages]
    assert after == before
    assert max(after) <= 30


def test_english_after_switching_the_language(web: WebWorld, place: dict[str, int]) -> None:
    client = Client()
    client.force_login(web.user("cw1"))
    address = url("community-needs", place["c1"])
    html = text_of(client.get(address))
    assert '<html lang="zh-hans">' in html and "东湖社区" in html and "楼道照明改造" in html
    assert client.post(reverse("set_language"), {"language": "en", "next": address}).status_code == 302
    html = text_of(client.get(address))
    assert '<html lang="en">' in html
    assert "Needs and consultation" in html and "Lifecycle of the needs" in html and "Consultation meetings" in html
    assert "Donghu Community" in html and "Stairwell lighting" in html and "Services for older people" in html
    assert "楼道照明改造" not in html
    meeting = text_of(client.get(url("meeting-detail", place["meeting"])))
    assert "Approval voting" in meeting and "Run the meeting" in meeting and "Open voting" in meeting
    plan = text_of(client.get(url("meeting-plan", place["c1"])))
    assert "Plan a consultation meeting" in plan and "Point allocation" in plan
