"""The awards page of a call: running the allocation, the list with its total against the budget and a
reason for each application left out, the publicity period with objections and answers, the department's
decision and withdrawing a list; who sees what at each stage, and who may do what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.applications.models import Application
from grassroots.awards import services as award_services
from grassroots.awards.models import Award, AwardList, Objection
from grassroots.funding.models import Call
from grassroots.review.models import Review
from tests import world as w

pytestmark = pytest.mark.django_db

ROLES = ["street", "other_street", "dept", "staff", "reviewer", "expert", "applicant", "competitor", "resident"]
OVERSEERS = {"street", "dept", "staff"}
OWN_TITLE = "阳光长者互助计划"
RIVAL_TITLE = "同心邻里守望行动"


@dataclass
class Ranked:
    """A call whose panel has closed: agency 0's application ranks first and fits the budget; agency 1's
    ranks second and does not fit what is left."""

    call: Call
    own: Application
    rival: Application
    users: dict[str, Any]
    clients: dict[str, Client]

    def url(self, name: str = "call-awards", *args: Any) -> str:
        return reverse(name, args=[self.call.pk, *args])


def client(user: Any) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser


def html_of(response: Any) -> str:
    return response.content.decode()


def main_of(response: Any) -> str:
    """The page's content, without the header (which names the user)."""
    return html_of(response).split("<main", 1)[1].split("</main>", 1)[0]


def errors_in(html: str) -> list[str]:
    return re.findall(r'<li class="error">(.*?)</li>', html, flags=re.S)


def successes_in(html: str) -> list[str]:
    return re.findall(r'<li class="success">(.*?)</li>', html, flags=re.S)


@contextmanager
def unchanged() -> Iterator[None]:
    before = w.fingerprint()
    yield
    after = w.fingerprint()
    assert [label for label in before if before[label] != after[label]] == []


@pytest.fixture
def ranked(world: w.World) -> Ranked:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=2, max_request="300000.00")
    own = w.submitted_application(world, call, agency=0, requested="100000.00", title=OWN_TITLE)
    rival = w.submitted_application(world, call, agency=1, requested="250000.00", title=RIVAL_TITLE)
    w.review_call(world, call, {own.pk: "90", rival.pk: "80"})
    call.refresh_from_db()
    reviewer = Review.objects.filter(application=own).select_related("expert__person__user").first()
    assert reviewer is not None
    busy = set(Review.objects.filter(application__call=call).values_list("expert_id", flat=True))
    idle = next(e for e in world.experts if e.pk not in busy)
    users = {
        "street": world.street_officer,
        "other_street": world.other_street_officer,
        "dept": world.dept_officer,
        "staff": world.admin,
        "reviewer": reviewer.expert.person.user,
        "expert": world.expert_user(idle),
        "applicant": world.managers[0],
        "competitor": world.managers[1],
        "resident": world.residents[0][0],
    }
    return Ranked(call, own, rival, users, {who: client(user) for who, user in users.items()})


def propose(ranked: Ranked, rule: str = "rank_order") -> AwardList:
    return award_services.propose_awards(ranked.users["street"], ranked.call, rule)


def publicise(ranked: Ranked) -> AwardList:
    return award_services.start_publicity(ranked.users["street"], propose(ranked), starts_on=w.PUBLICITY_START)


def stage(ranked: Ranked, name: str) -> AwardList | None:
    if name == "ranked":
        return None
    if name == "proposed":
        return propose(ranked)
    award_list = publicise(ranked)
    if name == "decided":
        award_services.decide(ranked.users["dept"], award_list, on=w.DECISION_DAY)
    return award_list


# --- who sees what --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ranked", "proposed", "publicity", "decided"])
def test_who_sees_what_on_the_awards_page(ranked: Ranked, name: str) -> None:
    stage(ranked, name)
    pages = {who: c.get(ranked.url()) for who, c in ranked.clients.items()}
    assert {who: r.status_code for who, r in pages.items()} == dict.fromkeys(ROLES, 200)
    for who, response in pages.items():
        html = main_of(response)
        overseer = who in OVERSEERS
        assert "专家" not in html  # reviewers are never named on the awards page
        if name == "ranked":
            assert ("Run the allocation" in html) == (who in ("street", "staff"))
            assert (OWN_TITLE in html) == overseer  # the ranking is the officers' until a list is public
            continue
        listed = overseer or name != "proposed"
        assert (f'data-application="{ranked.own.pk}"' in html) == listed
        # an application left out, with the reason: for the officers, and for its own agency once public
        reasons = overseer or (who == "competitor" and name != "proposed")
        assert (RIVAL_TITLE in html) == reasons
        assert ("does not fit the remaining budget" in html) == reasons
        # scores: the officers', and everyone's once the call is decided
        assert ("data-score" in html) == (overseer or name == "decided")
        # the application itself stays closed to a competitor until it is awarded and decided
        link = reverse("application-detail", args=[ranked.own.pk])
        if who == "competitor":
            assert (link in html) == (name == "decided")
        assert ("Raise an objection" in html) == (name == "publicity" and who != "staff")  # staff has no person
        assert ("Start the publicity" in html) == (name == "proposed" and who in ("street", "staff"))
        assert ("Decide the awards" in html) == (name == "publicity" and who in ("dept", "staff"))
        assert ("Withdraw the award list" in html) == (name in ("proposed", "publicity") and who in ("street", "staff"))


