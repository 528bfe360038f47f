"""The funding pages: the department's programs (list, new program, program page with its envelopes and
calls, opening and closing), the street's envelope, the new-call form on an envelope or directly on a
program, and the open / close / cancel buttons of the call page.

Built on the service-built world of `tests/world.py` (one department with two streets), plus a second
department with its own officer. Every write goes through the services: a refusal is a message with 400
or 403 and leaves every domain table as it was; what a user may not see is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.core.errors import RuleViolation
from grassroots.core.models import AuditEvent
from grassroots.evaluation.models import IndicatorSystem
from grassroots.funding import services as funding_services
from grassroots.funding.models import Call, Criterion, Envelope, Program
from grassroots.needs import services as needs_services
from grassroots.needs.models import Need
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Organization, Person
from tests import world as w

pytestmark = pytest.mark.django_db

#: The roles of the permission matrix (plus platform staff, who acts for everyone).
ROLES = ["dept", "other_dept", "street", "other_street", "manager", "resident", "staff"]
D = Decimal


@pytest.fixture(scope="module")
def place(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """Built once for the module on top of the world: a second department with its officer, an open program
    with the street's envelope and an open call on it, a draft program, a draft call on the envelope, and a
    prioritised need in each street's first community."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            other = org_services.register_organization(
                world.admin,
                kind="department",
                name="W市T区民政局",
                name_en="T District Civil Affairs",
                uscc=w.uscc("1", "1", 90),
            )
            person = org_services.add_person(world.admin, name="钱科长", username="other_dept_officer")
            org_services.add_membership(world.admin, person=person, organization=other, role="officer")
            program = w.open_program(world, title="2025年社区服务项目", title_en="Community services 2025")
            call = w.open_street_call(world, program, envelope="600000.00", funds="300000.00")
            assert call.envelope is not None
            draft_call = funding_services.create_call(
                world.street_officer,
                program=program,
                envelope=call.envelope,
                title="S街道助残服务（草稿）",
                title_en="S Street disability services (draft)",
                funds="50000.00",
                opens_on=date(2025, 5, 1),
                closes_on=date(2025, 5, 31),
                categories=[world.categories["disability"]],
                criteria=w.CRITERIA,
            )
            draft = funding_services.create_program(
                world.dept_officer,
                department=world.department,
                title="2026年社区服务项目（草稿）",
                title_en="Community services 2026 (draft)",
                fiscal_year=2026,
                budget="800000.00",
                categories=[world.categories["elderly"]],
            )
            needs = [prioritised_need(world, 0, "老年人助餐", "Meals for older people")]
            needs.append(prioritised_need(world, 2, "儿童课后看护", "After-school care"))
            built = {
                "other_dept": other.pk,
                "other_dept_officer": person.user_id or 0,
                "program": program.pk,
                "envelope": call.envelope.pk,
                "call": call.pk,
                "draft_call": draft_call.pk,
                "draft_program": draft.pk,
                "need": needs[0].pk,
                "other_need": needs[1].pk,
            }
        yield built


def prioritised_need(world: w.World, index: int, title: str, title_en: str) -> Need:
    """A need of community `index`, raised by a resident and prioritised by the community's meeting."""
    community, worker = world.communities[index], world.community_workers[index]
    need = needs_services.raise_need(
        world.residents[index][0],
        community=community,
        title=title,
        title_en=title_en,
        category=world.categories["elderly"],
        raised_on=date(2025, 1, 6),
        people_affected=50,
    )
    meeting = needs_services.plan_meeting(
        worker,
        community=community,
        title="居民议事会",
        held_on=date(2025, 1, 20),
        agenda=[need],
        participants=[(p, "resident") for p in Person.objects.filter(home_community=community)],
        quorum=1,
        priorities=1,
        approvals=1,
    )
    needs_services.open_voting(worker, meeting)
    needs_services.cast_ballot(world.residents[index][0], meeting, {need.pk: 1})
    needs_services.close_meeting(worker, meeting)
    need.refresh_from_db()
    assert need.state == Need.State.PRIORITISED
    return need


_clients: dict[str, Client] = {}


def user_of(world: w.World, place: dict[str, int], role: str) -> Any:
    return {
        "dept": lambda: world.dept_officer,
        "other_dept": lambda: get_user_model().objects.get(pk=place["other_dept_officer"]),
        "street": lambda: world.street_officer,
        "other_street": lambda: world.other_street_officer,
        "manager": lambda: world.managers[0],
        "resident": lambda: world.residents[0][0],
        "staff": lambda: world.admin,
    }[role]()


