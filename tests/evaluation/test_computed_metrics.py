"""The metrics computed indicators read, on hand-made facts (no database): what each counts, how a
mid-term pro-rates, and when the data cannot say and the evaluator scores by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from grassroots.evaluation import computed
from grassroots.evaluation.computed import DeliveryFacts, SurveyFacts, TargetShare

D = Decimal
DAY = date(2025, 9, 30)


def facts(**kwargs: object) -> DeliveryFacts:
    return DeliveryFacts(day=DAY, expected=kwargs.pop("expected", D(1)), **kwargs)  # type: ignore[arg-type]


def test_targets_met_is_the_mean_capped_attainment_pro_rated_to_the_day() -> None:
    targets = [TargetShare(D(12), D(3)), TargetShare(D(80), D(51)), TargetShare(D(10), None), TargetShare(D(0), D(5))]
    final = computed.targets_met(facts(targets=targets))
    assert final.attainment == (D(3) / 12 + D(51) / 80) / 2  # unreported and zero targets are left out
    midterm = computed.targets_met(facts(targets=targets, expected=D("0.4")))
    assert midterm.attainment == (D(3) / D("4.8") + 1) / 2  # 51 of the 32 expected by now: capped at 100%
    assert midterm.basis == "2 indicators measured; mean attainment 81.2% of 40.0% expected"
    assert computed.targets_met(facts(targets=[TargetShare(D(10), None)])).attainment is None


def test_targets_met_on_the_first_day_does_not_divide_by_zero() -> None:
    result = computed.targets_met(facts(targets=[TargetShare(D(12), D(0))], expected=D(0)))
    assert result.attainment == D(0)


@pytest.mark.parametrize(
    ("accepted", "share"),
    [(date(2025, 5, 1), D(1)), (date(2025, 5, 16), D(1)), (date(2025, 5, 17), D(0)), (None, D(0))],
)
def test_a_milestone_is_on_time_within_15_days_of_its_due_date(accepted: date | None, share: Decimal) -> None:
    result = computed.milestones_on_time(facts(milestones=[(date(2025, 5, 1), accepted)]))
    assert result.attainment == share


def test_only_milestones_due_by_the_day_count() -> None:
    result = computed.milestones_on_time(
        facts(milestones=[(date(2025, 5, 1), date(2025, 5, 3)), (date(2025, 10, 1), None), (date(2026, 3, 31), None)])
    )
    assert result.attainment == D(1)
    assert result.basis == "1 of 1 milestones due were accepted on time"
    assert computed.milestones_on_time(facts(milestones=[(date(2025, 10, 1), None)])).attainment is None


def test_an_acceptance_after_the_evaluation_day_is_not_yet_known() -> None:
    # Due five days before the evaluation, accepted five days after it: on the day it is still open and
    # within its grace, so it is not judged yet; the earlier one, accepted late, is.
    due = DAY - timedelta(days=5)
    result = computed.milestones_on_time(
        facts(milestones=[(date(2025, 5, 1), date(2025, 6, 1)), (due, DAY + timedelta(days=5))])
    )
    assert (result.attainment, result.basis) == (D(0), "0 of 1 milestones due were accepted on time")
    # Past its grace on the day and accepted only afterwards: late.
    result = computed.milestones_on_time(facts(milestones=[(date(2025, 9, 1), DAY + timedelta(days=1))]))
    assert (result.attainment, result.basis) == (D(0), "0 of 1 milestones due were accepted on time")


@pytest.mark.parametrize(
    ("spent", "expected", "attainment"),
    [
        ("90000", "1", D(1)),
        ("100000", "1", D(1)),
        ("45000", "1", D("0.5")),
        ("18000", "0.4", D("0.5")),
        ("0", "1", D(0)),
    ],
)
def test_budget_execution_earns_full_points_at_90_percent_of_what_is_expected(
    spent: str, expected: str, attainment: Decimal
) -> None:
    result = computed.budget_execution(facts(budget=D(100000), spent=D(spent), expected=D(expected)))
    assert result.attainment == attainment


def test_budget_execution_without_a_budget_is_left_to_the_evaluator() -> None:
    assert computed.budget_execution(facts(budget=D(0), spent=D(10))).attainment is None
    assert computed.budget_execution(facts(budget=D(100), expected=D(0))).attainment is None


def test_receipts_is_the_share_of_spending_backed() -> None:
    result = computed.receipts(facts(spent=D("30000"), spent_with_receipt=D("23000")))
    assert result.attainment == D(23) / 30
    assert result.basis == "23000.00 of 30000.00 spent is backed by a receipt (76.7%)"
    assert computed.receipts(facts(spent=D(0))).attainment is None


def test_participation_is_the_share_of_sessions_with_residents_or_volunteers() -> None:
    result = computed.participation(facts(group_sessions=4, engaged_sessions=3))
    assert (result.attainment, result.basis) == (D("0.75"), "3 of 4 group and community sessions involved residents")
    assert computed.participation(facts()).attainment is None


def test_satisfaction_needs_five_responses() -> None:
    few = computed.satisfied_share(SurveyFacts(responses=4, counts={5: 20}))
    assert few.attainment is None
    assert few.basis == "only 4 survey responses (at least 5 needed); to be scored by the evaluator"
    enough = computed.satisfied_share(SurveyFacts(responses=5, counts={5: 10, 4: 5, 3: 5, 1: 5}))
    assert enough.attainment == D("0.6")
    assert enough.basis == "15 of 25 answers satisfied or very satisfied (5 responses)"


def test_satisfied_means_the_top_two_points_of_the_scale() -> None:
    assert computed.satisfied_share(SurveyFacts(responses=5, counts={5: 1, 4: 1, 3: 2}, scale=5)).attainment == D("0.5")
    assert computed.satisfied_share(SurveyFacts(responses=5, counts={5: 1, 6: 1, 7: 2}, scale=7)).attainment == D(
        "0.75"
    )
    assert computed.satisfied_share(SurveyFacts(responses=5, counts={})).attainment is None


def test_the_likert_mean_maps_the_scale_onto_0_to_1() -> None:
    assert computed.likert_mean(SurveyFacts(responses=5, counts={5: 5})).attainment == D(1)
    assert computed.likert_mean(SurveyFacts(responses=5, counts={1: 5})).attainment == D(0)
    assert computed.likert_mean(SurveyFacts(responses=6, counts={2: 3, 4: 3})).attainment == D("0.5")
    assert computed.likert_mean(SurveyFacts(responses=3, counts={5: 3})).attainment is None


def test_compute_reads_the_delivery_or_the_survey_facts() -> None:
    delivery = facts(group_sessions=2, engaged_sessions=1)
    survey = SurveyFacts(responses=5, counts={4: 5})
    assert computed.compute("participation", delivery, survey).attainment == D("0.5")
    assert computed.compute("satisfied_share", delivery, survey).attainment == D(1)
    assert set(computed.METRIC_LABELS) == set(computed.METRICS) | set(computed.SURVEY_METRICS)
