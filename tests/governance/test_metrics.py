"""The pure governance metrics on hand-made years, the null rule for each, and their properties."""

from __future__ import annotations

import dataclasses
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.core.shares import equal_split
from grassroots.evaluation import grading
from grassroots.governance import metrics
from grassroots.governance.metrics import ContractFact, YearFacts, compute, compute_series

# A copy of ../shared/contracts/governance-metrics.md kept with the tests: CI clones this repository alone.
CONTRACT_FILE = Path(__file__).resolve().with_name("governance-metrics.md")

ORDER = (
    "applications_per_call",
    "success_rate",
    "award_hhi",
    "community_gini",
    "linkage_density",
    "tie_persistence",
    "agency_embeddedness",
    "project_continuation",
    "cofunding_share",
    "volunteer_hours_per_1000",
    "resident_participation_per_1000",
    "needs_alignment",
    "mean_final_score",
    "fail_rate",
)


def k(agency, communities, category, amount, matching=0, aligned=False) -> ContractFact:
    return ContractFact(agency, tuple(communities), category, Decimal(amount), Decimal(matching), aligned)


def year(**changes) -> YearFacts:
    empty = YearFacts(
        year=2025,
        communities=(),
        residents=0,
        active_agencies=(),
        eligible_per_closed_call=(),
        eligible_applications=0,
        awarded_applications=0,
        contracts=(),
        volunteer_hours=0.0,
        resident_participations=0,
        final_scores=(),
    )
    return dataclasses.replace(empty, **changes)


# Four communities A–D with 2,000 residents, three active agencies X, Y, Z.
CURRENT = year(
    year=2025,
    communities=("A", "B", "C", "D"),
    residents=2000,
    active_agencies=("X", "Y", "Z"),
    eligible_per_closed_call=(5, 3),
    eligible_applications=8,
    awarded_applications=3,
    contracts=(
        k("X", "A", "elder", "100.00", "20.00", aligned=True),
        k("X", "AB", "youth", "200.00", "0.00", aligned=False),
        k("Y", "C", "elder", "100.00", "30.00", aligned=True),
    ),
    volunteer_hours=150.5,
    resident_participations=30,
    final_scores=(92.0, 55.0, 70.0, 59.99),
)
PREVIOUS = year(
    year=2024,
    communities=("A", "B", "C", "D"),
    residents=2000,
    active_agencies=("X", "Y", "Z"),
    contracts=(
        k("X", "A", "elder", "50.00"),
        k("Z", "D", "youth", "80.00"),
        k("Y", "BC", "disability", "60.00"),
    ),
)


def test_names_and_order_are_the_contracts():
    assert metrics.NAMES == ORDER
    assert tuple(m.name for m in metrics.METRICS) == ORDER
    assert tuple(compute(CURRENT)) == ORDER


def contract_rows() -> list[tuple[str, str]]:
    return re.findall(r"^\| `(\w+)` \| (.+?) \|$", CONTRACT_FILE.read_text(encoding="utf-8"), flags=re.M)


def test_the_metric_names_are_the_contracts_table():
    assert tuple(name for name, _definition in contract_rows()) == metrics.NAMES


def test_definitions_are_the_contracts_verbatim():
    assert [(m.name, m.definition) for m in metrics.METRICS] == contract_rows()


def test_every_metric_on_a_hand_made_year():
    got = compute(CURRENT, PREVIOUS)
    assert got == {
        # calls closed with 5 and 3 eligible applications: (5 + 3) / 2
        "applications_per_call": 4.0,
        # 3 awarded of 8 eligible
        "success_rate": 0.375,
        # X holds 100 + 200 = 300, Y 100 of 400: 0.75² + 0.25² = 0.5625 + 0.0625
        "award_hhi": 0.625,
        # A 100 + 200/2 = 200, B 200/2 = 100, C 100, D 0; sorted 0, 100, 100, 200, total 400:
        # Σ(2i − n − 1)x = −3·0 − 1·100 + 1·100 + 3·200 = 600; 600 / (4 · 400)
        "community_gini": 0.375,
        # pairs (A,X), (B,X), (C,Y): 3 / (4 communities × 3 agencies)
        "linkage_density": 0.25,
        # last year's pairs (A,X), (D,Z), (B,Y), (C,Y); of this year's three, (A,X) and (C,Y) held: 2/3
        "tie_persistence": 0.666666666667,
        # X serves A and B (2), Y serves C (1): (2 + 1) / 2
        "agency_embeddedness": 1.5,
        # last year's (A, elder) is contracted again, (D, youth) and (B|C, disability) are not: 1/3
        "project_continuation": 0.333333333333,
        # matching 20 + 30 = 50 of a budget of 400 + 50: 1/9
        "cofunding_share": 0.111111111111,
        # 150.5 hours × 1000 / 2000 residents
        "volunteer_hours_per_1000": 75.25,
        # 30 × 1000 / 2000
        "resident_participation_per_1000": 15.0,
        # two of three contracts address a prioritised need
        "needs_alignment": 0.666666666667,
        # (92 + 55 + 70 + 59.99) / 4 = 276.99 / 4
        "mean_final_score": 69.2475,
        # 55 and 59.99 are below 60: 2 of 4
        "fail_rate": 0.5,
    }
    assert all(type(v) is float for v in got.values())