@pytest.fixture(autouse=True)
def browsers(world: w.World, place: dict[str, int]) -> Iterator[None]:
    """Everyone logged in (in English) before the test starts, since logging in writes the login's time."""
    for role in ROLES:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user_of(world, place, role))
        _clients[role] = client
    yield
    _clients.clear()


def as_(role: str) -> Client:
    return _clients[role]


def text_of(response: Any) -> str:
    return response.content.decode()


def errors_in(response: Any) -> list[str]:
    return [unescape(e) for e in re.findall(r'<li class="error">(.*?)</li>', text_of(response), flags=re.S)]


def says_why(response: Any) -> bool:
    """A refusal names its reason: as an error message on the page, or on the 403 page."""
    page = text_of(response)
    forbidden_page = "Not allowed" in page and ("Only officers" in page or "Only an officer" in page)
    return bool(errors_in(response)) or forbidden_page


@contextmanager
def unchanged() -> Iterator[None]:
    """The block's requests must leave every domain table exactly as it was."""
    before = w.fingerprint()
    yield
    after = w.fingerprint()
    assert [label for label in before if before[label] != after[label]] == []


def url(name: str, *args: int) -> str:
    return reverse(name, args=list(args))


# --- forms as a browser posts them -----------------------------------------------------------------------------


def program_form(world: w.World, **changes: Any) -> dict[str, Any]:
    form = {
        "department": world.department.pk,
        "title": "2027年为老服务项目",
        "title_en": "Elderly services 2027",
        "fiscal_year": "2027",
        "budget": "1,200,000.00",
        "category": [world.categories["elderly"].pk, world.categories["youth"].pk],
        "method": "selective",
        "eligibility": "在本区登记的社会组织。",
        "tranches": "40/30/30",
        "grade-excellent": "1",
        "grade-good": "0.9",
        "grade-pass": "0.7",
        "grade-fail": "0",
        "management_fee_cap": "8",
        "personnel_share_cap": "55",
        "max_term_months": "18",
    }
    form.update(changes)
    return form


CRITERIA_ROWS = [
    ("需求契合度", "Fit to needs", "40", "reviewers"),
    ("方案设计", "Design", "45", "reviewers"),
    ("以往绩效", "Past performance", "15", "performance"),
]


def call_form(
    world: w.World, criteria: list[tuple[str, str, str, str]] | None = None, **changes: Any
) -> dict[str, Any]:
    rows = CRITERIA_ROWS if criteria is None else criteria
    form: dict[str, Any] = {
        "title": "S街道第二批服务项目",
        "title_en": "S Street second round",
        "description": "面向社工机构与社区联合申报。",
        "funds": "200000.00",
        "matching_funds": "30000",
        "max_request": "80000",
        "opens_on": "2025-06-01",
        "closes_on": "2025-06-30",
        "category": [world.categories["elderly"].pk, world.categories["youth"].pk],
        f"cap-{world.categories['elderly'].pk}": "150000",
        "min_score": "65",
        "reviewers_per_application": "2",
        "aggregation": "trimmed_mean",
        "disagreement_threshold": "15",
        "conflict_years": "2",
        "performance_default": "72",
        "award_rule": "max_total_score",
        "max_awards_per_agency": "2",
        "publicity_days": "7",
        "criteria_rows": str(len(rows) + 2),
    }
    for i, (name, name_en, points, source) in enumerate(rows):
        form.update({f"c-{i}-name": name, f"c-{i}-name_en": name_en, f"c-{i}-points": points, f"c-{i}-source": source})
    form.update(changes)
    return form


# --- who sees which page -----------------------------------------------------------------------------------------

PAGES: dict[str, dict[str, int]] = {
    # the department's own pages
    "program-list": {"dept": 200, "other_dept": 200, "staff": 200},
    "program-create": {"dept": 200, "other_dept": 200, "staff": 200},
    # an open program is a public document
    "program-detail": dict.fromkeys(ROLES, 200),
    # a draft program only to its department
    "draft-program": {"dept": 200, "staff": 200},
    "program-call-create": {"dept": 200, "staff": 200},
    "envelope-detail": {"dept": 200, "street": 200, "staff": 200},
    "envelope-call-create": {"street": 200, "staff": 200, "dept": 403},  # the department sees, may not call
    "draft-call": {"dept": 200, "street": 200, "staff": 200},
    "open-call": dict.fromkeys(ROLES, 200),
}


