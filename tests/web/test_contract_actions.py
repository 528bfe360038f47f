"""The actions on the contract page: the agency's manager signs the purchaser's draft, hands in milestone
reports and asks for changes; the purchaser's officer accepts or rejects reports and decides changes; the
purchaser or its department pays a payable tranche, and the same payment form sent twice pays once.

Every write goes through the services: a refusal is a message with 400 or 403 and leaves every domain table
as it was; a contract (or its milestone, tranche or change) the user may not see is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import ChangeRequest, Contract, ContractLine, Milestone, Payment, Tranche
from grassroots.core.models import AuditEvent
from tests import world as w
from tests.world import fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(module_world: w.World, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """An active contract of agency 1 with the S Street office (100,000.00; lines personnel 50,000, activities
    40,000, management 10,000; nothing accepted yet) and a draft contract of the same agency to sign."""
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            active = w.funded_contract(world, agency=1)
            program = w.open_program(world, title="2025年第二批社区服务项目")
            call = w.open_street_call(world, program, reviewers_per_application=1)
            application = w.submitted_application(world, call, agency=1, requested="80000.00")
            w.review_call(world, call, {application.pk: "85"})
            award_list = w.decide(world, w.publicise(world, call))
            draft = contract_services.draft_contract(
                world.street_officer, award_list.awards.get(), starts_on=w.CONTRACT_START
            )
        yield {"active": active.pk, "draft": draft.pk}


#: The roles of the permission matrices (key → how to find the user in the world).
ROLES = {
    "manager": lambda world: world.managers[1],
    "worker": lambda world: world.social_workers[1][0].user,
    "other_manager": lambda world: world.managers[0],
    "street": lambda world: world.street_officer,
    "dept": lambda world: world.dept_officer,
    "other_street": lambda world: world.other_street_officer,
    "community": lambda world: world.community_workers[0],
    "resident": lambda world: world.residents[0][0],
    "evaluator": lambda world: world.evaluator,
}

_clients: dict[str, Client] = {}


@pytest.fixture(autouse=True)
def logged_in(world: w.World, built: dict[str, int]) -> Iterator[None]:
    """Everyone logged in (in English) before the test starts, since logging in writes the login's time."""
    for key, find in ROLES.items():
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        c.force_login(find(world))
        _clients[key] = c
    yield
    _clients.clear()


def as_(who: str) -> Client:
    return _clients[who]


def contract(built: dict[str, int], key: str = "active") -> Contract:
    return Contract.objects.get(pk=built[key])


def page_url(c: Contract) -> str:
    return reverse("contract-detail", args=[c.pk])


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def milestone(c: Contract, kind: str) -> Milestone:
    return Milestone.objects.get(contract=c, kind=kind)


def submitted_start(world: w.World, c: Contract) -> Milestone:
    start = milestone(c, Milestone.Kind.START)
    contract_services.submit_milestone(world.managers[1], start, "启动报告")
    return start


def payable_first(world: w.World, c: Contract) -> Tranche:
    start = submitted_start(world, c)
    contract_services.review_milestone(world.street_officer, start, accept=True, on=date(2025, 4, 20))
    return Tranche.objects.get(contract=c, position=1)


# --- the page and its panel ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("worker", 200),
        ("street", 200),
        ("dept", 200),
        ("community", 200),
        ("other_manager", 404),
        ("other_street", 404),
        ("resident", 404),
        ("evaluator", 404),
    ],
)
def test_who_sees_the_contract(built: dict[str, int], who: str, status: int) -> None:
    assert as_(who).get(page_url(contract(built))).status_code == status


def unlabelled(html: str) -> list[str]:
    """The inputs of a page that no label names (hidden inputs need none; checkboxes sit in their label)."""
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    missing = []
    for attributes in re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html):
        if 'type="hidden"' in attributes or 'type="checkbox"' in attributes:
            continue
        found = re.search(r'id="([^"]+)"', attributes)
        if not (found and found.group(1) in labelled):
            missing.append(attributes)
    return missing


def actions_of(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z]+)"', html))


@pytest.mark.parametrize(
    ("who", "active", "draft"),
    [
        ("manager", {"report", "reallocation", "extension", "termination"}, {"sign"}),
        ("worker", set(), set()),
        ("street", {"termination"}, {"termination"}),
        ("dept", set(), set()),
        ("community", set(), set()),
    ],
)
def test_each_role_is_offered_its_own_actions(
    built: dict[str, int], who: str, active: set[str], draft: set[str]
) -> None:
    assert actions_of(as_(who).get(page_url(contract(built))).content.decode()) == active
    assert actions_of(as_(who).get(page_url(contract(built, "draft"))).content.decode()) == draft


