"""The joint application form: an agency's manager writes a draft on an open call (partner communities, team,
indicators, budget lines, matching funds, linked needs), sees the budget's totals and the program's caps live
(htmx posts the form to a small endpoint), edits the draft, submits it once complete and withdraws it.

Every write goes through the services: a refusal is a message with 400 or 403 and leaves every domain table
as it was; an application or call the user may not see is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.applications.models import Application, BudgetLine
from grassroots.core.models import AuditEvent
from grassroots.funding.models import ServiceCategory
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, Person
from tests.world import fingerprint

from .conftest import WebWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("taking_applications")]

#: Who is who in the permission matrices.
ROLES = ["mgr_a", "sw_a", "mgr_b", "street", "dept", "cw1", "resident", "evaluator", "nobody", "staff"]

_clients: dict[str, Client] = {}


@pytest.fixture(autouse=True)
def logged_in(web: WebWorld) -> Iterator[None]:
    """Everyone logged in (in English) before the test starts, since logging in writes the login's time."""
    for who in ROLES:
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        c.force_login(web.user(who))
        _clients[who] = c
    yield
    _clients.clear()


def client(web: WebWorld, who: str) -> Client:
    return _clients[who]


def apply_url(web: WebWorld, call: str = "open_call") -> str:
    return reverse("application-create", args=[web.pk[call]])


def totals_url(web: WebWorld) -> str:
    return reverse("application-totals", args=[web.pk["open_call"]])


def the(model: Any, **kwargs: Any) -> Any:
    return model.objects.get(**kwargs)


def form(web: WebWorld, **overrides: Any) -> dict[str, Any]:
    """A complete application of agency A on the open call, as the form posts it."""
    agency = the(Organization, name="阳光社工服务中心")
    worker = the(Person, user__username="web_sw_a")
    data: dict[str, Any] = {
        "lead_agency": str(agency.pk),
        "title": "社区青少年成长营",
        "title_en": "Youth growth camp",
        "category": str(the(ServiceCategory, code="youth").pk),
        "term_months": "10",
        "summary": "为社区青少年提供课后成长支持。",
        "objectives": "提升青少年社交能力。",
        "communities": [str(the(Organization, name="东湖社区").pk)],
        "team": [str(worker.pk)],
        f"role-{worker.pk}": "lead",
        "indicator_rows": "2",
        "indicator-0-name": "小组活动节数",
        "indicator-0-kind": "output",
        "indicator-0-measure": "sessions",
        "indicator-0-service_kind": "group",
        "indicator-0-unit": "节",
        "indicator-0-target": "24",
        "indicator-1-name": "",
        "indicator-1-target": "",
        "line_rows": "4",
        "line-0-head": "personnel",
        "line-0-description": "社工人力",
        "line-0-amount": "50000",
        "line-1-head": "activities",
        "line-1-description": "活动费用",
        "line-1-amount": "38,000.00",
        "line-2-head": "management",
        "line-2-description": "管理费",
        "line-2-amount": "¥8000",
        "line-3-head": "materials",
        "line-3-description": "",
        "line-3-amount": "",
        "match_rows": "1",
        "match-0-source": "community",
        "match-0-provider": "东湖社区共建",
        "match-0-amount": "6000",
    }
    data.update(overrides)
    return data


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- who may open the form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mgr_a", 200),
        ("mgr_b", 200),
        ("staff", 200),
        ("sw_a", 403),
        ("street", 403),
        ("dept", 403),
        ("cw1", 403),
        ("resident", 403),
        ("evaluator", 403),
        ("nobody", 403),
    ],
)
def test_the_form_is_for_agency_managers(web: WebWorld, who: str, status: int) -> None:
    response = client(web, who).get(apply_url(web))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert 'name="title"' in html and 'name="line-0-amount"' in html
        assert reverse("application-totals", args=[web.pk["open_call"]]) in html  # the live totals endpoint


