"""Grades from scores: the one place the boundaries live (excellent ≥ 90, good ≥ 80, pass ≥ 60)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

BOUNDARIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("90"), "excellent"),
    (Decimal("80"), "good"),
    (Decimal("60"), "pass"),
)

#: The default dimensions of a social-work service project evaluation and their weights.
DEFAULT_DIMENSIONS: tuple[tuple[str, str, str, Decimal], ...] = (
    ("management", "项目管理", "Project management", Decimal("15")),
    ("outputs", "服务开展与产出", "Service delivery and outputs", Decimal("30")),
    ("outcomes", "服务成效", "Outcomes", Decimal("25")),
    ("satisfaction", "满意度", "Satisfaction", Decimal("15")),
    ("finance", "财务管理", "Financial management", Decimal("15")),
)


def grade_for(score: Decimal) -> str:
    for bound, grade in BOUNDARIES:
        if score >= bound:
            return grade
    return "fail"


def weighted_score(items: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ weight × score / 100 over (weight, score) pairs whose weights add up to 100."""
    items = list(items)
    weights = sum((w for w, _ in items), Decimal(0))
    if weights != Decimal(100):
        raise ValueError(f"weights add up to {weights}, not 100")
    for _, s in items:
        if not Decimal(0) <= s <= Decimal(100):
            raise ValueError(f"score {s} is outside 0-100")
    total = sum((w * s for w, s in items), Decimal(0)) / 100
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
