"""Award allocation under a budget (plain data): known answers, reasons, and properties that always hold."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.awards.allocation import Bid, allocate, ranking_key

D = Decimal
MIN = D("60")


def bid(bid_id: str, requested: str, score: str, agency: str = "", category: str = "") -> Bid:
    return Bid(bid_id, D(requested), D(score), agency=agency, category=category)


def test_rank_order_funds_down_the_ranking_what_still_fits() -> None:
    bids = [bid("a", "60", "90"), bid("b", "50", "85"), bid("c", "40", "80"), bid("d", "10", "59.99")]
    result = allocate("rank_order", bids, D("100"), MIN)
    assert result.funded == ["a", "c"]
    assert result.total_awarded == D("100.00")
    assert result.objective == D("170")
    assert result.reasons == {
        "b": "the request 50 does not fit the remaining budget 40",
        "d": "below the minimum score 60",
    }


def test_max_total_score_finds_the_better_set_that_rank_order_misses() -> None:
    bids = [bid("a", "60", "90"), bid("b", "50", "85"), bid("c", "50", "80")]
    greedy = allocate("rank_order", bids, D("100"), MIN)
    best = allocate("max_total_score", bids, D("100"), MIN)
    assert (greedy.funded, greedy.objective) == (["a"], D("90"))
    assert (best.funded, best.objective, best.total_awarded) == (["b", "c"], D("165"), D("100.00"))
    assert "largest total score" in best.reasons["a"]


def test_max_total_score_prefers_the_cheaper_of_equal_totals() -> None:
    bids = [bid("dear", "60", "80"), bid("cheap", "50", "80")]
    assert allocate("max_total_score", bids, D("60"), MIN).funded == ["cheap"]


def test_a_request_larger_than_the_budget_says_so() -> None:
    result = allocate("max_total_score", [bid("huge", "101", "99")], D("100"), MIN)
    assert result.funded == []
    assert result.reasons == {"huge": "the request 101 is larger than the whole budget 100"}


def test_ties_go_to_the_smaller_request_then_the_id() -> None:
    bids = [bid("b", "50", "80"), bid("a", "50", "80"), bid("c", "40", "80"), bid("d", "90", "81")]
    assert [b.id for b in sorted(bids, key=ranking_key)] == ["d", "c", "a", "b"]
    assert allocate("rank_order", bids, D("90"), MIN).funded == ["d"]
    assert allocate("rank_order", bids, D("89.99"), MIN).funded == ["c"]


@pytest.mark.parametrize("rule", ["rank_order", "max_total_score"])
def test_an_agency_gets_at_most_its_share_of_awards(rule: str) -> None:
    bids = [bid("a1", "10", "90", agency="A"), bid("a2", "10", "89", agency="A"), bid("b1", "10", "70", agency="B")]
    result = allocate(rule, bids, D("100"), MIN, max_awards_per_agency=1)
    assert result.funded == ["a1", "b1"]
    assert "a2" in result.reasons


@pytest.mark.parametrize("rule", ["rank_order", "max_total_score"])
def test_a_category_cap_is_respected(rule: str) -> None:
    bids = [bid("e1", "40", "90", category="elderly"), bid("e2", "40", "85", category="elderly")]
    bids.append(bid("y1", "40", "70", category="youth"))
    result = allocate(rule, bids, D("200"), MIN, category_caps={"elderly": D("50")})
    assert result.funded == ["e1", "y1"]
    if rule == "rank_order":
        assert result.reasons["e2"] == "the request 40 does not fit what is left (10) of the cap for category elderly"


def test_nothing_to_fund() -> None:
    for rule in ("rank_order", "max_total_score"):
        result = allocate(rule, [], D("100"), MIN)
        assert (result.funded, result.total_awarded, result.reasons) == ([], D("0.00"), {})


@pytest.mark.parametrize(
    ("rule", "bids", "budget"),
    [
        ("lottery", [], D("1")),
        ("rank_order", [], D("-1")),
        ("rank_order", [bid("a", "1", "90"), bid("a", "2", "80")], D("10")),
    ],
)
def test_bad_input_is_refused(rule: str, bids: list[Bid], budget: Decimal) -> None:
    with pytest.raises(ValueError):
        allocate(rule, bids, budget, MIN)


amounts = st.integers(min_value=1, max_value=20_000_000).map(lambda cents: D(cents) / 100)
scores = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: D(hundredths) / 100)
bid_lists = st.lists(
    st.tuples(amounts, scores, st.sampled_from("ABC"), st.sampled_from(["elderly", "youth"])), max_size=9
).map(lambda rows: [Bid(f"app{i}", r, s, agency=a, category=c) for i, (r, s, a, c) in enumerate(rows)])
budgets = st.integers(min_value=0, max_value=60_000_000).map(lambda cents: D(cents) / 100)


@settings(max_examples=80, deadline=None)
@given(bid_lists, budgets, st.sampled_from(["rank_order", "max_total_score"]))
def test_an_allocation_never_exceeds_the_budget_and_explains_every_refusal(
    bids: list[Bid], budget: Decimal, rule: str
) -> None:
    result = allocate(rule, bids, budget, MIN)
    funded = [b for b in bids if b.id in result.funded]
    assert result.total_awarded == sum((b.requested for b in funded), D(0)) <= budget
    assert all(b.score >= MIN for b in funded)
    assert set(result.reasons) == {b.id for b in bids} - set(result.funded)
    assert result.funded == [b.id for b in sorted(funded, key=ranking_key)]


@settings(max_examples=60, deadline=None)
@given(bid_lists, budgets, st.integers(min_value=1, max_value=2))
def test_caps_always_hold(bids: list[Bid], budget: Decimal, per_agency: int) -> None:
    caps = {"elderly": budget / 3}
    for rule in ("rank_order", "max_total_score"):
        result = allocate(rule, bids, budget, MIN, max_awards_per_agency=per_agency, category_caps=caps)
        funded = [b for b in bids if b.id in result.funded]
        assert sum((b.requested for b in funded if b.category == "elderly"), D(0)) <= caps["elderly"]
        for agency in "ABC":
            assert sum(1 for b in funded if b.agency == agency) <= per_agency


@settings(max_examples=60, deadline=None)
@given(bid_lists, budgets)
def test_max_total_score_is_optimal_and_never_worse_than_rank_order(bids: list[Bid], budget: Decimal) -> None:
    best = allocate("max_total_score", bids, budget, MIN)
    greedy = allocate("rank_order", bids, budget, MIN)
    assert best.objective >= greedy.objective
    candidates = [b for b in bids if b.score >= MIN]
    optimum = max(
        (
            sum((b.score for b in subset), D(0))
            for n in range(len(candidates) + 1)
            for subset in itertools.combinations(candidates, n)
            if sum((b.requested for b in subset), D(0)) <= budget
        ),
        default=D(0),
    )
    assert best.objective == optimum