def test_a_call_the_user_may_not_see_is_a_404(web: WebWorld) -> None:
    assert client(web, "mgr_a").get(apply_url(web, "draft_call")).status_code == 404
    assert client(web, "mgr_a").post(apply_url(web, "draft_call"), form(web)).status_code == 404
    assert client(web, "mgr_a").get(reverse("application-create", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(web: WebWorld) -> None:
    response = Client().get(apply_url(web))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_closed_call_sends_back_to_the_call_page(web: WebWorld) -> None:
    response = client(web, "mgr_a").get(apply_url(web, "decided_call"))
    assert response.status_code == 302 and response["Location"] == reverse("call-detail", args=[web.pk["decided_call"]])


def test_every_input_of_the_form_is_labelled(web: WebWorld) -> None:
    html = client(web, "mgr_a").get(apply_url(web)).content.decode()
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    inputs = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html)
    for attributes in inputs:
        if 'type="hidden"' in attributes or 'type="checkbox"' in attributes:
            continue
        found = re.search(r'id="([^"]+)"', attributes)
        assert found and found.group(1) in labelled, attributes
    # checkboxes sit inside their label
    assert html.count('type="checkbox"') == len(re.findall(r'<label class="choice"><input type="checkbox"', html))


def test_no_field_hides_a_property_of_the_form_from_scripts(web: WebWorld) -> None:
    """A field named like a property of the form element (`matches`, `submit`, …) replaces it for scripts:
    htmx then fails on the page."""
    html = client(web, "mgr_a").get(apply_url(web)).content.decode()
    names = set(re.findall(r'name="([^"]+)"', html))
    assert not names & {"matches", "submit", "reset", "elements", "length", "method", "target", "closest", "id"}


def test_the_form_offers_the_call_s_communities_and_the_agency_s_workers(web: WebWorld) -> None:
    html = client(web, "mgr_a").get(apply_url(web)).content.decode()
    assert "Donghu Community" in html and "Xiyuan Community" in html
    assert "孙社工" in html and "吴社工" not in html  # only agency A's social workers
    assert web.text["need_c1"] in html  # standing needs to link


# --- writing a draft ------------------------------------------------------------------------------------


def test_a_manager_saves_a_draft(web: WebWorld) -> None:
    response = client(web, "mgr_a").post(apply_url(web), form(web))
    assert response.status_code == 302
    application = Application.objects.get(title="社区青少年成长营")
    assert response["Location"] == reverse("application-detail", args=[application.pk])
    assert application.state == Application.State.DRAFT
    assert application.requested == Decimal("90000.00")  # 96,000 budget less 6,000 matching
    assert application.term_months == 10 and application.title_en == "Youth growth camp"
    assert sorted(application.budget_lines.values_list("amount", flat=True)) == [
        Decimal("8000.00"),
        Decimal("38000.00"),
        Decimal("50000.00"),
    ]
    assert list(application.team.values_list("role", flat=True)) == ["lead"]
    assert list(application.indicators.values_list("name", "service_kind")) == [("小组活动节数", "group")]
    assert application.matching_funds.get().provider == "东湖社区共建"
    assert AuditEvent.objects.filter(action="application.drafted", object_id=str(application.pk)).exists()


def test_a_draft_links_the_needs_it_answers(web: WebWorld) -> None:
    need = the(Need, title=web.text["need_c1"])
    response = client(web, "mgr_a").post(apply_url(web), form(web, needs=[str(need.pk)]))
    assert response.status_code == 302
    assert list(Application.objects.get(title="社区青少年成长营").needs.all()) == [need]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"line-0-amount": "fifty"}, "Budget line 1"),
        ({"line-0-amount": "1.005"}, "two decimal places"),
        ({"line-0-amount": "-5"}, "positive amount"),
        ({"line-0-amount": ""}, "Budget line 1: give the amount"),
        ({"match-0-amount": "999999"}, "nothing is requested"),
        ({"title": "  "}, "needs a title"),
        ({"term_months": "48"}, "between 1 and 12 months"),
        ({"term_months": "ten"}, "whole number"),
        ({"category": ""}, "Choose the service category"),
        ({"indicator-0-target": "lots"}, "Indicator 1: give the target as a number"),
        ({"indicator-0-target": "0"}, "positive target"),
        ({"indicator-0-name": ""}, "needs a name"),
        ({"line-0-head": "bonuses"}, "Unknown budget head"),
    ],
)
def test_invalid_input_is_refused_with_the_reason_and_nothing_written(
    web: WebWorld, overrides: dict[str, Any], reason: str
) -> None:
    c = client(web, "mgr_a")
    before = fingerprint()
    response = c.post(apply_url(web), form(web, **overrides))
    assert response.status_code == 400
    assert reason in messages_of(response)
    html = response.content.decode()
    assert 'value="东湖社区共建"' in html  # what was typed is kept
    assert fingerprint() == before