@pytest.mark.parametrize("who", ["manager", "street", "dept"])
def test_every_input_of_the_action_forms_is_labelled(world: w.World, built: dict[str, int], who: str) -> None:
    c = contract(built)
    payable_first(world, c)  # the department and the purchaser get a payment form
    contract_services.request_reallocation(
        world.managers[1],
        c,
        source=ContractLine.objects.get(contract=c, head="personnel"),
        target=ContractLine.objects.get(contract=c, head="activities"),
        amount="12000",
        reason="活动增加",
    )  # the purchaser gets a decision form
    html = as_(who).get(page_url(c)).content.decode()
    assert actions_of(html)
    assert not unlabelled(html)


def test_agency_staff_get_the_delivery_forms(built: dict[str, int]) -> None:
    c = contract(built)
    manager = as_("manager").get(page_url(c)).content.decode()
    assert reverse("record-create", args=[c.pk]) in manager and reverse("expenditure-create", args=[c.pk]) in manager
    worker = as_("worker").get(page_url(c)).content.decode()
    assert reverse("record-create", args=[c.pk]) in worker and reverse("expenditure-create", args=[c.pk]) not in worker
    street = as_("street").get(page_url(c)).content.decode()
    assert reverse("record-create", args=[c.pk]) not in street
    draft = as_("manager").get(page_url(contract(built, "draft"))).content.decode()
    assert reverse("record-create", args=[built["draft"]]) not in draft  # nothing is delivered before signing


@pytest.mark.parametrize("who", ["manager", "worker", "street", "dept", "community"])
def test_the_contract_page_reads_in_a_bounded_number_of_queries(built: dict[str, int], who: str) -> None:
    c = as_(who)
    with CaptureQueriesContext(connection) as queries:
        assert c.get(page_url(contract(built))).status_code == 200
    assert len(queries) <= 60, [q["sql"] for q in queries.captured_queries]


# --- signing -------------------------------------------------------------------------------------------------


def test_the_manager_signs_the_draft(built: dict[str, int]) -> None:
    c = contract(built, "draft")
    response = as_("manager").post(reverse("contract-sign", args=[c.pk]))
    assert response.status_code == 302 and response["Location"].startswith(page_url(c))
    c.refresh_from_db()
    assert c.state == Contract.State.ACTIVE and c.signed_on is not None
    assert AuditEvent.objects.filter(action="contract.active", object_id=str(c.pk)).exists()


@pytest.mark.parametrize(("who", "status"), [("street", 403), ("worker", 403), ("other_manager", 404)])
def test_only_the_agency_s_manager_signs(built: dict[str, int], who: str, status: int) -> None:
    before = fingerprint()
    assert as_(who).post(reverse("contract-sign", args=[built["draft"]])).status_code == status
    assert fingerprint() == before


def test_a_running_contract_is_not_signed_again(built: dict[str, int]) -> None:
    before = fingerprint()
    response = as_("manager").post(reverse("contract-sign", args=[built["active"]]))
    assert response.status_code == 400 and "cannot go from" in messages_of(response)
    assert fingerprint() == before


def test_signing_is_a_post(built: dict[str, int]) -> None:
    assert as_("manager").get(reverse("contract-sign", args=[built["draft"]])).status_code == 405


# --- milestones ----------------------------------------------------------------------------------------------


def test_the_manager_hands_in_a_milestone_report(built: dict[str, int]) -> None:
    start = milestone(contract(built), Milestone.Kind.START)
    response = as_("manager").post(reverse("milestone-submit", args=[start.pk]), {"report": "团队到岗，启动活动。"})
    assert response.status_code == 302
    start.refresh_from_db()
    assert start.state == Milestone.State.SUBMITTED and start.report == "团队到岗，启动活动。"


def test_an_empty_report_is_refused_and_kept_out(built: dict[str, int]) -> None:
    start = milestone(contract(built), Milestone.Kind.START)
    before = fingerprint()
    response = as_("manager").post(reverse("milestone-submit", args=[start.pk]), {"report": "  "})
    assert response.status_code == 400 and "cannot be empty" in messages_of(response)
    assert fingerprint() == before