def page_url(page: str, place: dict[str, int]) -> str:
    return {
        "program-list": url("program-list"),
        "program-create": url("program-create"),
        "program-detail": url("program-detail", place["program"]),
        "draft-program": url("program-detail", place["draft_program"]),
        "program-call-create": url("program-call-create", place["program"]),
        "envelope-detail": url("envelope-detail", place["envelope"]),
        "envelope-call-create": url("envelope-call-create", place["envelope"]),
        "draft-call": url("call-detail", place["draft_call"]),
        "open-call": url("call-detail", place["call"]),
    }[page]


def refused_status(page: str) -> int:
    """What a role not listed gets: 403 where it sees the object (or the page has none), else 404."""
    if page in ("program-list", "program-create", "program-call-create"):
        return 403
    return 404


@pytest.mark.parametrize("page", list(PAGES))
def test_permission_matrix_of_the_pages(place: dict[str, int], page: str) -> None:
    address = page_url(page, place)
    seen = {role: as_(role).get(address).status_code for role in ROLES}
    assert seen == {role: PAGES[page].get(role, refused_status(page)) for role in ROLES}
    response = Client().get(address)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_forbidden_pages_say_why(place: dict[str, int]) -> None:
    response = as_("street").get(url("program-create"))
    assert response.status_code == 403 and "Only officers of a purchasing department" in text_of(response)
    response = as_("dept").get(url("envelope-call-create", place["envelope"]))
    assert response.status_code == 403 and "Only an officer of S Street Office may do this." in text_of(response)
    # A refused call form is not shown again: it would list the needs of communities the user may not see.
    with unchanged():
        response = as_("resident").post(url("program-call-create", place["program"]), {"title": "x"})
    assert response.status_code == 403 and "After-school care" not in text_of(response)


def test_unknown_objects_are_404(place: dict[str, int]) -> None:
    for name in ["program-detail", "program-call-create", "envelope-detail", "envelope-call-create"]:
        assert as_("staff").get(url(name, 999999)).status_code == 404
    for name in ["program-state", "envelope-allocate", "call-state"]:
        assert as_("staff").post(url(name, 999999), {"action": "open"}).status_code == 404