def test_a_partner_outside_the_call_s_area_is_refused(web: WebWorld) -> None:
    not_a_community = the(Organization, name="同心社工事务所")
    before = fingerprint()
    response = client(web, "mgr_a").post(apply_url(web), form(web, communities=[str(not_a_community.pk)]))
    assert response.status_code == 400 and "is not a community of" in messages_of(response)
    assert fingerprint() == before


def test_another_agency_s_social_worker_cannot_be_on_the_team(web: WebWorld) -> None:
    foreign = the(Person, user__username="web_sw_b")
    before = fingerprint()
    response = client(web, "mgr_a").post(apply_url(web), form(web, team=[str(foreign.pk)]))
    assert response.status_code == 400 and "is not a social worker of" in messages_of(response)
    assert fingerprint() == before


def test_a_manager_cannot_apply_for_another_agency(web: WebWorld) -> None:
    before = fingerprint()
    response = client(web, "mgr_b").post(apply_url(web), form(web))  # names agency A as the lead
    assert response.status_code == 403
    assert fingerprint() == before


@pytest.mark.parametrize("who", ["sw_a", "street", "resident"])
def test_others_cannot_post_an_application(web: WebWorld, who: str) -> None:
    before = fingerprint()
    assert client(web, who).post(apply_url(web), form(web)).status_code == 403
    assert fingerprint() == before