@pytest.mark.parametrize(("who", "status"), [("worker", 403), ("street", 403), ("other_manager", 404)])
def test_only_the_manager_reports(built: dict[str, int], who: str, status: int) -> None:
    start = milestone(contract(built), Milestone.Kind.START)
    before = fingerprint()
    assert as_(who).post(reverse("milestone-submit", args=[start.pk]), {"report": "x"}).status_code == status
    assert fingerprint() == before


def test_the_purchaser_accepts_a_report_and_its_tranche_becomes_payable(world: w.World, built: dict[str, int]) -> None:
    c = contract(built)
    start = submitted_start(world, c)
    html = as_("street").get(page_url(c)).content.decode()
    assert 'data-action="review"' in html and "启动报告" in html
    response = as_("street").post(reverse("milestone-review", args=[start.pk]), {"action": "accept"})
    assert response.status_code == 302
    start.refresh_from_db()
    assert start.state == Milestone.State.ACCEPTED
    assert Tranche.objects.get(contract=c, position=1).state == Tranche.State.PAYABLE


def test_rejecting_a_report_needs_a_reason(world: w.World, built: dict[str, int]) -> None:
    start = submitted_start(world, contract(built))
    url = reverse("milestone-review", args=[start.pk])
    before = fingerprint()
    response = as_("street").post(url, {"action": "reject", "review_reason": ""})
    assert response.status_code == 400 and "Say why the milestone is not accepted." in messages_of(response)
    assert fingerprint() == before
    response = as_("street").post(url, {"action": "reject", "review_reason": "缺少签到表"})
    assert response.status_code == 302
    start.refresh_from_db()
    assert start.state == Milestone.State.REJECTED
    html = as_("manager").get(page_url(contract(built))).content.decode()
    assert "hand in a corrected one" in html  # the manager reports again


@pytest.mark.parametrize(("who", "status"), [("manager", 403), ("dept", 403), ("worker", 403), ("resident", 404)])
def test_only_the_purchaser_reviews(world: w.World, built: dict[str, int], who: str, status: int) -> None:
    start = submitted_start(world, contract(built))
    before = fingerprint()
    assert as_(who).post(reverse("milestone-review", args=[start.pk]), {"action": "accept"}).status_code == status
    assert fingerprint() == before


def test_a_review_without_a_decision_is_refused(world: w.World, built: dict[str, int]) -> None:
    start = submitted_start(world, contract(built))
    before = fingerprint()
    response = as_("street").post(reverse("milestone-review", args=[start.pk]), {"action": "maybe"})
    assert response.status_code == 400
    assert fingerprint() == before


# --- paying --------------------------------------------------------------------------------------------------


def pay_key(html: str, tranche: Tranche) -> str:
    form = re.search(rf'action="{reverse("tranche-pay", args=[tranche.pk])}".*?</form>', html, re.S)
    assert form, "no payment form"
    found = re.search(r'name="idempotency_key" value="([^"]+)"', form.group(0))
    assert found
    return found.group(1)


def test_the_department_pays_a_payable_tranche_once_even_if_the_form_is_sent_twice(
    world: w.World, built: dict[str, int]
) -> None:
    c = contract(built)
    tranche = payable_first(world, c)
    html = as_("dept").get(page_url(c)).content.decode()
    key = pay_key(html, tranche)
    url = reverse("tranche-pay", args=[tranche.pk])
    first = as_("dept").post(url, {"idempotency_key": key}, follow=True)
    assert first.status_code == 200 and "Tranche 1 was paid: ¥30,000.00." in messages_of(first)
    second = as_("dept").post(url, {"idempotency_key": key}, follow=True)  # a double click: the same form
    assert second.status_code == 200
    assert "This form was already sent: tranche 1 was paid on" in messages_of(second)
    assert Payment.objects.filter(tranche=tranche).count() == 1
    assert Payment.objects.get(tranche=tranche).amount == Decimal("30000.00")
    assert AuditEvent.objects.filter(action="payment.made").count() == 1
    tranche.refresh_from_db()
    assert tranche.state == Tranche.State.PAID


def test_each_showing_of_the_form_carries_a_new_key(world: w.World, built: dict[str, int]) -> None:
    c = contract(built)
    tranche = payable_first(world, c)
    first = pay_key(as_("dept").get(page_url(c)).content.decode(), tranche)
    again = pay_key(as_("dept").get(page_url(c)).content.decode(), tranche)
    assert first != again and first.startswith("web-") and len(first) <= 80