def write(action: str, world: w.World, place: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """The address and data of each write the matrix tries."""
    return {
        "create-program": (url("program-create"), program_form(world)),
        "open-program": (url("program-state", place["draft_program"]), {"action": "open"}),
        "close-program": (url("program-state", place["program"]), {"action": "close"}),
        "allocate": (
            url("envelope-allocate", place["program"]),
            {"street": world.other_street.pk, "amount": "100000"},
        ),
        "street-call": (url("envelope-call-create", place["envelope"]), call_form(world)),
        "direct-call": (url("program-call-create", place["program"]), call_form(world, matching_funds="0")),
        "open-call": (url("call-state", place["draft_call"]), {"action": "open"}),
        "cancel-call": (url("call-state", place["call"]), {"action": "cancel", "reason": "预算调整"}),
    }[action]


WRITES: dict[str, dict[str, int]] = {
    # the other department may issue programs, but not for this department: its choice is refused
    "create-program": {"dept": 302, "staff": 302, "other_dept": 400},
    "open-program": {"dept": 302, "staff": 302},
    "close-program": {"dept": 302, "staff": 302},
    "allocate": {"dept": 302, "staff": 302},
    "street-call": {"street": 302, "staff": 302},
    "direct-call": {"dept": 302, "staff": 302},
    "open-call": {"street": 302, "staff": 302, "dept": 403},
    "cancel-call": {"street": 302, "staff": 302},
}


def expected_write(action: str, role: str) -> int:
    if role in WRITES[action]:
        return WRITES[action][role]
    # a draft program, a street's envelope and a draft call do not exist for outsiders
    hidden = {
        "open-program": {"other_dept", "street", "other_street", "manager", "resident"},
        "street-call": {"other_dept", "other_street", "manager", "resident"},
        "open-call": {"other_dept", "other_street", "manager", "resident"},
    }
    return 404 if role in hidden.get(action, set()) else 403


@pytest.mark.parametrize("action", list(WRITES))
def test_permission_matrix_of_the_writes(world: w.World, place: dict[str, int], action: str) -> None:
    """Each role tries each write; a refusal writes nothing and, when the object is seen, says why."""
    address, data = write(action, world, place)
    for role in ROLES:
        status = expected_write(action, role)
        if status == 302:
            continue  # tried below: a success changes the world for the next roles
        with unchanged():
            response = as_(role).post(address, data)
        assert response.status_code == status, role
        if status in (400, 403):
            assert says_why(response), role
    with unchanged():
        response = Client().post(address, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = as_("dept" if WRITES[action].get("dept") == 302 else "street").post(address, data)
    assert response.status_code == 302, errors_in(response)


# --- programs ----------------------------------------------------------------------------------------------------


def test_the_list_shows_the_departments_programs_with_what_they_commit(world: w.World, place: dict[str, int]) -> None:
    html = text_of(as_("dept").get(url("program-list")))
    assert "Community services 2025" in html and "Community services 2026 (draft)" in html
    row = re.search(rf'<tr data-program="{place["program"]}">.*?</tr>', html, flags=re.S)
    assert row is not None
    for shown in ["2025", "¥1,000,000.00", "¥600,000.00", "¥400,000.00", "Open", 'style="width: 60%"']:
        assert shown in row.group(0), shown
    assert url("program-create") in html
    other = text_of(as_("other_dept").get(url("program-list")))
    assert "Community services 2025" not in other and "No programs yet." in other


def test_the_list_filters_by_year_and_state_and_searches_titles(place: dict[str, int]) -> None:
    client = as_("dept")
    html = text_of(client.get(url("program-list") + "?year=2026"))
    assert "Community services 2026 (draft)" in html and "Community services 2025<" not in html
    html = text_of(client.get(url("program-list") + "?state=open"))
    assert "Community services 2025" in html and "(draft)" not in html
    html = text_of(client.get(url("program-list") + "?q=草稿"))
    assert "Community services 2026 (draft)" in html and f'data-program="{place["program"]}"' not in html
    html = text_of(client.get(url("program-list") + "?q=services 2025"))  # the English title is searched too
    assert f'data-program="{place["program"]}"' in html
    html = text_of(client.get(url("program-list") + "?q=nothing-like-this"))
    assert "No program matches the filter." in html
    html = text_of(client.get(url("program-list") + "?year=abc&state=nonsense"))  # unknown filters are ignored
    assert f'data-program="{place["program"]}"' in html and f'data-program="{place["draft_program"]}"' in html


def test_a_department_officer_issues_a_program(world: w.World) -> None:
    response = as_("dept").post(url("program-create"), program_form(world))
    assert response.status_code == 302
    program = Program.objects.get(title="2027年为老服务项目")
    assert response["Location"] == url("program-detail", program.pk)
    assert (program.department_id, program.fiscal_year, program.budget) == (world.department.pk, 2027, D("1200000"))
    assert program.state == Program.State.DRAFT and program.method == "selective"
    assert program.tranche_percents == ["40", "30", "30"]
    assert program.grade_factors == {"excellent": "1", "good": "0.9", "pass": "0.7", "fail": "0"}
    assert (program.management_fee_cap, program.personnel_share_cap, program.max_term_months) == (8, 55, 18)
    assert {c.code for c in program.categories.all()} == {"elderly", "youth"}
    assert AuditEvent.objects.filter(action="program.created", object_id=str(program.pk)).exists()
    html = text_of(as_("dept").get(response["Location"]))
    assert "The program was created as a draft." in html and "Open the program" in html


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"tranches": "30/40/20"}, "Tranche shares must add up to 100%, not 90%."),
        ({"tranches": "30/abc/70"}, "Tranches: “abc” is not a number."),
        ({"budget": "0"}, "A program needs a positive budget."),
        ({"budget": "1000.001"}, "An amount has at most two decimal places"),
        ({"budget": "much"}, "is not an amount of money"),
        ({"budget": "1e30"}, "is too large"),
        ({"category": []}, "A program names at least one service category."),
        ({"title": "  "}, "A program needs a title."),
        ({"fiscal_year": "twenty"}, "Fiscal year: give a whole number."),
        ({"fiscal_year": "-5"}, "-5 is not a fiscal year."),
        ({"grade-pass": "1.5"}, "A grade factor lies between 0 and 1."),
        ({"grade-fail": "none"}, "give a number"),
        ({"management_fee_cap": "150"}, "150 is not between 0 and 100."),
        ({"max_term_months": "48"}, "A contract term lies between 1 and 36 months."),
        ({"department": "999999"}, "Choose the department that issues the program."),
    ],
)
def test_a_refused_program_keeps_the_form_and_writes_nothing(
    world: w.World, changes: dict[str, Any], reason: str
) -> None:
    with unchanged():
        response = as_("dept").post(url("program-create"), program_form(world, **changes))
    assert response.status_code == 400
    assert any(reason in e for e in errors_in(response)), errors_in(response)
    html = text_of(response)
    if "title" not in changes:
        assert 'value="2027年为老服务项目"' in html and 'value="Elderly services 2027"' in html
    assert "在本区登记的社会组织。" in html  # what was typed is kept


