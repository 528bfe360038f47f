"""Computed indicators on a contract with hand-made delivery data, recorded through the delivery services.

The contract runs from 2025-04-01 to 2026-03-31 (365 days) for 100,000.00: personnel 50,000, activities
40,000, management 10,000. Its application promised 12 group sessions and 80 beneficiaries. The
mid-term is evaluated on 2025-08-24, when 146 of 365 days (40%) have passed; a little more is recorded
after that day, up to 2025-11-05 (60%).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import render_message
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, EvaluationItem
from grassroots.evaluation.selectors import delivery_facts
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2025, 8, 24)  # 40% of the term
LATER = date(2025, 11, 5)  # 60% of the term
COMPUTED = ["milestones", "targets", "participation", "execution", "receipts"]

#: (kind, held on, beneficiaries, volunteers, resident participants)
RECORDS = [
    ("group", date(2025, 5, 10), 10, 2, 0),
    ("group", date(2025, 6, 10), 10, 0, 5),
    ("group", date(2025, 7, 10), 10, 0, 0),
    ("community", date(2025, 8, 24), 20, 0, 30),  # on the evaluation day itself: it counts
    ("case", date(2025, 6, 1), 1, 0, 0),
    ("group", date(2025, 8, 25), 50, 3, 0),  # the day after: it does not
]
#: (budget line, spent on, amount, receipt number)
SPENDING = [
    ("personnel", date(2025, 6, 30), "20000.00", "FP001"),
    ("activities", date(2025, 7, 15), "7000.00", ""),
    ("management", date(2025, 8, 24), "3000.00", "FP002"),
    ("activities", date(2025, 9, 1), "5000.00", "FP003"),  # after the evaluation day
]


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            contract = w.funded_contract(world, agency=1, requested="100000.00")
            manager, worker = world.managers[1], world.social_workers[1][0]
            for kind, held_on, beneficiaries, volunteers, residents in RECORDS:
                delivery_services.record_service(
                    manager,
                    contract,
                    kind=kind,
                    held_on=held_on,
                    title=f"{kind} {held_on}",
                    social_workers=[worker],
                    beneficiaries=beneficiaries,
                    volunteers=volunteers,
                    resident_participants=residents,
                )
            for head, spent_on, amount, receipt in SPENDING:
                delivery_services.record_expenditure(
                    manager,
                    contract,
                    line=contract.lines.get(head=head),
                    spent_on=spent_on,
                    amount=amount,
                    description=f"{head} {spent_on}",
                    receipt=receipt,
                )
            pk = contract.pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def assign(world: w.World, contract: Contract, kind: str = Evaluation.Kind.MIDTERM) -> Evaluation:
    return evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=kind
    )


def items(evaluation: Evaluation) -> dict[str, EvaluationItem]:
    return {i.code: i for i in evaluation.items.filter(is_leaf=True)}


def points(evaluation: Evaluation) -> dict[str, Decimal | None]:
    found = items(evaluation)
    return {code: found[code].points for code in COMPUTED}


def basis(evaluation: Evaluation, code: str) -> str:
    return render_message(items(evaluation)[code].basis)


def test_the_facts_are_read_up_to_the_day(contract: Contract) -> None:
    facts = delivery_facts(contract, DAY, final=False)
    assert facts.expected == D(146) / D(365)
    assert [(t.target, t.actual) for t in facts.targets] == [(D(12), D(3)), (D(80), D(51))]
    assert (facts.budget, facts.spent, facts.spent_with_receipt) == (D("100000"), D("30000"), D("23000"))
    assert (facts.group_sessions, facts.engaged_sessions) == (4, 3)
    assert delivery_facts(contract, DAY, final=True).expected == D(1)


def test_a_midterm_computes_each_indicator_from_the_data_up_to_its_day(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 5, 10))
    evaluation = assign(world, contract)
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    assert points(evaluation) == {
        "milestones": D("5.00"),  # the start milestone, on time; the mid-term one is not due yet
        "targets": D("12.19"),  # (3 / 4.8 + min(1, 51 / 32)) / 2 = 0.8125 of 15
        "participation": D("7.50"),  # 3 of 4 group and community sessions: 0.75 of 10
        "execution": D("4.17"),  # 30,000 of the 40,000 expected = 75%, / 90% = 0.8333 of 5
        "receipts": D("3.83"),  # 23,000 of 30,000: 0.7667 of 5
    }
    assert all(items(evaluation)[code].computed_points == points(evaluation)[code] for code in COMPUTED)
    assert basis(evaluation, "milestones") == "1 of 1 milestones due were accepted on time"
    assert basis(evaluation, "targets") == "2 indicators measured; mean attainment 81.2% of 40.0% expected"
    assert basis(evaluation, "participation") == "3 of 4 group and community sessions involved residents"
    assert basis(evaluation, "execution") == "30000.00 spent of 40000.00 expected by now (75.0%)"
    assert basis(evaluation, "receipts") == "23000.00 of 30000.00 spent is backed by a receipt (76.7%)"
    # Without survey responses the satisfaction indicator waits for the evaluator, as do the manual ones.
    residents = items(evaluation)["residents"]
    assert residents.points is None and residents.computed_points is None
    assert (
        basis(evaluation, "residents") == "only 0 survey responses (at least 5 needed); to be scored by the evaluator"
    )
    assert items(evaluation)["plan"].basis is None and items(evaluation)["plan"].points is None


def test_what_is_recorded_after_the_day_counts_only_on_a_later_day(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 5, 10))
    evaluation = assign(world, contract)
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=LATER)
    assert points(evaluation) == {
        "milestones": D("2.50"),  # the mid-term milestone (due 2025-09-30) is now past its grace
        "targets": D("11.67"),  # (4 / 7.2 + min(1, 101 / 48)) / 2
        "participation": D("8.00"),  # 4 of 5
        "execution": D("3.24"),  # 35,000 of 60,000 expected, / 90%
        "receipts": D("4.00"),  # 28,000 of 35,000
    }
    # Scoring again on the evaluation day reads only what was known then.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    assert points(evaluation)["targets"] == D("12.19") and points(evaluation)["receipts"] == D("3.83")


def test_a_final_evaluation_expects_the_whole_term(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 5, 10))
    evaluation = assign(world, contract, Evaluation.Kind.FINAL)
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    assert points(evaluation) == {
        "milestones": D("5.00"),
        "targets": D("6.66"),  # (3 / 12 + 51 / 80) / 2 = 0.44375 of 15
        "participation": D("7.50"),
        "execution": D("1.67"),  # 30% of the budget, / 90%
        "receipts": D("3.83"),
    }
    assert basis(evaluation, "targets") == "2 indicators measured; mean attainment 44.4% of 100.0% expected"


@pytest.mark.parametrize(("accepted", "earned"), [(date(2025, 5, 16), D("5.00")), (date(2025, 5, 17), D("0.00"))])
def test_a_milestone_accepted_after_its_grace_is_late(
    world: w.World, contract: Contract, accepted: date, earned: Decimal
) -> None:
    w.accept_milestone(world, contract, "start", accepted)  # due 2025-05-01
    evaluation = assign(world, contract)
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    assert points(evaluation)["milestones"] == earned


def test_an_unaccepted_milestone_past_its_grace_earns_nothing(world: w.World, contract: Contract) -> None:
    evaluation = assign(world, contract)
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=DAY)
    assert points(evaluation)["milestones"] == D("0.00")
    assert basis(evaluation, "milestones") == "0 of 1 milestones due were accepted on time"


def test_overriding_the_data_needs_a_comment(world: w.World, contract: Contract) -> None:
    evaluation = assign(world, contract)
    with w.refused(RuleViolation, match="“产出指标完成率”: say why the points differ from the 12.19 the data gives"):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"targets": {"points": "14"}}, on=DAY)
    # Agreeing with the data needs no comment.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {"targets": {"points": "12.19"}}, on=DAY)
    evaluation_services.score_evaluation(
        world.evaluator,
        evaluation,
        {"targets": {"points": "14", "comment": "个案服务另有台账，系统未录入"}},
        on=DAY,
    )
    targets = items(evaluation)["targets"]
    assert (targets.points, targets.computed_points, targets.overridden) == (D("14.00"), D("12.19"), True)
    # The override survives a refresh of the data, and its comment cannot be taken away.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {}, on=LATER)
    targets = items(evaluation)["targets"]
    assert (targets.points, targets.computed_points) == (D("14.00"), D("11.67"))
    with w.refused(RuleViolation, match="say why the points differ"):
        evaluation_services.score_evaluation(world.evaluator, evaluation, {"targets": {"comment": " "}}, on=LATER)
    # Clearing the points follows the data again.
    evaluation_services.score_evaluation(world.evaluator, evaluation, {"targets": {"points": ""}}, on=DAY)
    targets = items(evaluation)["targets"]
    assert (targets.points, targets.overridden) == (D("12.19"), False)


def test_the_submitted_total_adds_the_computed_and_the_evaluator_s_points(world: w.World, contract: Contract) -> None:
    w.accept_milestone(world, contract, "start", date(2025, 5, 10))
    evaluation = assign(world, contract)
    manual = {
        "plan": "4",
        "team": "4",
        "records": "4",
        "change": "12",
        "capacity": "8",
        "partners": "4",
        "compliance": "5",
    }
    scores: dict[str, dict[str, Any]] = {code: {"points": value} for code, value in manual.items()}
    scores["residents"] = {"points": "8", "evidence": "访谈12位服务对象"}
    evaluation_services.submit_evaluation(world.evaluator, evaluation, scores=scores, on=DAY)
    evaluation.refresh_from_db()
    computed_sum = D("5.00") + D("12.19") + D("7.50") + D("4.17") + D("3.83")
    assert evaluation.score == sum((D(v) for v in manual.values()), D(0)) + D(8) + computed_sum == D("81.69")
    assert evaluation.grade == "good"