def test_a_second_form_for_a_paid_tranche_is_refused(world: w.World, built: dict[str, int]) -> None:
    c = contract(built)
    tranche = payable_first(world, c)
    url = reverse("tranche-pay", args=[tranche.pk])
    stale = pay_key(as_("street").get(page_url(c)).content.decode(), tranche)  # the purchaser's open page
    assert as_("dept").post(url, {"idempotency_key": "web-first"}).status_code == 302
    before = fingerprint()
    response = as_("street").post(url, {"idempotency_key": stale})
    assert response.status_code == 400 and "already been paid" in messages_of(response)
    assert fingerprint() == before
    assert 'data-action="pay"' not in response.content.decode()


def test_a_planned_tranche_is_not_paid(built: dict[str, int]) -> None:
    tranche = Tranche.objects.get(contract_id=built["active"], position=1)
    before = fingerprint()
    response = as_("dept").post(reverse("tranche-pay", args=[tranche.pk]), {"idempotency_key": "web-early"})
    assert response.status_code == 400 and "not payable yet" in messages_of(response)
    assert fingerprint() == before


def test_a_payment_needs_its_key(world: w.World, built: dict[str, int]) -> None:
    tranche = payable_first(world, contract(built))
    before = fingerprint()
    response = as_("dept").post(reverse("tranche-pay", args=[tranche.pk]), {})
    assert response.status_code == 400 and "idempotency key" in messages_of(response)
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 403), ("worker", 403), ("community", 403), ("other_street", 404)]
)
def test_only_the_purchaser_or_department_pays(world: w.World, built: dict[str, int], who: str, status: int) -> None:
    tranche = payable_first(world, contract(built))
    before = fingerprint()
    response = as_(who).post(reverse("tranche-pay", args=[tranche.pk]), {"idempotency_key": f"web-{who}"})
    assert response.status_code == status
    assert fingerprint() == before


# --- change requests -----------------------------------------------------------------------------------------


def line(c: Contract, head: str) -> ContractLine:
    return ContractLine.objects.get(contract=c, head=head)


def request_change(who: str, c: Contract, data: dict[str, Any]) -> Any:
    return as_(who).post(reverse("contract-change-request", args=[c.pk]), data)


def reallocation(c: Contract, amount: str, reason: str = "活动增加") -> dict[str, Any]:
    return {
        "kind": "reallocation",
        "source": line(c, "personnel").pk,
        "target": line(c, "activities").pk,
        "realloc_amount": amount,
        "realloc_reason": reason,
    }


def test_a_small_reallocation_is_applied_at_once(built: dict[str, int]) -> None:
    c = contract(built)
    response = request_change("manager", c, reallocation(c, "5,000"))
    assert response.status_code == 302
    change = ChangeRequest.objects.get(contract=c)
    assert change.state == ChangeRequest.State.APPLIED and change.amount == Decimal("5000.00")
    assert line(c, "activities").amount == Decimal("45000.00")


def test_a_large_reallocation_waits_for_the_purchaser_who_approves_it(built: dict[str, int]) -> None:
    c = contract(built)
    assert request_change("manager", c, reallocation(c, "12000")).status_code == 302
    change = ChangeRequest.objects.get(contract=c)
    assert change.state == ChangeRequest.State.REQUESTED
    html = as_("street").get(page_url(c)).content.decode()
    assert 'data-action="decide"' in html
    response = as_("street").post(reverse("change-decide", args=[change.pk]), {"action": "approve", "note": "同意"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == ChangeRequest.State.APPLIED and change.decision_note == "同意"
    assert line(c, "personnel").amount == Decimal("38000.00")


def test_rejecting_a_change_needs_a_reason(built: dict[str, int]) -> None:
    c = contract(built)
    request_change("manager", c, reallocation(c, "12000"))
    change = ChangeRequest.objects.get(contract=c)
    url = reverse("change-decide", args=[change.pk])
    before = fingerprint()
    response = as_("street").post(url, {"action": "reject", "note": ""})
    assert response.status_code == 400 and "Say why the change is rejected." in messages_of(response)
    assert fingerprint() == before
    assert as_("street").post(url, {"action": "reject", "note": "理由不足"}).status_code == 302
    change.refresh_from_db()
    assert change.state == ChangeRequest.State.REJECTED
    assert line(c, "personnel").amount == Decimal("50000.00")


@pytest.mark.parametrize(("who", "status"), [("manager", 403), ("dept", 403), ("worker", 403), ("resident", 404)])
def test_only_the_purchaser_decides_a_change(built: dict[str, int], who: str, status: int) -> None:
    c = contract(built)
    request_change("manager", c, reallocation(c, "12000"))
    change = ChangeRequest.objects.get(contract=c)
    before = fingerprint()
    assert as_(who).post(reverse("change-decide", args=[change.pk]), {"action": "approve"}).status_code == status
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"realloc_amount": "lots"}, "Amount to move"),
        ({"realloc_amount": ""}, "Amount to move: give an amount."),
        ({"realloc_amount": "60000"}, "is unspent"),
        ({"realloc_reason": ""}, "Say why the contract should change."),
        ({"target": "0"}, "Choose two budget lines"),
    ],
)
def test_a_bad_reallocation_is_refused_with_what_was_typed_kept(
    built: dict[str, int], data: dict[str, Any], reason: str
) -> None:
    c = contract(built)
    before = fingerprint()
    response = request_change("manager", c, {**reallocation(c, "3000"), **data})
    assert response.status_code == 400 and reason in messages_of(response)
    assert fingerprint() == before
    if data.get("realloc_amount"):
        assert f'value="{data["realloc_amount"]}"' in response.content.decode()