def test_the_department_opens_and_closes_a_program(world: w.World, place: dict[str, int]) -> None:
    client = as_("dept")
    response = client.post(url("program-state", place["draft_program"]), {"action": "open"})
    assert response.status_code == 302
    assert Program.objects.get(pk=place["draft_program"]).state == Program.State.OPEN
    with unchanged():  # an open program is not opened again
        response = client.post(url("program-state", place["draft_program"]), {"action": "open"})
        assert response.status_code == 400 and errors_in(response)
        response = client.post(url("program-state", place["draft_program"]), {"action": "nonsense"})
        assert response.status_code == 400 and "Choose to open or close the program." in errors_in(response)
    response = client.post(url("program-state", place["draft_program"]), {"action": "close"})
    assert response.status_code == 302
    assert Program.objects.get(pk=place["draft_program"]).state == Program.State.CLOSED
    html = text_of(client.get(url("program-detail", place["draft_program"])))
    assert "Close the program" not in html and 'id="allocate"' not in html


def test_the_program_page_shows_its_budget_envelopes_and_calls(world: w.World, place: dict[str, int]) -> None:
    html = text_of(as_("dept").get(url("program-detail", place["program"])))
    assert "Community services 2025" in html and "Civil Affairs Bureau" in html
    assert 'data-figure="budget">¥1,000,000.00' in html and 'data-figure="envelopes">¥600,000.00' in html
    assert 'data-figure="direct">¥0.00' in html and 'data-figure="left">¥400,000.00' in html
    row = re.search(rf'<tr data-envelope="{place["envelope"]}">.*?</tr>', html, flags=re.S)
    assert row is not None
    # the draft call counts against the envelope too
    for shown in [
        "S Street Office",
        "¥600,000.00",
        "¥350,000.00",
        "¥250,000.00",
        url("envelope-detail", place["envelope"]),
    ]:
        assert shown in row.group(0), shown
    assert url("call-detail", place["call"]) in html and url("call-detail", place["draft_call"]) in html
    assert url("program-indicators", place["program"]) in html
    assert 'style="width: 60%"' in html and 'style="width: 40%"' in html  # the budget bars
    # the allocation form offers the street without an envelope only
    form = re.search(r'<form[^>]*id="allocate".*?</form>', html, flags=re.S)
    assert form is not None and "T Street Office" in form.group(0) and "S Street Office" not in form.group(0)
    assert "Close the program" in html and url("program-call-create", place["program"]) in html
    # A street officer sees the program and its own envelope, but no actions and no draft call of others
    html = text_of(as_("other_street").get(url("program-detail", place["program"])))
    assert 'id="allocate"' not in html and "Close the program" not in html
    assert url("envelope-detail", place["envelope"]) not in html and url("call-detail", place["draft_call"]) not in html
    assert url("call-detail", place["call"]) in html


def test_the_department_entrusts_an_envelope(world: w.World, place: dict[str, int]) -> None:
    response = as_("dept").post(
        url("envelope-allocate", place["program"]), {"street": world.other_street.pk, "amount": "¥150,000.50"}
    )
    assert response.status_code == 302 and response["Location"] == url("program-detail", place["program"])
    envelope = Envelope.objects.get(program_id=place["program"], street=world.other_street)
    assert envelope.amount == D("150000.50")
    html = text_of(as_("dept").get(response["Location"]))
    assert "T Street Office was entrusted an envelope of ¥150,000.50." in html
    assert 'data-figure="left">¥249,999.50' in html


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"amount": "400000.01"}, "exceeds what is left of the program's budget (400000.00)"),
        ({"amount": "-1"}, "An envelope needs a positive amount."),
        ({"amount": "abc"}, "is not an amount of money"),
        ({"amount": ""}, "Amount of the envelope: give an amount in yuan."),
        ({"street": "S"}, "Choose a street office of the department"),  # the street that has one already
    ],
)
def test_a_refused_envelope_writes_nothing(
    world: w.World, place: dict[str, int], data: dict[str, str], reason: str
) -> None:
    form = {"street": str(world.other_street.pk), "amount": "100000"} | data
    if form["street"] == "S":
        form["street"] = str(world.street.pk)
    with unchanged():
        response = as_("dept").post(url("envelope-allocate", place["program"]), form)
    assert response.status_code == 400
    assert any(reason in e for e in errors_in(response)), errors_in(response)
    assert f'value="{form["amount"]}"' in text_of(response)


def test_a_community_is_no_street_for_an_envelope(world: w.World, place: dict[str, int]) -> None:
    with unchanged():
        response = as_("dept").post(
            url("envelope-allocate", place["program"]), {"street": world.communities[0].pk, "amount": "1000"}
        )
    assert response.status_code == 400 and any("Choose a street office" in e for e in errors_in(response))