def test_the_awards_of_a_draft_call_do_not_exist_for_outsiders(ranked: Ranked) -> None:
    from grassroots.funding import services as funding_services

    draft = funding_services.create_call(
        ranked.users["street"],
        program=ranked.call.program,
        envelope=ranked.call.envelope,
        title="草稿指南",
        funds="1000.00",
        opens_on=w.CALL_OPENS,
        closes_on=w.CALL_CLOSES,
        categories=list(ranked.call.categories.all()),
        criteria=w.CRITERIA,
    )
    url = reverse("call-awards", args=[draft.pk])
    seen = {who: c.get(url).status_code for who, c in ranked.clients.items()}
    assert seen == {who: 200 if who in OVERSEERS else 404 for who in ROLES}
    assert ranked.clients["staff"].get(reverse("call-awards", args=[999999])).status_code == 404
    response = Client().get(ranked.url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- who may do what ---------------------------------------------------------------------------------------


ACTIONS: dict[str, tuple[str, str, set[str]]] = {
    # action: (stage it needs, url name, who may do it)
    "propose": ("ranked", "call-awards-propose", {"street", "staff"}),
    "publicity": ("proposed", "call-awards-publicity", {"street", "staff"}),
    "object": ("publicity", "call-awards-object", set(ROLES) - {"staff"}),
    "decide": ("publicity", "call-awards-decide", {"dept", "staff"}),
    "withdraw": ("publicity", "call-awards-withdraw", {"street", "staff"}),
}


def action_post(name: str) -> dict[str, str]:
    return {
        "propose": {"rule": "rank_order"},
        "publicity": {"starts_on": "2025-03-10"},
        "object": {"text": "评审过程需要说明。"},
        "decide": {},
        "withdraw": {"reason": "排名有误"},
    }[name]


@pytest.mark.parametrize("action", list(ACTIONS))
def test_who_may_act_on_the_awards(ranked: Ranked, action: str) -> None:
    needs, url_name, allowed = ACTIONS[action]
    stage(ranked, needs)
    url = ranked.url(url_name)
    with unchanged():
        for who in ROLES:
            if who in allowed:
                continue
            response = ranked.clients[who].post(url, action_post(action))
            assert response.status_code == 403, who
            assert errors_in(html_of(response)), who  # the page says why
    doer = "dept" if action == "decide" else "competitor" if action == "object" else "street"
    response = ranked.clients[doer].post(url, action_post(action))
    assert response.status_code == 302 and response["Location"].startswith(ranked.url())


def test_answering_an_objection_is_for_the_calls_officer(ranked: Ranked) -> None:
    award_list = publicise(ranked)
    objection = award_services.raise_objection(ranked.users["competitor"], award_list, "异议", None)
    url = ranked.url("call-awards-answer", objection.pk)
    with unchanged():
        for who in ["dept", "competitor", "applicant", "other_street", "resident"]:
            response = ranked.clients[who].post(url, {"decision": "dismiss", "response": "答复"})
            assert response.status_code == 403, who
    assert ranked.clients["street"].post(url, {"decision": "dismiss", "response": "答复"}).status_code == 302
    assert Objection.objects.get(pk=objection.pk).state == Objection.State.DISMISSED
    assert ranked.clients["street"].post(ranked.url("call-awards-answer", 999999), {}).status_code == 404


def test_writes_are_post_only(ranked: Ranked) -> None:
    for name in ["call-awards-propose", "call-awards-publicity", "call-awards-decide", "call-awards-withdraw"]:
        assert ranked.clients["street"].get(ranked.url(name)).status_code == 405


# --- the happy path --------------------------------------------------------------------------------------


def test_allocation_publicity_objection_and_decision(ranked: Ranked) -> None:
    street, dept, competitor = ranked.clients["street"], ranked.clients["dept"], ranked.clients["competitor"]
    html = html_of(street.get(ranked.url()))
    assert "Run the allocation" in html and '<option value="rank_order" selected>' in html
    html = html_of(street.post(ranked.url("call-awards-propose"), {"rule": "rank_order"}, follow=True))
    assert successes_in(html) == ["The allocation funds 1 application for ¥100,000.00."]
    assert 'data-list-state="proposed"' in html and "Allocated by: Rank order." in html
    assert "data-total>¥100,000.00<" in html and "¥300,000.00" in html and "¥200,000.00" in html  # left
    left_out = html.split("Not funded")[1]
    assert RIVAL_TITLE in left_out and "does not fit the remaining budget 200000.00" in left_out

    html = html_of(street.post(ranked.url("call-awards-publicity"), {"starts_on": "2025-03-10"}, follow=True))
    assert successes_in(html) == [
        "The list is in publicity from 2025-03-10 until 2025-03-17; anyone may object until then."
    ]
    assert "Publicity from 2025-03-10 until 2025-03-17." in html

    award = Award.objects.get(application=ranked.own)
    html = html_of(
        competitor.post(ranked.url("call-awards-object"), {"award": award.pk, "text": "请说明评分依据。"}, follow=True)
    )
    assert successes_in(html) == ["Your objection was received. The call&#x27;s officers answer it here."]
    assert "My objections" in html and "请说明评分依据。" in html and "not answered yet" in html
    assert "请说明评分依据。" not in html_of(ranked.clients["resident"].get(ranked.url()))  # the objector's own

    with unchanged():
        response = dept.post(ranked.url("call-awards-decide"))
        assert response.status_code == 400 and errors_in(html_of(response)) == [
            "Answer every objection before deciding."
        ]
    objection = Objection.objects.get(award_list__call=ranked.call)
    html = html_of(street.get(ranked.url()))
    assert "总干事1" in html and "请说明评分依据。" in html  # the officers see who objected
    html = html_of(
        street.post(
            ranked.url("call-awards-answer", objection.pk),
            {"decision": "dismiss", "response": "评分依据已公开。"},
            follow=True,
        )
    )
    assert successes_in(html) == ["The objection was dismissed; the response is on record."]
    assert "评分依据已公开。" in html_of(competitor.get(ranked.url()))

    html = html_of(dept.post(ranked.url("call-awards-decide"), follow=True))
    assert successes_in(html) == ["The awards are decided. Contracts can now be drafted."]
    assert Call.objects.get(pk=ranked.call.pk).state == Call.State.DECIDED
    assert Award.objects.get(pk=award.pk).state == Award.State.CONFIRMED
    assert Application.objects.get(pk=ranked.rival.pk).state == Application.State.NOT_AWARDED
    assert 'data-list-state="decided"' in html and "Decided awards" in html
    public = html_of(ranked.clients["resident"].get(ranked.url()))
    assert OWN_TITLE in public and reverse("application-detail", args=[ranked.own.pk]) in public
    assert RIVAL_TITLE not in public  # an application not funded stays its agency's business


def test_upholding_an_objection_revokes_the_award(ranked: Ranked) -> None:
    award_list = publicise(ranked)
    award = award_list.awards.get()
    objection = award_services.raise_objection(ranked.users["competitor"], award_list, "资质存疑", award)
    html = html_of(
        ranked.clients["street"].post(
            ranked.url("call-awards-answer", objection.pk), {"decision": "uphold", "response": "查实"}, follow=True
        )
    )
    assert successes_in(html) == [f"The objection was upheld; the award to {ranked.own.reference} is revoked."]
    assert Award.objects.get(pk=award.pk).state == Award.State.REVOKED
    assert f'data-award="{award.pk}"' in html and 'class="badge revoked"' in html
    assert "data-total>¥0.00<" in html


def test_withdrawing_lets_a_new_allocation_run(ranked: Ranked) -> None:
    street = ranked.clients["street"]
    propose(ranked)
    html = html_of(street.post(ranked.url("call-awards-withdraw"), {"reason": "排名有误"}, follow=True))
    assert successes_in(html) == ["The award list was withdrawn; a new allocation can be run."]
    assert "Withdrawn award lists" in html and "Run the allocation" in html
    html = html_of(street.post(ranked.url("call-awards-propose"), {"rule": "max_total_score"}, follow=True))
    assert "Allocated by: Largest total score within the budget." in html
    assert AwardList.objects.filter(call=ranked.call).count() == 2


def test_the_calls_caps_and_rules_are_shown(world: w.World) -> None:
    call = w.open_street_call(
        world, w.open_program(world), category_caps={"elderly": "150000.00"}, max_awards_per_agency=2
    )
    html = main_of(client(world.street_officer).get(reverse("call-awards", args=[call.pk])))
    assert "Services for older people: ¥150,000.00" in html and "Most awards per agency" in html
    assert "No award list has been published for this call yet." in html


# --- refusals ---------------------------------------------------------------------------------------------


def test_refusals_say_why_and_keep_the_form(ranked: Ranked) -> None:
    street, dept, competitor = ranked.clients["street"], ranked.clients["dept"], ranked.clients["competitor"]
    with unchanged():
        response = street.post(ranked.url("call-awards-propose"), {"rule": "lottery"})
        assert response.status_code == 400 and errors_in(html_of(response)) == ["Unknown allocation rule: lottery"]
        response = street.post(ranked.url("call-awards-publicity"), {"starts_on": "2025-03-10"})
        assert errors_in(html_of(response)) == ["This call has no award list yet."]
    propose(ranked)
    with unchanged():
        response = street.post(ranked.url("call-awards-propose"), {"rule": "rank_order"})
        assert errors_in(html_of(response)) == ["This call already has an award list; withdraw it first."]
        response = street.post(ranked.url("call-awards-publicity"), {"starts_on": "10/03/2025"})
        assert response.status_code == 400
        assert errors_in(html_of(response)) == ["Publicity starts on: give a date (YYYY-MM-DD)."]
        assert 'value="10/03/2025"' in html_of(response)
        response = street.post(ranked.url("call-awards-withdraw"), {"reason": " "})
        assert errors_in(html_of(response)) == ["Say why the award list is withdrawn."]
        response = competitor.post(ranked.url("call-awards-object"), {"text": "太早了"})
        assert errors_in(html_of(response)) == ["Objections are taken only during the publicity period."]
    today = timezone.localdate()
    award_list = AwardList.objects.get(call=ranked.call)
    award_services.start_publicity(ranked.users["street"], award_list, starts_on=today)
    with unchanged():
        response = dept.post(ranked.url("call-awards-decide"))
        assert response.status_code == 400
        assert errors_in(html_of(response))[0].startswith("The publicity period runs until")
        response = competitor.post(ranked.url("call-awards-object"), {"award": "", "text": "  "})
        assert response.status_code == 400 and errors_in(html_of(response)) == ["Say what the objection is."]
        response = competitor.post(ranked.url("call-awards-object"), {"award": "999999", "text": "异议内容"})
        assert errors_in(html_of(response)) == [
            "Choose an award on this list, or none to object to the list as a whole."
        ]
        assert "异议内容" in html_of(response)  # what was typed is kept
    objection = award_services.raise_objection(ranked.users["competitor"], award_list, "异议", None)
    with unchanged():
        response = street.post(ranked.url("call-awards-answer", objection.pk), {"response": "答复"})
        assert errors_in(html_of(response)) == ["Choose to uphold or to dismiss the objection."]
        response = street.post(ranked.url("call-awards-answer", objection.pk), {"decision": "uphold", "response": ""})
        assert errors_in(html_of(response)) == ["Answer the objection in words the objector can read."]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_state_of_the_page_has_its_fields_labelled(ranked: Ranked, language: str) -> None:
    from tests.web.test_accessibility import problems

    def check(*who: str) -> None:
        for name in who:
            response = ranked.clients[name].get(ranked.url(), HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200 and problems(html_of(response)) == [], name

    check("street", "dept")  # the ranking and the allocation form
    award_list = propose(ranked)
    check("street", "dept")  # the proposed list: publicity and withdrawal
    award_services.start_publicity(ranked.users["street"], award_list, starts_on=w.PUBLICITY_START)
    award_services.raise_objection(ranked.users["competitor"], award_list, "异议一", award_list.awards.first())
    award_services.raise_objection(ranked.users["competitor"], award_list, "异议二", None)
    check("street", "dept", "competitor", "resident")  # answers, decision, objections


def test_the_page_stays_within_a_bounded_number_of_queries(ranked: Ranked, django_assert_max_num_queries: Any) -> None:
    award_list = publicise(ranked)
    award_services.raise_objection(ranked.users["competitor"], award_list, "异议", None)
    for who in ["street", "competitor", "resident"]:
        with django_assert_max_num_queries(25):
            assert ranked.clients[who].get(ranked.url()).status_code == 200
