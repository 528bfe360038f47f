"""Third-party evaluations: who may score them, what a score needs, and what accepting a final one does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from grassroots.contracts.models import Contract
from grassroots.core.errors import IllegalTransition, RuleViolation
from grassroots.evaluation import services as evaluation_services
from grassroots.evaluation.models import Evaluation, PerformanceRecord
from grassroots.orgs import services as org_services
from tests import world as w

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2025, 9, 20)


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            pk = w.funded_contract(w.reload(module_world), agency=1).pk
        yield pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


@pytest.fixture
def evaluation(world: w.World, contract: Contract) -> Evaluation:
    return evaluation_services.assign_evaluation(
        world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
    )


def test_a_submitted_evaluation_carries_its_items_total_and_grade(world: w.World, evaluation: Evaluation) -> None:
    items = w.evaluation_items("80")
    items[0]["score"] = "100"  # management, weight 15: +3 points
    evaluation_services.submit_evaluation(world.evaluator, evaluation, items=items, findings="按计划推进", on=DAY)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.score, evaluation.grade) == (Evaluation.State.SUBMITTED, D("83.00"), "good")
    assert evaluation.items.count() == 5
    assert evaluation.submitted_on == DAY


@pytest.mark.parametrize(
    ("items", "match"),
    [
        ([{"code": "all", "name": "全部", "weight": "90", "score": "80"}], "add up to 90"),
        ([{"code": "all", "name": "全部", "weight": "100", "score": "120"}], "outside 0-100"),
        ([{"code": "all", "name": "全部", "weight": "100"}], "needs a weight and a score"),
        ([{"code": "all", "name": "全部", "weight": "100", "score": "很好"}], "needs a weight and a score"),
    ],
)
def test_an_evaluation_is_scored_on_weights_adding_up_to_100(
    world: w.World, evaluation: Evaluation, items: list[dict[str, str]], match: str
) -> None:
    with w.refused(RuleViolation, match=match):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, items=items, on=DAY)


def test_an_evaluation_is_accepted_once_and_only_after_it_is_submitted(world: w.World, evaluation: Evaluation) -> None:
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, evaluation)
    evaluation_services.submit_evaluation(world.evaluator, evaluation, items=w.evaluation_items("75"), on=DAY)
    evaluation_services.accept_evaluation(world.street_officer, evaluation)
    with w.refused(IllegalTransition):
        evaluation_services.accept_evaluation(world.street_officer, evaluation)
    with w.refused(IllegalTransition):
        evaluation_services.submit_evaluation(world.evaluator, evaluation, items=w.evaluation_items("95"), on=DAY)
    assert Evaluation.objects.get(pk=evaluation.pk).score == D("75.00")


def test_a_contract_gets_one_evaluation_of_each_kind(
    world: w.World, contract: Contract, evaluation: Evaluation
) -> None:
    with w.refused(RuleViolation, match="already has that evaluation"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.MIDTERM
        )


def test_the_evaluator_is_a_third_party(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="not a third-party evaluator"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.agencies[2], kind=Evaluation.Kind.FINAL
        )
    # The evaluator's staff also works for the contracted agency: a conflict of interest.
    org_services.add_membership(
        world.dept_officer, person=world.evaluator.person, organization=contract.agency, role="board_member"
    )
    with w.refused(RuleViolation, match="shares staff"):
        evaluation_services.assign_evaluation(
            world.street_officer, contract, evaluator=world.evaluator_org, kind=Evaluation.Kind.FINAL
        )


def test_an_unknown_kind_of_evaluation_is_refused(world: w.World, contract: Contract) -> None:
    with w.refused(RuleViolation, match="Unknown kind"):
        evaluation_services.assign_evaluation(world.street_officer, contract, evaluator=world.evaluator_org, kind="x")


def test_accepting_the_final_evaluation_writes_the_performance_record(world: w.World, contract: Contract) -> None:
    w.evaluate(world, contract, Evaluation.Kind.MIDTERM, "70", DAY)
    assert not PerformanceRecord.objects.filter(contract=contract).exists()
    w.evaluate(world, contract, Evaluation.Kind.FINAL, "91.5", date(2026, 3, 25))
    record = PerformanceRecord.objects.get(contract=contract)
    assert (record.agency, record.fiscal_year, record.score, record.grade) == (
        world.agencies[1],
        w.FY,
        D("91.50"),
        "excellent",
    )