# --- the envelope and calls --------------------------------------------------------------------------------------


def test_the_envelope_page_shows_what_is_called_and_left(world: w.World, place: dict[str, int]) -> None:
    html = text_of(as_("street").get(url("envelope-detail", place["envelope"])))
    assert "Envelope of S Street Office" in html and "Community services 2025" in html
    assert 'data-figure="amount">¥600,000.00' in html
    assert 'data-figure="called">¥350,000.00' in html and 'data-figure="left">¥250,000.00' in html
    assert url("call-detail", place["call"]) in html and url("call-detail", place["draft_call"]) in html
    assert url("envelope-call-create", place["envelope"]) in html
    html = text_of(as_("dept").get(url("envelope-detail", place["envelope"])))
    assert url("envelope-call-create", place["envelope"]) not in html and "¥250,000.00" in html


def test_the_call_form_offers_the_programs_categories_and_the_streets_needs(
    world: w.World, place: dict[str, int]
) -> None:
    html = text_of(as_("street").get(url("envelope-call-create", place["envelope"])))
    assert "on the street's envelope, ¥250,000.00 left to call" in html
    assert 'name="funds" inputmode="decimal" required value="250000.00"' in html
    assert "Meals for older people" in html and "After-school care" not in html  # the other street's need
    for code in ("elderly", "youth", "disability"):
        assert f'name="category" value="{world.categories[code].pk}" checked' in html
    assert "Fit with consulted needs" in html  # the default criteria
    assert 'id="criteria-total"' in html and "Points add up to: 100 / 100" in html
    assert "Street matching funds" in html
    direct = text_of(as_("dept").get(url("program-call-create", place["program"])))
    assert "directly on the program, ¥400,000.00 left to call" in direct
    assert 'name="matching_funds"' not in direct
    assert "Meals for older people" in direct and "After-school care" in direct  # the whole department's


def test_a_street_officer_creates_a_call_with_criteria_and_needs(world: w.World, place: dict[str, int]) -> None:
    form = call_form(world, need=[place["need"]])
    response = as_("street").post(url("envelope-call-create", place["envelope"]), form)
    assert response.status_code == 302, errors_in(response)
    call = Call.objects.get(title="S街道第二批服务项目")
    assert response["Location"] == url("call-detail", call.pk)
    assert (call.envelope_id, call.issuer_id, call.state) == (place["envelope"], world.street.pk, Call.State.DRAFT)
    assert (call.funds, call.matching_funds, call.max_request) == (D("200000"), D("30000"), D("80000"))
    assert (call.opens_on, call.closes_on) == (date(2025, 6, 1), date(2025, 6, 30))
    assert (call.min_score, call.reviewers_per_application, call.aggregation) == (65, 2, "trimmed_mean")
    assert (call.disagreement_threshold, call.conflict_years, call.performance_default) == (15, 2, 72)
    assert (call.award_rule, call.max_awards_per_agency, call.publicity_days) == ("max_total_score", 2, 7)
    assert call.category_caps == {"elderly": "150000.00"}
    assert {c.code for c in call.categories.all()} == {"elderly", "youth"}
    assert [(c.name, c.name_en, c.weight, c.source) for c in call.criteria.all()] == [
        ("需求契合度", "Fit to needs", 40, "reviewers"),
        ("方案设计", "Design", 45, "reviewers"),
        ("以往绩效", "Past performance", 15, Criterion.Source.PERFORMANCE),
    ]
    assert list(call.needs.values_list("pk", flat=True)) == [place["need"]]
    html = text_of(as_("street").get(response["Location"]))
    assert "The call was saved as a draft." in html and "Open the call for applications" in html


def test_a_department_officer_opens_a_call_directly_on_the_program(world: w.World, place: dict[str, int]) -> None:
    response = as_("dept").post(
        url("program-call-create", place["program"]),
        call_form(world, matching_funds="5000", need=[place["other_need"]]),
    )
    assert response.status_code == 302, errors_in(response)
    call = Call.objects.get(title="S街道第二批服务项目")
    assert call.envelope_id is None and call.issuer_id == world.department.pk
    assert call.matching_funds == 0  # a department adds no street matching funds
    assert list(call.needs.values_list("pk", flat=True)) == [place["other_need"]]
    assert funding_services.committed(call.program) == D("800000.00")