def test_the_manager_asks_for_an_extension(built: dict[str, int]) -> None:
    c = contract(built)
    data = {"kind": "extension", "new_ends_on": "2026-06-30", "extension_reason": "暑期活动"}
    assert request_change("manager", c, data).status_code == 302
    change = ChangeRequest.objects.get(contract=c)
    assert change.kind == ChangeRequest.Kind.EXTENSION and change.new_ends_on == date(2026, 6, 30)
    assert change.state == ChangeRequest.State.REQUESTED


@pytest.mark.parametrize(
    ("when", "reason"),
    [("30/06/2026", "give a date"), ("2026-01-01", "must come after"), ("2029-01-01", "at most 36 months")],
)
def test_a_bad_extension_is_refused(built: dict[str, int], when: str, reason: str) -> None:
    before = fingerprint()
    data = {"kind": "extension", "new_ends_on": when, "extension_reason": "暑期活动"}
    response = request_change("manager", contract(built), data)
    assert response.status_code == 400 and reason in messages_of(response)
    assert fingerprint() == before


def test_the_manager_asks_to_terminate_and_the_purchaser_approves(world: w.World, built: dict[str, int]) -> None:
    c = contract(built)
    data = {"kind": "termination", "settlement": "20000", "termination_reason": "服务对象搬迁"}
    assert request_change("manager", c, data).status_code == 302
    change = ChangeRequest.objects.get(contract=c)
    assert change.state == ChangeRequest.State.REQUESTED
    assert as_("street").post(reverse("change-decide", args=[change.pk]), {"action": "approve"}).status_code == 302
    c.refresh_from_db()
    assert c.state == Contract.State.TERMINATED
    assert Tranche.objects.get(contract=c, position=1).payable == Decimal("20000.00")


def test_the_purchaser_terminates_at_once(built: dict[str, int]) -> None:
    c = contract(built)
    data = {"kind": "termination", "settlement": "0", "termination_reason": "机构违约"}
    response = request_change("street", c, data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.state == Contract.State.TERMINATED


def test_a_settlement_beyond_the_unpaid_remainder_is_refused(built: dict[str, int]) -> None:
    before = fingerprint()
    data = {"kind": "termination", "settlement": "150000", "termination_reason": "x"}
    response = request_change("manager", contract(built), data)
    assert response.status_code == 400 and "exceeds the unpaid remainder" in messages_of(response)
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("who", "status"), [("worker", 403), ("dept", 403), ("community", 403), ("other_manager", 404), ("resident", 404)]
)
def test_others_cannot_ask_for_changes(built: dict[str, int], who: str, status: int) -> None:
    c = contract(built)
    before = fingerprint()
    assert request_change(who, c, reallocation(c, "1000")).status_code == status
    assert fingerprint() == before


def test_an_unknown_kind_of_change_is_refused(built: dict[str, int]) -> None:
    before = fingerprint()
    response = request_change("manager", contract(built), {"kind": "merger"})
    assert response.status_code == 400 and "Choose the kind of change." in messages_of(response)
    assert fingerprint() == before


def test_a_draft_contract_takes_no_change_but_termination(built: dict[str, int]) -> None:
    c = contract(built, "draft")
    before = fingerprint()
    response = request_change("manager", c, reallocation(c, "1000"))
    assert response.status_code == 400 and "Only an active contract can be changed." in messages_of(response)
    assert fingerprint() == before