def test_a_share_outside_the_jurisdiction_is_not_a_community_of_it():
    # 300 shared between A (inside) and Q (another street's): A 150, B 0 → sorted 0, 150: (−1·0 + 1·150)/(2·150)
    facts = year(communities=("A", "B"), active_agencies=("X",), contracts=(k("X", "AQ", "elder", "300"),))
    got = compute(facts)
    assert got["community_gini"] == 0.5
    assert got["linkage_density"] == 0.5  # only (A, X) counts: 1 / (2 × 1)
    assert got["agency_embeddedness"] == 1.0
    assert metrics.community_amounts(facts) == {"A": 150.0, "B": 0.0}


# ---- the null rule: no denominator, None; a denominator and nothing counted, 0 -------------------------


def test_an_empty_year_is_all_null():
    assert compute(year(), year(year=2024)) == dict.fromkeys(ORDER)


def test_applications_per_call_is_null_without_closed_calls():
    assert compute(year(eligible_applications=4))["applications_per_call"] is None
    assert compute(year(eligible_per_closed_call=(0, 0)))["applications_per_call"] == 0.0


def test_success_rate_is_null_without_eligible_applications():
    assert compute(year(eligible_per_closed_call=(0,)))["success_rate"] is None
    assert compute(year(eligible_applications=5))["success_rate"] == 0.0


CONTRACT_METRICS = ("award_hhi", "community_gini", "agency_embeddedness", "cofunding_share", "needs_alignment")


@pytest.mark.parametrize("name", CONTRACT_METRICS)
def test_contract_metrics_are_null_without_contracts(name):
    facts = year(communities=("A", "B"), residents=100, active_agencies=("X",), eligible_applications=3)
    assert compute(facts)[name] is None


def test_amount_metrics_are_null_when_nothing_was_paid():
    facts = year(communities=("A",), active_agencies=("X",), contracts=(k("X", "A", "elder", "0"),))
    got = compute(facts)
    assert got["award_hhi"] is None
    assert got["community_gini"] is None
    assert got["cofunding_share"] is None
    assert got["needs_alignment"] == 0.0  # one contract, not aligned: a denominator, nothing counted
    assert got["agency_embeddedness"] == 1.0


def test_linkage_density_is_null_without_communities_or_agencies():
    assert compute(year(communities=("A",)))["linkage_density"] is None
    assert compute(year(active_agencies=("X",)))["linkage_density"] is None
    assert compute(year(communities=("A",), active_agencies=("X",)))["linkage_density"] == 0.0


def test_tie_persistence_is_null_without_pairs_this_year_and_zero_without_pairs_last_year():
    assert compute(CURRENT)["tie_persistence"] is None  # no previous year observed
    assert compute(CURRENT, year(year=2024, communities=("A",)))["tie_persistence"] == 0.0  # nothing carried over
    no_pairs_now = dataclasses.replace(CURRENT, contracts=())
    assert compute(no_pairs_now, PREVIOUS)["tie_persistence"] is None
    strangers = dataclasses.replace(CURRENT, contracts=(k("Z", "B", "elder", "10"),))
    assert compute(strangers, PREVIOUS)["tie_persistence"] == 0.0


def test_project_continuation_goes_on_only_through_the_jurisdictions_communities():
    """Last year: a contract with O (outside) and A; this year one with O and B, same category: O's contract
    does not continue A's, so nothing continued (as if the second contract had only B)."""
    before = year(year=2024, communities=("A", "B"), contracts=(k("X", "OA", "elder", "10"),))
    now = year(communities=("A", "B"), contracts=(k("Y", "OB", "elder", "10"),))
    assert compute(now, before)["project_continuation"] == 0.0
    again = year(communities=("A", "B"), contracts=(k("Y", "OA", "elder", "10"),))
    assert compute(again, before)["project_continuation"] == 1.0


