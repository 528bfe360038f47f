"""Grades from scores (excellent ≥ 90, good ≥ 80, pass ≥ 60, fail) and weighted evaluation totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grassroots.evaluation.grading import DEFAULT_DIMENSIONS, grade_for, weighted_score

D = Decimal


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("89.99", "good"),
        ("80", "good"),
        ("79.99", "pass"),
        ("60", "pass"),
        ("59.99", "fail"),
        ("0", "fail"),
    ],
)
def test_grade_boundaries(score: str, grade: str) -> None:
    assert grade_for(D(score)) == grade


def test_the_default_dimensions_weigh_100() -> None:
    assert sum((weight for *_names, weight in DEFAULT_DIMENSIONS), D(0)) == D(100)


def test_weighted_score_rounds_half_up_to_two_places() -> None:
    assert weighted_score([(D("50"), D("90")), (D("50"), D("80.01"))]) == D("85.01")  # 85.005
    assert weighted_score([(D("15"), D("80")), (D("30"), D("90")), (D("25"), D("70")), (D("30"), D("100"))]) == D(
        "86.50"
    )


@pytest.mark.parametrize(
    ("items", "match"),
    [
        ([(D("50"), D("90")), (D("40"), D("80"))], "add up to 90"),
        ([(D("100"), D("100.01"))], "outside 0-100"),
        ([(D("100"), D("-1"))], "outside 0-100"),
    ],
)
def test_weighted_score_refuses_bad_items(items: list[tuple[Decimal, Decimal]], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        weighted_score(items)
