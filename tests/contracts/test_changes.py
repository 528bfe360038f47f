"""Change requests of a running contract: reallocations within the tolerance at once, everything else on the
purchaser's approval; a longer term within 36 months; termination with a settlement that never pays beyond
the contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts import services as contract_services
from grassroots.contracts.models import ChangeRequest, Contract, ContractLine, Milestone, Tranche
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation, ValidationError
from grassroots.core.models import AuditEvent
from grassroots.delivery import services as delivery_services
from grassroots.funding.models import Program
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
SPENT_ON = date(2025, 5, 10)


def line(contract: Contract, head: str) -> ContractLine:
    return ContractLine.objects.get(contract=contract, head=head)


def amounts(contract: Contract) -> dict[str, Decimal]:
    return {x.head: x.amount for x in ContractLine.objects.filter(contract=contract)}


def move(world: w.World, contract: Contract, amount: str, source: str = "personnel", target: str = "activities") -> Any:
    return contract_services.request_reallocation(
        world.managers[1],
        contract,
        source=line(contract, source),
        target=line(contract, target),
        amount=amount,
        reason="活动增加，人力节省",
    )


def spend(world: w.World, contract: Contract, head: str, amount: str) -> None:
    delivery_services.record_expenditure(
        world.managers[1], contract, line=line(contract, head), spent_on=SPENT_ON, amount=amount, description="支出"
    )


# --- reallocation ------------------------------------------------------------------------------


def test_a_move_exactly_at_the_tolerance_is_applied_at_once(world: w.World, contract: Contract) -> None:
    change = move(world, contract, "5000.00")  # 10% of the 50,000 personnel line
    assert (change.state, change.needs_approval, change.requested_by) == (
        ChangeRequest.State.APPLIED,
        False,
        world.managers[1],
    )
    assert amounts(contract) == {"personnel": D("45000.00"), "activities": D("45000.00"), "management": D("10000.00")}
    event = AuditEvent.objects.get(action="contract.reallocated", object_id=str(contract.pk))
    assert event.after == {"source": "45000.00", "target": "45000.00", "moved": "5000.00"}


def test_a_move_above_the_tolerance_waits_for_the_purchaser(world: w.World, contract: Contract) -> None:
    change = move(world, contract, "5000.01")
    assert (change.state, change.needs_approval) == (ChangeRequest.State.REQUESTED, True)
    assert amounts(contract)["personnel"] == D("50000.00")
    contract_services.approve_change(world.street_officer, change, note="同意")
    change.refresh_from_db()
    assert (change.state, change.decided_by, change.decision_note) == (
        ChangeRequest.State.APPLIED,
        world.street_officer,
        "同意",
    )
    assert amounts(contract) == {"personnel": D("44999.99"), "activities": D("45000.01"), "management": D("10000.00")}
    assert [e.action for e in AuditEvent.objects.filter(object_type="contracts.changerequest").order_by("seq")] == [
        "changerequest.requested",
        "changerequest.approved",
        "changerequest.applied",
    ]


def test_small_moves_add_up_against_the_tolerance(world: w.World, contract: Contract) -> None:
    assert move(world, contract, "3000.00").state == ChangeRequest.State.APPLIED
    assert move(world, contract, "2000.00").state == ChangeRequest.State.APPLIED
    # 5,000 of the contracted 50,000 have left the line without approval: the next cent needs it.
    assert move(world, contract, "0.01").state == ChangeRequest.State.REQUESTED
    # Money moved *into* a line does not raise its tolerance base above the contracted amount.
    assert move(world, contract, "4000.00", source="activities", target="personnel").needs_approval is False


def test_the_tolerance_is_the_programs(world: w.World, contract: Contract) -> None:
    Program.objects.filter(pk=contract.award.application.call.program_id).update(reallocation_tolerance=D("20"))
    assert move(world, contract, "10000.00").state == ChangeRequest.State.APPLIED
    assert Program._meta.get_field("reallocation_tolerance").default == D("10")


def test_the_lines_total_never_changes(world: w.World, contract: Contract) -> None:
    move(world, contract, "1000.00", "management", "activities")
    move(world, contract, "4000.00", "personnel", "management")
    change = move(world, contract, "8000.00", "activities", "personnel")
    contract_services.approve_change(world.street_officer, change)
    assert sum(amounts(contract).values(), D(0)) == contract.amount == D("100000.00")


def test_never_more_than_is_left_unspent_on_the_source(world: w.World, contract: Contract) -> None:
    spend(world, contract, "personnel", "48000.00")
    with w.refused(RuleViolation, match="Only 2000.00 of “社工人力成本” is unspent"):
        move(world, contract, "2000.01")
    assert move(world, contract, "2000.00").state == ChangeRequest.State.APPLIED


def test_the_unspent_limit_is_checked_again_on_approval(world: w.World, contract: Contract) -> None:
    change = move(world, contract, "6000.00", "activities", "personnel")  # beyond 10% of 40,000
    assert change.state == ChangeRequest.State.REQUESTED
    spend(world, contract, "activities", "35000.00")
    with w.refused(RuleViolation, match="Only 5000.00 of “活动费用” is unspent"):
        contract_services.approve_change(world.street_officer, change)
    change.refresh_from_db()
    assert change.state == ChangeRequest.State.REQUESTED


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amount": "0"}, "must be positive"),
        ({"amount": "-5"}, "must be positive"),
        ({"amount": "10.001"}, "at most two decimal places"),
        ({"target": "personnel"}, "two different budget lines"),
        ({"reason": "  "}, "Say why"),
    ],
)
def test_a_reallocation_must_make_sense(world: w.World, contract: Contract, kwargs: dict[str, str], match: str) -> None:
    args: dict[str, Any] = {
        "source": line(contract, "personnel"),
        "target": line(contract, kwargs.get("target", "activities")),
        "amount": kwargs.get("amount", "100.00"),
        "reason": kwargs.get("reason", "理由"),
    }
    with w.refused(ValidationError, match=match):  # a RuleViolation, or the money parser's error
        contract_services.request_reallocation(world.managers[1], contract, **args)


def test_a_reallocation_stays_within_one_contract(world: w.World, contract: Contract) -> None:
    other = w.funded_contract(world, agency=1, requested="80000.00")
    with w.refused(RuleViolation, match="belong to this contract"):
        contract_services.request_reallocation(
            world.managers[1],
            contract,
            source=line(contract, "personnel"),
            target=line(other, "activities"),
            amount="100.00",
            reason="理由",
        )


# --- who may ask and who may decide ---------------------------------------------------------------


ACTORS = {
    "agency manager": lambda world: world.managers[1],
    "purchaser officer": lambda world: world.street_officer,
    "other agency manager": lambda world: world.managers[0],
    "department officer": lambda world: world.dept_officer,
    "other street officer": lambda world: world.other_street_officer,
    "community worker": lambda world: world.community_workers[0],
    "evaluator": lambda world: world.evaluator,
}


@pytest.mark.parametrize("who", ACTORS)
def test_only_the_agency_manager_asks_for_a_reallocation(world: w.World, contract: Contract, who: str) -> None:
    actor = ACTORS[who](world)
    args: dict[str, Any] = {
        "source": line(contract, "personnel"),
        "target": line(contract, "activities"),
        "amount": "100.00",
        "reason": "理由",
    }
    if who == "agency manager":
        assert contract_services.request_reallocation(actor, contract, **args).state == ChangeRequest.State.APPLIED
    else:
        with w.refused(Forbidden, match="Only a manager of Tongxin"):
            contract_services.request_reallocation(actor, contract, **args)


@pytest.mark.parametrize("who", ACTORS)
def test_only_the_purchaser_officer_decides(world: w.World, contract: Contract, who: str) -> None:
    change = move(world, contract, "20000.00")
    actor = ACTORS[who](world)
    if who == "purchaser officer":
        contract_services.approve_change(actor, change)
        assert ChangeRequest.objects.get(pk=change.pk).state == ChangeRequest.State.APPLIED
        return
    with w.refused(Forbidden, match="Only an officer of S Street Office"):
        contract_services.approve_change(actor, change)
    with w.refused(Forbidden, match="Only an officer of S Street Office"):
        contract_services.reject_change(actor, change, reason="不同意")


def test_a_rejected_change_changes_nothing_and_is_final(world: w.World, contract: Contract) -> None:
    change = move(world, contract, "20000.00")
    with w.refused(RuleViolation, match="Say why the change is rejected"):
        contract_services.reject_change(world.street_officer, change, reason=" ")
    contract_services.reject_change(world.street_officer, change, reason="人力不可压缩")
    change.refresh_from_db()
    assert (change.state, change.decision_note) == (ChangeRequest.State.REJECTED, "人力不可压缩")
    assert amounts(contract)["personnel"] == D("50000.00")
    with w.refused(IllegalTransition, match="cannot go from “Rejected” to “Approved”"):
        contract_services.approve_change(world.street_officer, change)
    with w.refused(IllegalTransition, match="cannot go from “Rejected” to “Rejected”"):
        contract_services.reject_change(world.street_officer, change, reason="再次")


def test_an_applied_change_cannot_be_decided_again(world: w.World, contract: Contract) -> None:
    at_once = move(world, contract, "100.00")
    with w.refused(IllegalTransition, match="cannot go from “Applied” to “Approved”"):
        contract_services.approve_change(world.street_officer, at_once)
    with w.refused(IllegalTransition, match="cannot go from “Applied” to “Rejected”"):
        contract_services.reject_change(world.street_officer, at_once, reason="晚了")


def test_one_waiting_change_of_a_kind_at_a_time(world: w.World, contract: Contract) -> None:
    move(world, contract, "20000.00")
    with w.refused(RuleViolation, match="already waiting"):
        move(world, contract, "15000.00")
    assert move(world, contract, "100.00").state == ChangeRequest.State.APPLIED  # within the tolerance: no wait


# --- extension -----------------------------------------------------------------------------------


def extend(world: w.World, contract: Contract, to: date) -> ChangeRequest:
    return contract_services.request_extension(world.managers[1], contract, new_ends_on=to, reason="疫情停摆三个月")


def test_an_extension_waits_for_the_purchaser_and_moves_the_final_milestone(world: w.World, contract: Contract) -> None:
    change = extend(world, contract, date(2026, 6, 30))
    assert (change.state, change.previous_ends_on) == (ChangeRequest.State.REQUESTED, date(2026, 3, 31))
    assert Contract.objects.get(pk=contract.pk).ends_on == date(2026, 3, 31)
    contract_services.approve_change(world.street_officer, change)
    contract.refresh_from_db()
    assert contract.ends_on == date(2026, 6, 30)
    assert w.milestone(contract, Milestone.Kind.FINAL).due_on == date(2026, 6, 30)
    assert w.milestone(contract, Milestone.Kind.MIDTERM).due_on < date(2026, 3, 31)


def test_a_contract_runs_at_most_36_months(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="at most 36 months in all: it must end by 2028-03-31"):
        extend(world, contract, date(2028, 4, 1))
    change = extend(world, contract, date(2028, 3, 31))
    contract_services.approve_change(world.street_officer, change)
    assert Contract.objects.get(pk=contract.pk).ends_on == date(2028, 3, 31)
    with w.refused(RuleViolation, match="at most 36 months"):
        extend(world, contract, date(2028, 4, 30))


@pytest.mark.parametrize("to", [date(2026, 3, 31), date(2026, 1, 1)])
def test_an_extension_ends_later(world: w.World, contract: Contract, to: date) -> None:
    with w.refused(RuleViolation, match="must come after the current one, 2026-03-31"):
        extend(world, contract, to)


def test_no_extension_once_the_final_report_is_in(world: w.World, contract: Contract) -> None:
    change = extend(world, contract, date(2026, 6, 30))
    contract_services.submit_milestone(world.managers[1], w.milestone(contract, "final"), "终期报告")
    with w.refused(RuleViolation, match="final report has already been submitted"):
        contract_services.approve_change(world.street_officer, change)
    with w.refused(RuleViolation, match="final report has already been submitted"):
        contract_services.request_extension(world.managers[1], contract, new_ends_on=date(2026, 7, 31), reason="再延")


def test_only_the_agency_asks_for_an_extension(world: w.World, contract: Contract) -> None:
    for actor in (world.street_officer, world.managers[0], world.dept_officer):
        with w.refused(Forbidden):
            contract_services.request_extension(actor, contract, new_ends_on=date(2026, 6, 30), reason="理由")


# --- termination with settlement ----------------------------------------------------------------


def tranche_states(contract: Contract) -> list[tuple[str, Decimal]]:
    return [(t.state, t.payable) for t in Tranche.objects.filter(contract=contract).order_by("position")]


def terminate_on_request(world: w.World, contract: Contract, settlement: str) -> ChangeRequest:
    change = contract_services.request_termination(
        world.managers[1], contract, settlement=settlement, reason="核心社工离职，无法继续"
    )
    assert change.state == ChangeRequest.State.REQUESTED
    assert Contract.objects.get(pk=contract.pk).state == Contract.State.ACTIVE
    contract_services.approve_change(world.street_officer, change)
    return change


def test_the_settlement_becomes_the_next_tranche_and_the_rest_is_withheld(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    terminate_on_request(world, contract, "25000.00")
    contract.refresh_from_db()
    assert contract.state == Contract.State.TERMINATED
    assert tranche_states(contract) == [
        (Tranche.State.PAID, D("30000.00")),
        (Tranche.State.PAYABLE, D("25000.00")),
        (Tranche.State.WITHHELD, D("0.00")),
    ]
    w.pay(world, contract, 2, date(2025, 9, 1))  # a terminated contract still pays its settlement
    assert contract_services.paid_total(contract) == D("55000.00")
    with w.refused(RuleViolation, match="not payable"):
        w.pay(world, contract, 3, date(2025, 9, 1))
    assert Contract.objects.get(pk=contract.pk).state == Contract.State.TERMINATED


def test_a_settlement_larger_than_the_next_tranche_spills_over(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    terminate_on_request(world, contract, "50000.00")
    assert tranche_states(contract) == [
        (Tranche.State.PAID, D("30000.00")),
        (Tranche.State.PAYABLE, D("40000.00")),
        (Tranche.State.PAYABLE, D("10000.00")),
    ]
    w.pay(world, contract, 2, date(2025, 9, 1))
    w.pay(world, contract, 3, date(2025, 9, 1))
    assert contract_services.paid_total(contract) == D("80000.00")


def test_the_settlement_is_at_most_the_unpaid_planned_remainder(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    with w.refused(RuleViolation, match="exceeds the unpaid remainder of the contract, 70000.00"):
        contract_services.request_termination(world.managers[1], contract, settlement="70000.01", reason="理由")
    terminate_on_request(world, contract, "70000.00")
    w.pay(world, contract, 2, date(2025, 9, 1))
    w.pay(world, contract, 3, date(2025, 9, 1))
    assert contract_services.paid_total(contract) == contract.amount == D("100000.00")


def test_a_settlement_replaces_a_released_but_unpaid_tranche(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))  # 30,000 payable, not paid
    terminate_on_request(world, contract, "10000.00")
    assert tranche_states(contract) == [
        (Tranche.State.PAYABLE, D("10000.00")),
        (Tranche.State.WITHHELD, D("0.00")),
        (Tranche.State.WITHHELD, D("0.00")),
    ]
    assert AuditEvent.objects.filter(action="tranche.settled").count() == 1


def test_payments_never_exceed_the_contract_after_a_settlement(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 4, 15))
    w.pay(world, contract, 1, date(2025, 4, 20))
    terminate_on_request(world, contract, "70000.00")
    Tranche.objects.filter(contract=contract, position=3).update(payable=D("30000.01"))  # behind the services' back
    w.pay(world, contract, 2, date(2025, 9, 1))
    with w.refused(RuleViolation, match="beyond the contract amount 100000.00"):
        w.pay(world, contract, 3, date(2025, 9, 1))


def test_the_purchaser_terminates_at_once(world: w.World, contract: Contract) -> None:
    contract_services.terminate(world.street_officer, contract, "机构严重违约", settlement="5000.00")
    change = ChangeRequest.objects.get(contract=contract)
    assert (change.kind, change.state, change.needs_approval) == (
        ChangeRequest.Kind.TERMINATION,
        ChangeRequest.State.APPLIED,
        False,
    )
    assert Contract.objects.get(pk=contract.pk).state == Contract.State.TERMINATED
    assert tranche_states(contract)[0] == (Tranche.State.PAYABLE, D("5000.00"))


def test_the_agency_cannot_terminate_without_the_purchaser(world: w.World, contract: Contract) -> None:
    with w.refused(Forbidden, match="Only an officer of S Street Office"):
        contract_services.terminate(world.managers[1], contract, "不做了")
    change = contract_services.request_termination(world.managers[1], contract, settlement="0", reason="不做了")
    for actor in (world.managers[1], world.managers[0], world.dept_officer, world.other_street_officer):
        with w.refused(Forbidden):
            contract_services.approve_change(actor, change)
    with w.refused(Forbidden):
        contract_services.request_termination(world.managers[0], contract, settlement="0", reason="不做了")


@pytest.mark.parametrize(("settlement", "match"), [("-1.00", "cannot be negative"), ("1.5.0", "not an amount")])
def test_a_settlement_is_an_amount(world: w.World, contract: Contract, settlement: str, match: str) -> None:
    with w.refused(ValidationError, match=match):
        contract_services.request_termination(world.managers[1], contract, settlement=settlement, reason="理由")


def test_a_terminated_contract_takes_no_more_changes(world: w.World, contract: Contract) -> None:
    waiting = move(world, contract, "20000.00")
    contract_services.terminate(world.street_officer, contract, "终止")
    waiting.refresh_from_db()
    assert (waiting.state, waiting.decision_note) == (ChangeRequest.State.REJECTED, "The contract was terminated.")
    with w.refused(RuleViolation, match="Only an active contract can be changed"):
        move(world, contract, "100.00")
    with w.refused(RuleViolation, match="Only an active contract can be changed"):
        extend(world, contract, date(2026, 6, 30))
    with w.refused(RuleViolation, match="Only an active contract can be changed"):
        contract_services.approve_change(world.street_officer, waiting)
    with w.refused(RuleViolation, match="Only an active contract can be changed"):
        contract_services.terminate(world.street_officer, contract, "再次终止")