def test_project_continuation_is_null_without_last_years_contracts():
    assert compute(CURRENT)["project_continuation"] is None
    assert compute(CURRENT, year(year=2024))["project_continuation"] is None
    nothing_now = dataclasses.replace(CURRENT, contracts=())
    assert compute(nothing_now, PREVIOUS)["project_continuation"] == 0.0


def test_rates_per_1000_are_null_without_residents():
    got = compute(year(volunteer_hours=12.0, resident_participations=3))
    assert got["volunteer_hours_per_1000"] is None
    assert got["resident_participation_per_1000"] is None
    got = compute(year(residents=500))
    assert got["volunteer_hours_per_1000"] == 0.0
    assert got["resident_participation_per_1000"] == 0.0


def test_scores_are_null_without_final_evaluations():
    got = compute(year())
    assert got["mean_final_score"] is None
    assert got["fail_rate"] is None
    got = compute(year(final_scores=(60.0, 90.0)))
    assert got["mean_final_score"] == 75.0
    assert got["fail_rate"] == 0.0  # 60 is a pass


# ---- matching funds, the equal split and the fail mark: one rule each ----------------------------------


def test_street_money_pooled_in_the_amount_is_matching_funds_counted_once():
    # 400 contracted, of which 100 is the street's money pooled into the call; 50 of community money beside it:
    # matching 100 + 50 of a budget of 400 + 50 (the pooled 100 is already inside the 400)
    pooled = dataclasses.replace(k("X", "A", "elder", "400.00", "50.00"), pooled_matching=Decimal("100.00"))
    got = compute(year(communities=("A",), active_agencies=("X",), contracts=(pooled,)))
    assert got["cofunding_share"] == 0.333333333333
    assert metrics.matching_of(pooled) == 150.0
    # the amount is still the contract's: the concentration metrics do not move
    assert got["award_hhi"] == 1.0
    assert metrics.community_amounts(year(communities=("A",), contracts=(pooled,))) == {"A": 400.0}


def test_a_partner_named_twice_gets_one_equal_share_as_in_the_scorecards():
    from grassroots.evaluation.scorecards import ProjectResult, scorecards

    facts = year(communities=(1, 2), contracts=(k("X", (1, 1, 2), "elder", "300"),))
    assert metrics.community_amounts(facts) == {1: 150.0, 2: 150.0}
    _streets, cards = scorecards([ProjectResult(1, 2025, Decimal("300"), Decimal("80"), "good", None, (1, 1, 2))])
    assert {org: card.funds for (org, _y), card in cards.items()} == {1: Decimal("150.00"), 2: Decimal("150.00")}


def test_equal_split():
    assert equal_split(Decimal("100"), ["a", "b", "a", "c"]) == dict.fromkeys("abc", Decimal("100") / 3)
    assert equal_split(90.0, ("x",)) == {"x": 90.0}
    assert equal_split(Decimal("5"), []) == {}


def test_the_fail_mark_is_the_grading_pass_mark():
    assert metrics.PASS_MARK is grading.PASS_MARK
    below = float(grading.PASS_MARK) - 0.01
    scores = (below, float(grading.PASS_MARK), 100.0)
    got = compute(year(final_scores=scores))
    assert got["fail_rate"] == pytest.approx(
        sum(grading.grade_for(Decimal(str(s))) == "fail" for s in scores) / len(scores)
    )
    assert got["fail_rate"] == 0.333333333333


def test_series_feeds_only_the_year_before():
    series = compute_series([PREVIOUS, CURRENT, dataclasses.replace(CURRENT, year=2027)])
    assert series[2025]["tie_persistence"] == 0.666666666667
    assert series[2024]["tie_persistence"] is None  # no year before the first
    assert series[2027]["tie_persistence"] is None  # 2026 is missing, so 2025 is not its previous year


def test_lorenz_curve_of_the_hand_made_year():
    # sorted 0, 100, 100, 200 of 400
    assert metrics.lorenz(metrics.community_amounts(CURRENT).values()) == [
        (0.0, 0.0),
        (0.25, 0.0),
        (0.5, 0.25),
        (0.75, 0.5),
        (1.0, 1.0),
    ]
    assert metrics.lorenz([]) == [(0.0, 0.0)]


# ---- properties -------------------------------------------------------------------------------------