@pytest.mark.parametrize(
    ("changes", "criteria", "reason"),
    [
        ({}, [("需求契合度", "Fit", "40", "reviewers"), ("方案设计", "Design", "50", "reviewers")], "add up to 100"),
        ({}, [("需求", "", "abc", "reviewers")], "Points of the criterion “需求”: give a number."),
        ({}, [("", "Fit", "100", "reviewers")], "Criterion 1: give its name."),
        ({}, [], "Give the review criteria and their points."),
        ({}, [("以往绩效", "", "100", "performance")], "At least one criterion must be scored by the reviewers."),
        ({"funds": "250000.01"}, None, "exceed what is left (250000.00)"),
        ({"funds": "abc"}, None, "is not an amount of money"),
        ({"closes_on": "2025-05-01"}, None, "A call cannot close before it opens."),
        ({"opens_on": "June"}, None, "Opens on: give a date (YYYY-MM-DD)."),
        ({"category": []}, None, "A call's categories must come from its program's categories."),
        ({"max_request": "300000"}, None, "The largest request must be positive and at most the call's budget"),
        ({"min_score": "120"}, None, "120 is not between 0 and 100."),
        ({"publicity_days": "0"}, None, "A publicity period lasts from 1 to 30 working days."),
        ({"reviewers_per_application": "x"}, None, "give a whole number"),
        ({"title": ""}, None, "A call needs a title."),
        ({"need": ["NEED2"]}, None, "A call bundles only the prioritised needs of the communities it covers."),
    ],
)
def test_a_refused_call_keeps_the_form_and_writes_nothing(
    world: w.World,
    place: dict[str, int],
    changes: dict[str, Any],
    criteria: list[tuple[str, str, str, str]] | None,
    reason: str,
) -> None:
    if changes.get("need") == ["NEED2"]:
        changes = {"need": [place["other_need"]]}  # the other street's need
    with unchanged():
        response = as_("street").post(
            url("envelope-call-create", place["envelope"]), call_form(world, criteria, **changes)
        )
    assert response.status_code == 400
    assert any(reason in e for e in errors_in(response)), errors_in(response)
    html = text_of(response)
    assert "面向社工机构与社区联合申报。" in html  # what was typed is kept
    if criteria:
        assert f'value="{criteria[0][0]}"' in html or criteria[0][0] == ""


def test_the_service_bundles_only_needs_of_the_issuers_communities(world: w.World, place: dict[str, int]) -> None:
    """The rule the form relies on holds for every caller of the service (the API, the demo)."""
    program = Program.objects.get(pk=place["program"])
    with w.refused(RuleViolation, match="A call bundles only needs of the communities"):
        funding_services.create_call(
            world.street_officer,
            program=program,
            envelope=Envelope.objects.get(pk=place["envelope"]),
            title="跨街道打包",
            funds="1000.00",
            opens_on=date(2025, 7, 1),
            closes_on=date(2025, 7, 31),
            categories=[world.categories["elderly"]],
            criteria=w.CRITERIA,
            needs=[Need.objects.get(pk=place["other_need"])],
        )


def test_the_live_total_adds_up_the_shares(place: dict[str, int]) -> None:
    client = as_("street")
    response = client.post(
        url("funding-total"),
        {"of": "criteria", "criteria_rows": "3", "c-0-points": "40", "c-1-points": "35.5", "c-2-points": ""},
    )
    assert response.status_code == 200
    html = text_of(response)
    assert 'id="criteria-total"' in html and "75.5 / 100" in html and 'class="counter over"' in html
    html = text_of(client.post(url("funding-total"), {"of": "tranches", "tranches": "30/40/30"}))
    assert 'id="tranche-total"' in html and "100 / 100" in html and "over" not in html
    html = text_of(client.post(url("funding-total"), {"of": "tranches", "tranches": "30/x"}))
    assert "a share is not a number" in html
    assert Client().post(url("funding-total"), {"of": "tranches"}).status_code == 302


# --- the call page's actions -------------------------------------------------------------------------------------


def test_the_call_page_shows_the_actions_to_the_issuers_officers_only(place: dict[str, int]) -> None:
    draft = url("call-detail", place["draft_call"])
    html = text_of(as_("street").get(draft))
    assert 'id="call-actions"' in html and 'value="open"' in html and 'value="cancel"' in html
    assert 'value="close"' not in html and url("envelope-detail", place["envelope"]) in html
    html = text_of(as_("street").get(url("call-detail", place["call"])))
    assert 'value="close"' in html and 'value="open"' not in html
    for role in ["dept", "other_street", "manager", "resident"]:
        html = text_of(as_(role).get(url("call-detail", place["call"])))
        assert 'id="call-actions"' not in html, role
        assert "Review criteria" in html, role  # the rest of the page as before


