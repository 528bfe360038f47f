"""Grades from scores: the one place the boundaries live (excellent ≥ 90, good ≥ 80, pass ≥ 60)."""

from __future__ import annotations

from decimal import Decimal

BOUNDARIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), "excellent"),
    (Decimal("80"), "good"),
    (Decimal("60"), "pass"),
)


def grade_for(score: Decimal) -> str:
    for bound, grade in BOUNDARIES:
        if score >= bound:
            return grade
    return "fail"
