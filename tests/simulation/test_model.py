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


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_the_same_seed_gives_the_same_years_and_another_seed_others() -> None:
    first, again, other = run(7), run(7), run(8)
    assert [y.metrics for y in first] == [y.metrics for y in again]
    assert [y.ledger for y in first] == [y.ledger for y in again]
    assert [y.facts for y in first] == [y.facts for y in again]
    assert [y.metrics for y in first] != [y.metrics for y in other]


RICH = {"budget": 4_000_000, "charity_per_resident": 400.0}  # calls that hold a three-year term; pools that bind


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"carry_over": False},
        {"contract_years": 3, "capacity_building_share": 0.2, **RICH},
        {"contract_years": 2, "carry_over": False, "evaluation_noise": 25.0, **RICH},
        {"matching_ratio": 0.3, "street_matching": 0.1, "allocation_rule": "max_total_score", **RICH},
        {"matching_ratio": 0.5, "street_matching": 0.2, "contract_years": 3, **RICH},
        {"budget_growth": 0.13},
    ],
)
def test_every_yuan_budgeted_and_pooled_is_accounted_for_each_year(changes: dict[str, Any]) -> None:
    carried = owed = 0
    for year in run(11, years=8, **changes):
        led = year.ledger
        assert led["carried_in"] == carried and led["owed_in"] == owed
        # budget in = capacity building + awarded + unspent (carried or returned); terminations give back
        assert (
            led["carried_in"] + led["budget"] + led["released"]
            == led["capacity_building"] + led["awarded"] + led["carried_out"] + led["returned"]
        )
        # what contracts owe = paid + withheld + released + still owed
        assert led["owed_in"] + led["awarded"] == led["paid"] + led["withheld"] + led["released"] + led["owed_out"]
        # matching pools in = drawn by the year's contracts + left
        assert led["matching_pool"] == led["matching_funds"] + led["matching_left"]
        assert led["awarded"] == sum(year.contract_amounts)
        assert sum(k.amount for k in year.facts.contracts) == Decimal(led["awarded"]) / 100
        assert sum(k.matching_funds for k in year.facts.contracts) == Decimal(led["matching_funds"]) / 100
        assert min(led.values()) >= 0
        carried, owed = led["carried_out"], led["owed_out"]
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


def test_a_multi_year_project_is_one_contract_counted_in_the_year_its_term_starts() -> None:
    years = run(2, years=8, contract_years=3, **RICH)
    assert sum(y.state["running"] for y in years[1:]) > 0  # terms span years
    awarded = paid_out = 0
    for y in years:
        # the year's contracts are the awards of the year only, each with its whole term's amount
        assert len(y.facts.contracts) == y.facts.awarded_applications
        assert all(a % 3 == 0 for a in y.contract_amounts)  # three years of a yearly price
        awarded += y.ledger["awarded"]
        paid_out += y.ledger["paid"] + y.ledger["withheld"] + y.ledger["released"]
    assert awarded == paid_out + years[-1].ledger["owed_out"]
    assert years[0].ledger["paid"] < years[0].ledger["awarded"]  # paid over the term, not at once
    assert not years[0].facts.final_scores  # no final evaluation before a term ends (unless it fails)
    assert years[0].ledger["owed_out"] > 0
    assert all(y.state["running"] == 0 and y.ledger["owed_out"] == 0 for y in run(2, contract_years=1))


def test_a_three_year_contract_is_paid_by_the_platforms_schedule_over_its_term() -> None:
    assert [model._due_years(term) for term in (1, 2, 3)] == [(0, 0, 0), (0, 0, 1), (0, 1, 2)]
    city = model.City(params.validate({**SMALL, "contract_years": 3, "evaluation_noise": 0.0, **RICH}), 3, rng(1))
    first = city.step()
    contracts = city.projects.copy()
    assert len(contracts) and (contracts[:, model.AGE] == 1).all()
    tranches = contracts[:, model.TRANCHE : model.TRANCHE + 3]
    assert (tranches.sum(axis=1) == contracts[:, model.YEARLY] * 3).all()
    assert (tranches[:, 0] * 100 == tranches.sum(axis=1) * int(schedule.TRANCHE_PERCENTS[0])).all()
    # the first year pays the start tranche of every contract that goes on
    assert first.ledger["paid"] >= int(tranches[:, 0].sum())


def test_matching_funds_are_drawn_from_yearly_pools_that_never_go_negative() -> None:
    assert model._draw(np.array([100, 50]), np.array([0, 0, 1, 0]), np.array([60, 60, 80, 10])).tolist() == [
        60,
        40,
        50,
        0,
    ]
    ratio, street = 0.5, 0.2
    drew_less = False
    for y in run(6, years=8, matching_ratio=ratio, street_matching=street, **RICH):
        assert 0 <= y.ledger["matching_funds"] <= y.ledger["matching_pool"]
        for k in y.facts.contracts:
            wanted = (Decimal(k.amount) * Decimal(str(ratio + street))).quantize(Decimal("0.01"))
            assert 0 <= k.matching_funds <= wanted
            drew_less |= k.matching_funds < wanted
        share = y.metrics["cofunding_share"]
        assert share is None or share <= (ratio + street) / (1 + ratio + street) + 1e-9
    assert drew_less  # a community with several contracts runs out of what it can raise


def test_needs_alignment_required_funds_only_aligned_contracts_of_new_calls() -> None:
    for y in run(6, needs_alignment_required=True):
        assert y.metrics["needs_alignment"] in (None, 1.0)


def test_a_joint_credit_keeps_a_partner_only_for_joint_credit_years() -> None:
    city = model.City(params.validate({**SMALL, "joint_credit": True, "joint_credit_years": 2}), 6, rng(0))
    partner, other = 0, 1
    city.incumbent[3, 1], city.incumbent_score[3, 1], city.incumbent_year[3, 1] = partner, 92.0, 0
    kept = []
    for year in range(1, 5):
        city.year = year
        kept.append(bool(city.keeps_partner(np.array([3]), np.array([1]), np.array([other]))[0]))
    assert kept == [True, True, False, False]  # graded in year 0: kept in years 1 and 2, open from year 3
    assert not city.keeps_partner(np.array([3]), np.array([1]), np.array([partner]))[0]
    city.year, city.incumbent_score[3, 1] = 1, 85.0
    assert city.keeps_partner(np.array([3]), np.array([1]), np.array([other]))[0]
    city.incumbent_score[3, 1] = 79.0  # below good: no lock
    assert not city.keeps_partner(np.array([3]), np.array([1]), np.array([other]))[0]


def test_the_city_has_its_residents_as_arrays() -> None:
    city = model.City(params.validate(SMALL), 2, np.random.default_rng(0))
    assert city.resident_community.shape == (SMALL["residents"],)
    assert np.bincount(city.resident_community).tolist() == city.residents.tolist()
    assert (city.residents >= 1).all() and set(city.street.tolist()) == set(range(SMALL["streets"]))
    facts = city.step().facts
    assert facts.residents == SMALL["residents"] and facts.communities == tuple(range(SMALL["communities"]))
    assert facts.active_agencies