def test_the_street_opens_closes_and_the_review_starts(world: w.World, place: dict[str, int]) -> None:
    client = as_("street")
    response = client.post(url("call-state", place["draft_call"]), {"action": "open"})
    assert response.status_code == 302 and response["Location"] == url("call-detail", place["draft_call"])
    call = Call.objects.get(pk=place["draft_call"])
    assert call.state == Call.State.OPEN
    assert IndicatorSystem.objects.get(program_id=place["program"]).frozen_on is not None
    assert "The call is open for applications." in text_of(client.get(response["Location"]))
    w.submitted_application(
        world,
        call,
        agency=1,
        requested="40000.00",
        category="disability",
        on=call.opens_on,
        submitted_on=call.closes_on,
    )
    response = client.post(url("call-state", place["draft_call"]), {"action": "close"})
    assert response.status_code == 302, errors_in(response)
    call.refresh_from_db()
    assert call.state == Call.State.REVIEW
    html = text_of(client.get(response["Location"]))
    assert re.findall(r'<li class="success">(.*?)</li>', html) == [
        "Submissions are closed and the review has started: 1 eligible applications, 3 reviews assigned."
    ]
    with unchanged():  # a call under review is not closed twice
        response = client.post(url("call-state", place["draft_call"]), {"action": "close"})
        assert response.status_code == 400 and errors_in(response)


def test_cancelling_a_call_needs_a_reason_and_gives_the_funds_back(world: w.World, place: dict[str, int]) -> None:
    client = as_("street")
    with unchanged():
        response = client.post(url("call-state", place["call"]), {"action": "cancel", "reason": "  "})
        assert response.status_code == 400 and "Say why the call is cancelled." in errors_in(response)
        response = client.post(url("call-state", place["call"]), {"action": "withdraw"})
        assert response.status_code == 400 and "Choose to open, close or cancel the call." in errors_in(response)
    response = client.post(url("call-state", place["call"]), {"action": "cancel", "reason": "预算调整"})
    assert response.status_code == 302
    assert Call.objects.get(pk=place["call"]).state == Call.State.CANCELLED
    html = text_of(client.get(url("envelope-detail", place["envelope"])))
    assert 'data-figure="called">¥50,000.00' in html and 'data-figure="left">¥550,000.00' in html
    with unchanged():
        response = client.post(url("call-state", place["call"]), {"action": "open"})
        assert response.status_code == 400 and errors_in(response)


def test_a_call_on_a_closed_program_is_refused(world: w.World, place: dict[str, int]) -> None:
    funding_services.close_program(world.dept_officer, Program.objects.get(pk=place["program"]))
    html = text_of(as_("street").get(url("envelope-call-create", place["envelope"])))
    assert "The program is not open" in html
    with unchanged():
        response = as_("street").post(url("envelope-call-create", place["envelope"]), call_form(world))
        assert response.status_code == 400 and "Calls can be opened only on an open program." in errors_in(response)
        response = as_("street").post(url("call-state", place["draft_call"]), {"action": "open"})
        assert response.status_code == 400 and "The program of this call is not open." in errors_in(response)


# --- the pages in Chinese, and their cost ----------------------------------------------------------------------


def test_the_pages_speak_chinese(place: dict[str, int]) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(username="dept_officer"))
    html = text_of(client.get(url("program-detail", place["program"])))
    assert "2025年社区服务项目" in html and "S街道办事处" in html and "¥1,000,000.00" in html


def test_the_pages_cost_a_fixed_number_of_queries(world: w.World, place: dict[str, int]) -> None:
    """More programs, envelopes and calls do not mean more queries (no query per row)."""

    def cost(address: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_("dept").get(address).status_code == 200
        return len(queries.captured_queries)

    pages = [url("program-list"), url("program-detail", place["program"]), url("envelope-detail", place["envelope"])]
    before = [cost(p) for p in pages]
    program = Program.objects.get(pk=place["program"])
    funding_services.allocate_envelope(world.dept_officer, program=program, street=world.other_street, amount="1000")
    for year in (2027, 2028, 2029):
        funding_services.create_program(
            world.dept_officer,
            department=world.department,
            title=f"{year}年项目",
            fiscal_year=year,
            budget="5000.00",
            categories=[world.categories["youth"]],
        )
    envelope = Envelope.objects.get(pk=place["envelope"])
    for n in range(3):
        funding_services.create_call(
            world.street_officer,
            program=program,
            envelope=envelope,
            title=f"追加申报{n}",
            funds="1000.00",
            opens_on=date(2025, 7, 1),
            closes_on=date(2025, 7, 31),
            categories=[world.categories["youth"]],
            criteria=w.CRITERIA,
        )
    assert [cost(p) for p in pages] == before
    assert Organization.objects.filter(kind="department").count() == 2
