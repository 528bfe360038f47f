"""Grades from scores (excellent ≥ 90, good ≥ 80, pass ≥ 60, fail), and how leaf points and totals round."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.evaluation.grading import BOUNDARIES, grade_for
from grassroots.evaluation.indicators import points, total

D = Decimal


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100", "excellent"),
        ("90", "excellent"),
        ("90.00", "excellent"),
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


def test_the_boundaries_are_those_of_the_design() -> None:
    assert ((D(90), "excellent"), (D(80), "good"), (D(60), "pass")) == BOUNDARIES


@given(st.decimals(min_value=0, max_value=100, places=2), st.decimals(min_value=0, max_value=100, places=2))
def test_a_higher_score_never_gets_a_lower_grade(a: Decimal, b: Decimal) -> None:
    order = ["fail", "pass", "good", "excellent"]
    low, high = sorted((a, b))
    assert order.index(grade_for(low)) <= order.index(grade_for(high))


@pytest.mark.parametrize(
    ("weight", "attainment", "earned"),
    [
        ("15", "1", "15.00"),
        ("15", "0.5", "7.50"),
        ("5", "0.999", "5.00"),  # 4.995 rounds half up
        ("5", "0.998", "4.99"),
        ("10", "1.7", "10.00"),  # an attainment above 1 is capped at the weight
        ("10", "-0.2", "0.00"),
        ("7.5", "0.333", "2.50"),  # 2.4975
    ],
)
def test_a_leaf_earns_its_weight_times_the_attainment_to_the_cent(weight: str, attainment: str, earned: str) -> None:
    assert points(D(weight), D(attainment)) == D(earned)


@given(
    st.decimals(min_value="0.01", max_value=100, places=2),
    st.decimals(min_value=-2, max_value=3, allow_nan=False, allow_infinity=False),
)
def test_leaf_points_stay_between_zero_and_the_weight(weight: Decimal, attainment: Decimal) -> None:
    earned = points(weight, attainment)
    assert D(0) <= earned <= weight
    assert earned == earned.quantize(D("0.01"))


def test_the_total_is_the_sum_of_the_leaves() -> None:
    assert total([D("14.99"), D("30"), D("25.01"), D("10.5")]) == D("80.50")
    assert total([]) == D("0.00")
