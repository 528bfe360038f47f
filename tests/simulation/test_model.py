"""The yearly model: deterministic for a seed, money conserved, and the platform's own code at work."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grassroots.awards import allocation
from grassroots.evaluation import grading
from grassroots.funding import schedule
from grassroots.funding.models import default_grade_factors, default_tranches
from grassroots.governance import metrics
from grassroots.simulation import model, params

from .conftest import SMALL

YEARS = 6


def run(seed: int = 7, years: int = YEARS, **changes: Any) -> list[model.YearResult]:
    return model.simulate(params.validate({**SMALL, **changes}), years, np.random.SeedSequence(seed))


def test_the_same_seed_gives_the_same_years_and_another_seed_others() -> None:
    first, again, other = run(7), run(7), run(8)
    assert [y.metrics for y in first] == [y.metrics for y in again]
    assert [y.ledger for y in first] == [y.ledger for y in again]
    assert [y.facts for y in first] == [y.facts for y in again]
    assert [y.metrics for y in first] != [y.metrics for y in other]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"carry_over": False},
        {"contract_years": 3, "capacity_building_share": 0.2},
        {"matching_ratio": 0.3, "street_matching": 0.1, "allocation_rule": "max_total_score"},
        {"budget_growth": 0.13},
    ],
)
def test_every_yuan_budgeted_is_accounted_for_each_year(changes: dict[str, Any]) -> None:
    carried = 0
    for year in run(11, **changes):
        led = year.ledger
        assert led["carried_in"] == carried
        assert (
            led["carried_in"] + led["budget"]
            == led["capacity_building"] + led["awarded"] + led["carried_out"] + led["returned"]
        )
        assert led["awarded"] == led["paid"] + led["withheld"]
        assert led["awarded"] == sum(year.contract_amounts)
        assert sum(k.amount for k in year.facts.contracts) == Decimal(led["awarded"]) / 100
        assert min(led.values()) >= 0
        carried = led["carried_out"]
    assert run(11, **changes)[0].ledger["budget"] == int(float({**SMALL, **changes}["budget"]) * 100)


def test_withheld_money_follows_the_grade_rule() -> None:
    years = run(5, evaluation_noise=30.0)  # wide scores: every grade occurs
    withheld = sum(y.ledger["withheld"] for y in years)
    fails = sum(1 for y in years for s in y.facts.final_scores if s < 60)
    assert fails and withheld > 0
    # a contract graded fail loses its whole last tranche, one graded pass a fifth of it
    for y in years:
        expected = 0
        for amount, score in zip(y.contract_amounts, y.facts.final_scores, strict=True):
            last = amount * 30 // 100
            factor = Decimal(default_grade_factors()[grading.grade_for(Decimal(str(score)))])
            expected += last - int(Decimal(last) * factor)
        assert y.ledger["withheld"] == expected


def test_the_platforms_payment_schedule_and_grade_rule_are_the_ones_used() -> None:
    assert [str(p) for p in model.TRANCHE_PERCENTS] == default_tranches()
    assert default_grade_factors() == model.GRADE_FACTORS
    # one definition, not two equal copies: the model reads funding.schedule itself
    assert model.schedule is schedule and model.GRADE_FACTORS is schedule.GRADE_FACTORS
    source = Path(model.__file__).read_text(encoding="utf-8")
    assert "(30, 40, 30)" not in source and '"0.80"' not in source


def test_grades_follow_the_grading_boundaries() -> None:
    scores = np.array([0, 59.99, 60, 79.99, 80, 89.99, 90, 100])
    by_model = [model.GRADES[i] for i in model._grade_index(scores)]
    assert by_model == [grading.grade_for(Decimal(str(s))) for s in scores]


def test_the_metrics_are_those_of_governance_metrics_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[metrics.YearFacts, metrics.YearFacts | None, dict[str, float | None]]] = []
    real = metrics.compute

    def spy(current: metrics.YearFacts, previous: metrics.YearFacts | None = None) -> dict[str, float | None]:
        values = real(current, previous)
        seen.append((current, previous, values))
        return values

    monkeypatch.setattr(metrics, "compute", spy)
    years = run(3)
    assert len(seen) == YEARS
    for i, (year, (facts, previous, values)) in enumerate(zip(years, seen, strict=True)):
        assert year.metrics is values and year.facts is facts
        assert previous is (seen[i - 1][0] if i else None)
        assert list(values) == list(metrics.NAMES)
    assert years[0].metrics["tie_persistence"] is None and years[1].metrics["tie_persistence"] is not None


def test_awards_are_decided_by_the_platforms_allocation(monkeypatch: pytest.MonkeyPatch) -> None:
    funded: list[str] = []
    calls: list[str] = []
    real = allocation.allocate

    def spy(rule: str, bids: Any, budget: Decimal, *args: Any, **kwargs: Any) -> allocation.Allocation:
        result = real(rule, bids, budget, *args, **kwargs)
        calls.append(rule)
        funded.extend(result.funded)
        return result

    monkeypatch.setattr(allocation, "allocate", spy)
    years = run(4, years=1, allocation_rule="max_total_score")
    facts = years[0].facts
    assert calls == ["max_total_score"] * len(facts.eligible_per_closed_call)
    assert len(funded) == facts.awarded_applications == len(facts.contracts)  # one-year contracts: no renewals


def test_longer_contracts_are_renewed_without_a_call() -> None:
    years = run(2, contract_years=3)
    renewals = [y.state["renewals"] for y in years]
    assert renewals[0] == 0 and sum(renewals[1:]) > 0
    for y in years:  # renewed contracts are contracts of the year but not awarded applications
        assert len(y.facts.contracts) == y.facts.awarded_applications + y.state["renewals"]
    assert all(y.state["renewals"] == 0 for y in run(2, contract_years=1))


def test_needs_alignment_required_funds_only_aligned_contracts_of_new_calls() -> None:
    for y in run(6, needs_alignment_required=True):
        assert y.metrics["needs_alignment"] in (None, 1.0)


def test_matching_funds_are_the_required_share_of_each_contract() -> None:
    for y in run(6, matching_ratio=0.25, street_matching=0.05):
        for k in y.facts.contracts:
            assert k.matching_funds == (Decimal(k.amount) * Decimal("0.30")).quantize(Decimal("0.01"))


def test_the_city_has_its_residents_as_arrays() -> None:
    city = model.City(params.validate(SMALL), 2, np.random.default_rng(0))
    assert city.resident_community.shape == (SMALL["residents"],)
    assert np.bincount(city.resident_community).tolist() == city.residents.tolist()
    assert (city.residents >= 1).all() and set(city.street.tolist()) == set(range(SMALL["streets"]))
    facts = city.step().facts
    assert facts.residents == SMALL["residents"] and facts.communities == tuple(range(SMALL["communities"]))
    assert facts.active_agencies