def test_more_rows_adds_empty_rows_and_saves_nothing(web: WebWorld) -> None:
    before = fingerprint()
    response = client(web, "mgr_a").post(apply_url(web), form(web, action="rows"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="line-8-amount"' in html  # 3 filled + 3 empty + 3 more
    assert 'value="38,000.00"' in html
    assert fingerprint() == before


# --- the live totals -----------------------------------------------------------------------------------------


def totals(web: WebWorld, who: str = "mgr_a", **overrides: Any) -> Any:
    return client(web, who).post(totals_url(web), form(web, **overrides), HTTP_HX_REQUEST="true")


def figure(html: str, key: str) -> tuple[str, str]:
    """(value, data-over) of a figure of the totals partial."""
    found = re.search(rf'data-total="{key}"(?: data-over="(\w+)")?>([^<]*)<', html)
    assert found, key
    return found.group(2), found.group(1) or ""


def test_the_totals_add_up_the_budget(web: WebWorld) -> None:
    response = totals(web)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a partial, not a page
    assert figure(html, "budget")[0] == "¥96,000.00"
    assert figure(html, "matching")[0] == "¥6,000.00"
    assert figure(html, "requested") == ("¥90,000.00", "false")
    assert figure(html, "management") == ("8.3%", "false")  # 8,000 of 96,000
    assert figure(html, "personnel") == ("52.1%", "false")
    assert "keeps within the program" in html


def test_the_totals_flag_a_management_fee_over_the_cap(web: WebWorld) -> None:
    html = totals(web, **{"line-2-amount": "12000"}).content.decode()  # 12,000 of 100,000
    assert figure(html, "management") == ("12.0%", "true")
    assert figure(html, "personnel") == ("50.0%", "false")
    assert "the management fee is 12.0% of the budget; the cap is 10%" in html


def test_the_totals_flag_personnel_over_the_cap(web: WebWorld) -> None:
    html = totals(web, **{"line-0-amount": "90000"}).content.decode()  # 90,000 of 136,000
    assert figure(html, "personnel") == ("66.2%", "true")
    assert "personnel costs are 66.2% of the budget; the cap is 60%" in html


def test_the_totals_flag_a_request_over_the_call_s_largest(web: WebWorld) -> None:
    html = totals(web, **{"line-1-amount": "130000"}).content.decode()
    value, over = figure(html, "requested")
    assert value == "¥182,000.00" and over == "true"
    assert "exceeds the call&#x27;s largest request 150000.00" in html


def test_the_totals_name_an_unreadable_amount(web: WebWorld) -> None:
    html = totals(web, **{"line-1-amount": "abc"}).content.decode()
    assert "Budget line 2" in html
    assert figure(html, "budget")[0] == "¥58,000.00"  # the readable lines still add up


def test_the_totals_run_in_a_bounded_number_of_queries(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    with CaptureQueriesContext(connection) as queries:
        assert c.post(totals_url(web), form(web)).status_code == 200
    assert len(queries) <= 8


@pytest.mark.parametrize(("who", "status"), [("sw_a", 403), ("street", 403), ("resident", 403), ("mgr_b", 200)])
def test_the_totals_are_for_agency_managers(web: WebWorld, who: str, status: int) -> None:
    assert totals(web, who).status_code == status


def test_the_totals_of_an_invisible_call_are_a_404(web: WebWorld) -> None:
    url = reverse("application-totals", args=[web.pk["draft_call"]])
    assert client(web, "mgr_a").post(url, form(web)).status_code == 404


def test_the_totals_endpoint_takes_posts_only(web: WebWorld) -> None:
    assert client(web, "mgr_a").get(totals_url(web)).status_code == 405


def test_saving_over_a_cap_warns_of_the_screening(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    response = c.post(apply_url(web), form(web, **{"line-2-amount": "12000"}), follow=True)
    assert response.status_code == 200
    text = messages_of(response)
    assert "The draft was saved." in text
    assert "The screening will find that the management fee is 12.0% of the budget; the cap is 10%." in text


# --- editing a draft -------------------------------------------------------------------------------------


def edit_url(web: WebWorld, key: str = "app_a_draft") -> str:
    return reverse("application-edit", args=[web.pk[key]])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("mgr_a", 200),
        ("staff", 200),
        ("sw_a", 403),  # sees the draft, may not write it
        ("cw1", 403),  # the partner community sees the draft too
        ("mgr_b", 404),
        ("street", 404),  # drafts are not handed in
        ("dept", 404),
        ("resident", 404),
        ("nobody", 404),
    ],
)
def test_who_may_edit_a_draft(web: WebWorld, who: str, status: int) -> None:
    assert client(web, who).get(edit_url(web)).status_code == status


def test_the_edit_form_shows_the_draft(web: WebWorld) -> None:
    html = client(web, "mgr_a").get(edit_url(web)).content.decode()
    assert f'value="{web.text["app_a_draft"]}"' in html
    assert 'value="40000.00"' in html and 'value="35000.00"' in html and 'value="5000.00"' in html
    assert 'name="lead_agency" value=' in html  # the lead agency stays


def test_editing_replaces_the_draft_s_parts(web: WebWorld) -> None:
    application = Application.objects.get(pk=web.pk["app_a_draft"])
    reference = application.reference
    data = form(web, title="暑期成长营（修订）", lead_agency="0")  # the lead agency posted is ignored
    response = client(web, "mgr_a").post(edit_url(web), data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.title == "暑期成长营（修订）" and application.reference == reference
    assert application.requested == Decimal("90000.00")
    assert BudgetLine.objects.filter(application=application).count() == 3
    assert application.matching_funds.count() == 1
    event = AuditEvent.objects.get(action="application.updated", object_id=str(application.pk))
    assert event.before["requested"] == "80000.00" and event.after["requested"] == "90000.00"


def test_a_refused_edit_changes_nothing(web: WebWorld) -> None:
    before = fingerprint()
    response = client(web, "mgr_a").post(edit_url(web), form(web, **{"line-0-amount": "x"}))
    assert response.status_code == 400
    assert fingerprint() == before


def test_a_submitted_application_is_not_edited(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    response = c.get(edit_url(web, "app_a_open"))
    assert response.status_code == 302
    before = fingerprint()
    response = c.post(edit_url(web, "app_a_open"), form(web))
    assert response.status_code == 400 and "Only a draft application is changed." in messages_of(response)
    assert fingerprint() == before


# --- submitting and withdrawing ----------------------------------------------------------------------------


def test_the_draft_page_lists_what_is_missing_before_submitting(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    data = form(web)
    data.pop("team")
    c.post(apply_url(web), data)
    application = Application.objects.get(title="社区青少年成长营")
    html = c.get(reverse("application-detail", args=[application.pk])).content.decode()
    assert "data-missing" in html and "Name the social-worker team." in html
    assert reverse("application-submit", args=[application.pk]) in html
    before = fingerprint()
    response = c.post(reverse("application-submit", args=[application.pk]))
    assert response.status_code == 400 and "Name the social-worker team." in messages_of(response)
    assert fingerprint() == before


def test_a_complete_draft_is_submitted(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    url = reverse("application-detail", args=[web.pk["app_a_draft"]])
    html = c.get(url).content.decode()
    assert "data-complete" in html
    response = c.post(reverse("application-submit", args=[web.pk["app_a_draft"]]))
    assert response.status_code == 302
    assert Application.objects.get(pk=web.pk["app_a_draft"]).state == Application.State.SUBMITTED
    assert reverse("application-edit", args=[web.pk["app_a_draft"]]) not in c.get(url).content.decode()


@pytest.mark.parametrize(("who", "status"), [("sw_a", 403), ("cw1", 403), ("mgr_b", 404), ("street", 404)])
def test_only_the_lead_s_manager_submits(web: WebWorld, who: str, status: int) -> None:
    before = fingerprint()
    assert client(web, who).post(reverse("application-submit", args=[web.pk["app_a_draft"]])).status_code == status
    assert fingerprint() == before


def test_submitting_is_a_post(web: WebWorld) -> None:
    assert client(web, "mgr_a").get(reverse("application-submit", args=[web.pk["app_a_draft"]])).status_code == 405


def test_withdrawing_needs_a_reason(web: WebWorld) -> None:
    url = reverse("application-withdraw", args=[web.pk["app_a_open"]])
    before = fingerprint()
    response = client(web, "mgr_a").post(url, {"reason": " "})
    assert response.status_code == 400 and "Say why the application is withdrawn." in messages_of(response)
    assert fingerprint() == before


def test_the_manager_withdraws_with_a_reason(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    page = c.get(reverse("application-detail", args=[web.pk["app_a_open"]])).content.decode()
    assert reverse("application-withdraw", args=[web.pk["app_a_open"]]) in page
    response = c.post(reverse("application-withdraw", args=[web.pk["app_a_open"]]), {"reason": "团队调整"})
    assert response.status_code == 302
    application = Application.objects.get(pk=web.pk["app_a_open"])
    assert application.state == Application.State.WITHDRAWN
    assert AuditEvent.objects.get(action="application.withdrawn", object_id=str(application.pk)).reason == "团队调整"


@pytest.mark.parametrize(("who", "status"), [("sw_a", 403), ("mgr_b", 404), ("street", 403), ("resident", 404)])
def test_others_cannot_withdraw(web: WebWorld, who: str, status: int) -> None:
    before = fingerprint()
    url = reverse("application-withdraw", args=[web.pk["app_a_open"]])
    assert client(web, who).post(url, {"reason": "x"}).status_code == status
    assert fingerprint() == before


def test_an_awarded_application_is_no_longer_withdrawn(web: WebWorld) -> None:
    c = client(web, "mgr_a")
    page = c.get(reverse("application-detail", args=[web.pk["app_a_awarded"]])).content.decode()
    assert "application-withdraw" not in page and "/withdraw/" not in page
    before = fingerprint()
    response = c.post(reverse("application-withdraw", args=[web.pk["app_a_awarded"]]), {"reason": "x"})
    assert response.status_code == 400
    assert fingerprint() == before
