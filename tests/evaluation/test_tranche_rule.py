"""The incentive loop: an accepted final evaluation moves the contract's last tranche by the program's
grade rule and becomes the agency's performance record; a mid-term evaluation moves no money.

The program here has its own rule — excellent 100%, good 90%, pass 60%, fail nothing — so the test
reads the program's factors rather than the defaults. The contract is 100,000.00 in tranches of
30,000 / 40,000 / 30,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts.models import Contract, Tranche
from grassroots.core.audit import AuditEvent
from grassroots.core.errors import RuleViolation
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, PerformanceRecord
from grassroots.evaluation.selectors import past_performance, performance_of, record_of
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
FACTORS = {"excellent": "1", "good": "0.9", "pass": "0.6", "fail": "0"}
MIDTERM_DAY = date(2025, 9, 20)
FINAL_DAY = date(2026, 3, 25)


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            program = w.open_program(world, grade_factors=FACTORS)
            pk = w.funded_contract(world, agency=1, requested="100000.00", program=program).pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def states(contract: Contract) -> list[tuple[int, str, Decimal]]:
    return [(t.position, t.state, t.payable) for t in Tranche.objects.filter(contract=contract).order_by("position")]


@pytest.mark.parametrize(
    ("score", "grade", "state", "payable"),
    [
        ("100", "excellent", Tranche.State.PAYABLE, D("30000.00")),
        ("90", "excellent", Tranche.State.PAYABLE, D("30000.00")),
        ("89.99", "good", Tranche.State.PAYABLE, D("27000.00")),
        ("80", "good", Tranche.State.PAYABLE, D("27000.00")),
        ("79.99", "pass", Tranche.State.PAYABLE, D("18000.00")),
        ("60", "pass", Tranche.State.PAYABLE, D("18000.00")),
        ("59.99", "fail", Tranche.State.WITHHELD, D("0.00")),
    ],
)
def test_the_final_grade_moves_the_last_tranche_by_the_program_s_rule(
    world: w.World, contract: Contract, score: str, grade: str, state: str, payable: Decimal
) -> None:
    w.accept_milestone(world, contract, "final", date(2026, 3, 31))
    assert states(contract)[2] == (3, Tranche.State.PLANNED, D(0))  # the last tranche waits for the grade
    final = w.evaluate(world, contract, Evaluation.Kind.FINAL, score, FINAL_DAY)
    assert (final.state, final.grade) == (Evaluation.State.ACCEPTED, grade)
    assert states(contract) == [
        (1, Tranche.State.PLANNED, D(0)),
        (2, Tranche.State.PLANNED, D(0)),
        (3, state, payable),
    ]
    assert AuditEvent.objects.filter(action="contract.final_grade", object_id=str(contract.pk)).count() == 1
    record = PerformanceRecord.objects.get(contract=contract)
    assert (record.agency, record.fiscal_year, record.score, record.grade) == (
        contract.agency,
        w.FY,
        D(score),
        grade,
    )


def test_a_grade_given_before_the_final_milestone_moves_the_tranche_when_it_is_accepted(
    world: w.World, contract: Contract
) -> None:
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "85", FINAL_DAY)
    assert states(contract)[2] == (3, Tranche.State.PLANNED, D(0))
    w.accept_milestone(world, contract, "final", date(2026, 3, 31))
    assert states(contract)[2] == (3, Tranche.State.PAYABLE, D("27000.00"))


def test_a_midterm_evaluation_moves_no_money_and_writes_no_record(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "final", date(2026, 3, 31))
    before = states(contract)
    w.evaluate(world, contract, Evaluation.Kind.MIDTERM, "30", MIDTERM_DAY)  # a failing mid-term
    assert states(contract) == before
    assert record_of(contract) is None
    assert not AuditEvent.objects.filter(action="contract.final_grade").exists()


def test_a_submitted_but_unaccepted_final_moves_nothing(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "final", date(2026, 3, 31))
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
    )
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "95"), on=FINAL_DAY
    )
    assert states(contract)[2] == (3, Tranche.State.PLANNED, D(0))
    assert record_of(contract) is None


def test_the_performance_record_is_what_later_reviews_read(world: w.World, contract: Contract) -> None:
    w.evaluate(world, contract, Evaluation.Kind.MIDTERM, "70", MIDTERM_DAY)
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "88.5", FINAL_DAY)
    agency = contract.agency
    assert [(r.contract, r.score, r.grade) for r in performance_of(agency)] == [(contract, D("88.50"), "good")]
    assert record_of(contract) == PerformanceRecord.objects.get()
    assert past_performance([agency.pk], w.FY + 1) == {agency.pk: D("88.50")}  # the mid-term does not count
    assert past_performance([agency.pk], w.FY + 3) == {agency.pk: D("88.50")}
    assert past_performance([agency.pk], w.FY + 4) == {}  # older than three years
    assert past_performance([agency.pk], w.FY) == {}  # not the same year's reviews


def test_an_acceptance_recorded_later_carries_its_day_and_never_precedes_the_submission(
    world: w.World, contract: Contract
) -> None:
    evaluation = evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
    )
    evaluation_services.submit_evaluation(
        world.evaluator, evaluation, scores=w.evaluation_scores(evaluation, "85"), on=FINAL_DAY
    )
    with w.refused(RuleViolation, match="before it was submitted"):
        evaluation_services.accept_evaluation(world.street_officer, evaluation, on=date(2026, 3, 24))
    assert Evaluation.objects.get(pk=evaluation.pk).state == Evaluation.State.SUBMITTED
    evaluation_services.accept_evaluation(world.street_officer, evaluation, on=date(2026, 3, 28))
    event = AuditEvent.objects.get(action="evaluation.accepted", object_id=str(evaluation.pk))
    assert event.after["on"] == "2026-03-28"
