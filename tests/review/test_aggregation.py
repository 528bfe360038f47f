"""From reviewers' totals to one score per application: mean, trimmed mean and z-score normalisation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grassroots.review.aggregation import Mark, aggregate, disagreement

D = Decimal


def marks(table: dict[str, dict[str, str]]) -> list[Mark]:
    """{reviewer: {application: total}} as marks."""
    return [Mark(r, a, D(t)) for r, row in table.items() for a, t in row.items()]


def test_mean_to_two_places_half_up() -> None:
    result = aggregate(marks({"r1": {"a": "80"}, "r2": {"a": "85"}, "r3": {"a": "90.01"}}), "mean")
    assert result == {"a": D("85.00")}
    assert aggregate(marks({"r1": {"a": "80"}, "r2": {"a": "80.01"}}))["a"] == D("80.01")  # 80.005 rounds up


def test_trimmed_mean_drops_the_highest_and_the_lowest_mark() -> None:
    table = {"r1": {"a": "20"}, "r2": {"a": "80"}, "r3": {"a": "82"}, "r4": {"a": "100"}}
    assert aggregate(marks(table), "trimmed_mean") == {"a": D("81.00")}
    assert aggregate(marks(table), "mean") == {"a": D("70.50")}


def test_trimmed_mean_with_two_marks_is_the_mean() -> None:
    assert aggregate(marks({"r1": {"a": "60"}, "r2": {"a": "70"}}), "trimmed_mean") == {"a": D("65.00")}


def test_zscore_evens_out_a_harsh_and_a_lenient_reviewer() -> None:
    # The harsh reviewer marks 20 points below the lenient one, but both rank b above a by the same step.
    table = {"harsh": {"a": "60", "b": "70"}, "lenient": {"a": "80", "b": "90"}}
    result = aggregate(marks(table), "zscore")
    # Overall mean 75 and spread √125 ≈ 11.18; each reviewer's a is one of their deviations below, b one above.
    assert result == {"a": D("63.82"), "b": D("86.18")}
    assert aggregate(marks(table), "mean") == {"a": D("70.00"), "b": D("80.00")}


def test_zscore_of_a_reviewer_with_one_mark_is_the_panel_mean() -> None:
    table = {"r1": {"a": "50", "b": "100"}, "r2": {"c": "90"}}
    result = aggregate(marks(table), "zscore")
    assert result["c"] == D("80.00")


def test_zscore_stays_within_0_and_100() -> None:
    table = {"r1": {"a": "0", "b": "0", "c": "100"}, "r2": {"a": "100", "b": "100", "c": "100"}}
    result = aggregate(marks(table), "zscore")
    assert all(D(0) <= v <= D(100) for v in result.values())


def test_no_marks_no_scores() -> None:
    assert aggregate([], "mean") == {}
    assert aggregate([], "zscore") == {}


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="median"):
        aggregate([], "median")


def test_disagreement_flags_spreads_beyond_the_threshold() -> None:
    table = {"r1": {"a": "50", "b": "70", "c": "70"}, "r2": {"a": "80", "b": "90", "c": "90.01"}}
    assert disagreement(marks(table)) == {"a", "c"}
    assert disagreement(marks(table), threshold=D("30")) == set()