amounts = st.lists(st.decimals(min_value="0.01", max_value="1000000", places=2), min_size=1, max_size=30)
ids = st.integers(min_value=0, max_value=9)
contract_facts = st.builds(
    ContractFact,
    agency=ids,
    communities=st.lists(ids, min_size=1, max_size=3).map(tuple),
    category=st.sampled_from(("elder", "youth", "disability")),
    amount=st.decimals(min_value="0.01", max_value="1000000", places=2),
    matching_funds=st.decimals(min_value="0", max_value="100000", places=2),
    addresses_prioritised_need=st.booleans(),
).flatmap(  # the street's pooled money is a part of the amount
    lambda c: st.decimals(min_value="0", max_value=c.amount, places=2).map(
        lambda p: dataclasses.replace(c, pooled_matching=p)
    )
)
years = st.builds(
    YearFacts,
    year=st.just(2025),
    communities=st.just(tuple(range(10))),
    residents=st.integers(min_value=0, max_value=100000),
    active_agencies=st.just(tuple(range(10))),
    eligible_per_closed_call=st.lists(st.integers(min_value=0, max_value=50), max_size=5).map(tuple),
    eligible_applications=st.integers(min_value=0, max_value=100),
    awarded_applications=st.just(0),
    contracts=st.lists(contract_facts, max_size=25).map(tuple),
    volunteer_hours=st.floats(min_value=0, max_value=1e6),
    resident_participations=st.integers(min_value=0, max_value=10**6),
    final_scores=st.lists(st.floats(min_value=0, max_value=100), max_size=10).map(tuple),
)


@given(amounts)
def test_hhi_lies_between_one_over_n_and_one(values):
    h = metrics.hhi(values)
    assert h is not None
    assert 1 / len(values) - 1e-12 <= h <= 1 + 1e-12


@given(amounts)
def test_gini_lies_in_zero_to_one_minus_one_over_n_and_matches_pairwise_definition(values):
    g = metrics.gini(values)
    assert g is not None
    n = len(values)
    assert -1e-12 <= g <= 1 - 1 / n + 1e-12 < 1 + 1e-12
    x = [float(v) for v in values]
    pairwise = sum(abs(a - b) for a, b in itertools.product(x, x)) / n**2 / (2 * sum(x) / n)
    assert g == pytest.approx(pairwise, abs=1e-9)


@given(amounts, st.integers(min_value=1, max_value=1000))
def test_concentration_does_not_depend_on_the_unit(values, factor):
    scaled = [v * factor for v in values]
    assert metrics.gini(scaled) == pytest.approx(metrics.gini(values), abs=1e-9)
    assert metrics.hhi(scaled) == pytest.approx(metrics.hhi(values), abs=1e-9)


SHARES = (
    "success_rate",
    "award_hhi",
    "community_gini",
    "linkage_density",
    "tie_persistence",
    "project_continuation",
    "cofunding_share",
    "needs_alignment",
    "fail_rate",
)


@given(years, years)
def test_shares_lie_in_zero_one_and_keys_are_the_contracts(current, previous):
    current = dataclasses.replace(current, awarded_applications=current.eligible_applications // 2)
    got = compute(current, dataclasses.replace(previous, year=2024))
    assert tuple(got) == ORDER
    for name in SHARES:
        assert got[name] is None or 0 <= got[name] <= 1, name
    assert got["community_gini"] is None or got["community_gini"] < 1
    if current.contracts:
        assert 1 <= got["agency_embeddedness"] <= 10


@given(years)
def test_a_year_repeated_keeps_every_tie_and_every_project(facts):
    got = compute(facts, dataclasses.replace(facts, year=2024))
    if facts.contracts:
        assert got["tie_persistence"] == 1.0
        assert got["project_continuation"] == 1.0


@given(years, st.randoms(use_true_random=False))
def test_the_order_of_contracts_does_not_matter(facts, random):
    shuffled = list(facts.contracts)
    random.shuffle(shuffled)
    again = compute(dataclasses.replace(facts, contracts=tuple(shuffled)))
    for name, value in compute(facts).items():
        assert again[name] == (None if value is None else pytest.approx(value, rel=1e-9)), name


def test_decimal_and_float_amounts_agree():
    as_float = dataclasses.replace(
        CURRENT,
        contracts=tuple(
            dataclasses.replace(c, amount=float(c.amount), matching_funds=float(c.matching_funds))
            for c in CURRENT.contracts
        ),
    )
    assert compute(as_float, PREVIOUS) == compute(CURRENT, PREVIOUS)
