"""Contracts, milestones and payments: a tranche is paid once, only when released, never beyond the contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from grassroots.awards.models import Award
from grassroots.contracts import services as contract_services
from grassroots.contracts.models import Contract, Milestone, Payment, Tranche
from grassroots.core.errors import IllegalTransition, RuleViolation
from grassroots.core.models import AuditEvent
from grassroots.evaluation.models import Evaluation
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
PAY_DAY = date(2025, 4, 20)


def pay(world: w.World, tranche: Tranche, key: str) -> Payment:
    return contract_services.pay_tranche(world.dept_officer, tranche, idempotency_key=key, on=PAY_DAY)


def test_a_draft_contract_has_three_tranches_adding_up_to_the_award(world: w.World, contract: Contract) -> None:
    tranches = list(contract.tranches.order_by("position"))
    assert [(t.position, t.percent, t.planned, t.payable, t.state) for t in tranches] == [
        (1, D("30.00"), D("30000.00"), D("0.00"), Tranche.State.PLANNED),
        (2, D("40.00"), D("40000.00"), D("0.00"), Tranche.State.PLANNED),
        (3, D("30.00"), D("30000.00"), D("0.00"), Tranche.State.PLANNED),
    ]
    assert [m.kind for m in contract.milestones.order_by("due_on")] == ["start", "midterm", "final"]
    assert contract.signed_on == w.SIGNED_ON
    assert sum((line.amount for line in contract.lines.all()), D(0)) == D("100000.00")


def test_a_tranche_whose_milestone_is_not_accepted_is_not_paid(world: w.World, contract: Contract) -> None:
    first = w.tranche(contract, 1)
    with w.refused(RuleViolation, match="not payable yet"):
        pay(world, first, "T1")
    contract_services.submit_milestone(world.managers[1], w.milestone(contract, "start"), "开局报告")
    with w.refused(RuleViolation, match="not payable yet"):
        pay(world, first, "T1")


def test_paying_twice_with_the_same_key_returns_the_same_payment(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    first = w.tranche(contract, 1)
    payment = pay(world, first, "HT-1-T1")
    assert (payment.amount, payment.paid_on, payment.paid_by) == (D("30000.00"), PAY_DAY, world.dept_officer)
    first.refresh_from_db()
    assert first.state == Tranche.State.PAID
    before = w.fingerprint()
    again = pay(world, first, "HT-1-T1")
    assert again.pk == payment.pk
    assert w.fingerprint() == before  # no second payment, no audit event


def test_a_paid_tranche_refuses_a_new_key(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    pay(world, w.tranche(contract, 1), "first-request")
    with w.refused(RuleViolation, match="already been paid"):
        pay(world, w.tranche(contract, 1), "second-request")
    assert Payment.objects.filter(tranche__contract=contract).count() == 1


def test_a_key_belongs_to_one_tranche(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    w.accept_milestone(world, contract, Milestone.Kind.MIDTERM, date(2025, 10, 1))
    pay(world, w.tranche(contract, 1), "reused-key")
    with w.refused(RuleViolation, match="used for another tranche"):
        pay(world, w.tranche(contract, 2), "reused-key")


@pytest.mark.parametrize("key", ["", "k" * 81])
def test_a_payment_needs_a_sensible_idempotency_key(world: w.World, contract: Contract, key: str) -> None:
    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    with w.refused(RuleViolation, match="idempotency key"):
        pay(world, w.tranche(contract, 1), key)


def test_no_payment_beyond_the_contract_amount(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, Milestone.Kind.START, date(2025, 4, 15))
    w.accept_milestone(world, contract, Milestone.Kind.MIDTERM, date(2025, 10, 1))
    pay(world, w.tranche(contract, 1), "T1")
    # Someone raises the second tranche behind the services' back: the payment must still stop at the contract.
    Tranche.objects.filter(contract=contract, position=2).update(payable=D("70000.01"))
    with w.refused(RuleViolation, match="beyond the contract amount 100000.00"):
        pay(world, w.tranche(contract, 2), "T2")
    assert contract_services.paid_total(contract) == D("30000.00")


def test_the_last_tranche_waits_for_the_final_grade_and_follows_it(world: w.World, contract: Contract) -> None:
    for kind, day in (("start", date(2025, 4, 15)), ("midterm", date(2025, 10, 1)), ("final", date(2026, 3, 20))):
        w.accept_milestone(world, contract, kind, day)
    last = w.tranche(contract, 3)
    assert last.state == Tranche.State.PLANNED
    with w.refused(RuleViolation, match="not payable yet"):
        pay(world, last, "T3")
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "70", date(2026, 3, 25))  # pass: 80% of the last tranche
    last.refresh_from_db()
    assert (last.state, last.payable) == (Tranche.State.PAYABLE, D("24000.00"))
    for position in (1, 2, 3):
        w.pay(world, contract, position, date(2026, 3, 31))
    contract.refresh_from_db()
    assert contract.state == Contract.State.COMPLETED
    assert contract_services.paid_total(contract) == D("94000.00")


@pytest.mark.parametrize(
    ("score", "grade", "last_state", "last_payable"),
    [
        ("95", "excellent", Tranche.State.PAYABLE, D("30000.00")),
        ("90", "excellent", Tranche.State.PAYABLE, D("30000.00")),
        ("89.99", "good", Tranche.State.PAYABLE, D("30000.00")),
        ("60", "pass", Tranche.State.PAYABLE, D("24000.00")),
        ("59.99", "fail", Tranche.State.WITHHELD, D("0.00")),
    ],
)
def test_the_final_grade_scales_the_last_tranche(
    world: w.World, contract: Contract, score: str, grade: str, last_state: str, last_payable: Decimal
) -> None:
    w.accept_milestone(world, contract, "final", date(2026, 3, 20))
    final = w.evaluate(world, contract, Evaluation.Kind.FINAL, score, date(2026, 3, 25))
    assert final.grade == grade
    last = w.tranche(contract, 3)
    assert (last.state, last.payable) == (last_state, last_payable)


def test_a_withheld_last_tranche_completes_the_contract_once_the_rest_is_paid(
    world: w.World, contract: Contract
) -> None:
    for kind, day in (("start", date(2025, 4, 15)), ("midterm", date(2025, 10, 1)), ("final", date(2026, 3, 20))):
        w.accept_milestone(world, contract, kind, day)
    w.pay(world, contract, 1, date(2025, 4, 20))
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "40", date(2026, 3, 25))
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE  # the second tranche is still owed
    w.pay(world, contract, 2, date(2026, 3, 31))
    contract.refresh_from_db()
    assert contract.state == Contract.State.COMPLETED
    with w.refused(RuleViolation, match="not payable"):
        pay(world, w.tranche(contract, 3), "T3")


def test_signing_twice_is_an_illegal_transition(world: w.World, contract: Contract) -> None:
    with w.refused(IllegalTransition, match="cannot go from “Active” to “Active”"):
        contract_services.sign_contract(world.managers[1], contract)


def test_an_award_becomes_one_contract(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="already has a contract"):
        contract_services.draft_contract(world.street_officer, contract.award, starts_on=w.CONTRACT_START)


def test_only_a_confirmed_award_becomes_a_contract(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    w.review_call(world, call, {application.pk: "80"})
    award = w.publicise(world, call).awards.get()
    assert award.state == Award.State.PROPOSED
    with w.refused(RuleViolation, match="Only a confirmed award"):
        contract_services.draft_contract(world.street_officer, award, starts_on=w.CONTRACT_START)


def test_milestones_need_an_active_contract_and_a_report(world: w.World) -> None:
    call = w.open_street_call(world, w.open_program(world), reviewers_per_application=1)
    application = w.submitted_application(world, call, agency=1)
    w.review_call(world, call, {application.pk: "80"})
    award = w.decide(world, w.publicise(world, call)).awards.get()
    draft = contract_services.draft_contract(world.street_officer, award, starts_on=w.CONTRACT_START)
    with w.refused(RuleViolation, match="not active"):
        contract_services.submit_milestone(world.managers[1], w.milestone(draft, "start"), "报告")
    contract_services.sign_contract(world.managers[1], draft)
    with w.refused(RuleViolation, match="cannot be empty"):
        contract_services.submit_milestone(world.managers[1], w.milestone(draft, "start"), "  ")


def test_a_rejected_milestone_is_resubmitted_before_its_tranche_is_released(world: w.World, contract: Contract) -> None:
    start = w.milestone(contract, "start")
    contract_services.submit_milestone(world.managers[1], start, "初稿")
    with w.refused(RuleViolation, match="Say why"):
        contract_services.review_milestone(world.street_officer, start, accept=False)
    contract_services.review_milestone(world.street_officer, start, accept=False, reason="缺少签到表")
    assert start.state == Milestone.State.REJECTED
    assert w.tranche(contract, 1).state == Tranche.State.PLANNED
    with w.refused(IllegalTransition):
        contract_services.review_milestone(world.street_officer, start, accept=True)
    contract_services.submit_milestone(world.managers[1], start, "补充签到表")
    contract_services.review_milestone(world.street_officer, start, accept=True, on=date(2025, 4, 30))
    assert w.tranche(contract, 1).state == Tranche.State.PAYABLE


def test_a_terminated_contract_withholds_what_is_left(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    w.accept_milestone(world, contract, "midterm", date(2025, 10, 1))
    with w.refused(RuleViolation, match="Say why"):
        contract_services.terminate(world.street_officer, contract, "")
    contract_services.terminate(world.street_officer, contract, "机构注销")
    contract.refresh_from_db()
    assert contract.state == Contract.State.TERMINATED
    assert [t.state for t in contract.tranches.order_by("position")] == [
        Tranche.State.PAID,
        Tranche.State.WITHHELD,
        Tranche.State.WITHHELD,
    ]
    with w.refused(RuleViolation, match="not payable"):
        pay(world, w.tranche(contract, 2), "T2")
    assert AuditEvent.objects.filter(action="tranche.withheld", reason="机构注销").count() == 2
