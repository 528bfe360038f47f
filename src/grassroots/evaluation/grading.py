"""Grades from scores: the one place the boundaries live (excellent ≥ 90, good ≥ 80, pass ≥ 60).

Plain Python (no Django), so the governance metrics and the simulator import the boundaries from here.
"""

from __future__ import annotations

from decimal import Decimal

#: The lowest passing score: below it a score is graded fail (the governance fail rate reads it too).
PASS_MARK = Decimal("60")

BOUNDARIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), "excellent"),
    (Decimal("80"), "good"),
    (PASS_MARK, "pass"),
)


def grade_for(score: Decimal) -> str:
    for bound, grade in BOUNDARIES:
        if score >= bound:
            return grade
    return "fail"
