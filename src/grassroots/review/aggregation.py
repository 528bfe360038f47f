"""Turning reviewers' totals into one score per application, and a ranking (no Django)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

METHODS = ("mean", "trimmed_mean", "zscore")


@dataclass(frozen=True)
class Mark:
    reviewer: str
    application: str
    total: Decimal


def _q(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def aggregate(marks: Sequence[Mark], method: str = "mean") -> dict[str, Decimal]:
    """One score per application.

    `trimmed_mean` drops the highest and lowest mark when there are at least three; `zscore`
    rescales each reviewer's marks to the panel's overall mean and spread, so a harsh or lenient
    reviewer weighs no more than another.
    """
    if method not in METHODS:
        raise ValueError(f"unknown aggregation {method!r}")
    by_app: dict[str, list[Decimal]] = defaultdict(list)
    if method == "zscore":
        everything = [float(m.total) for m in marks]
        mu = statistics.fmean(everything) if everything else 0.0
        sigma = statistics.pstdev(everything) if len(everything) > 1 else 0.0
        per_reviewer: dict[str, list[float]] = defaultdict(list)
        for m in marks:
            per_reviewer[m.reviewer].append(float(m.total))
        stats = {r: (statistics.fmean(v), statistics.pstdev(v) if len(v) > 1 else 0.0) for r, v in per_reviewer.items()}
        for m in marks:
            r_mu, r_sigma = stats[m.reviewer]
            z = (float(m.total) - r_mu) / r_sigma if r_sigma > 0 else 0.0
            by_app[m.application].append(Decimal(str(min(100.0, max(0.0, mu + z * sigma)))))
    else:
        for m in marks:
            by_app[m.application].append(m.total)
    result: dict[str, Decimal] = {}
    for app, values in by_app.items():
        values = sorted(values)
        if method == "trimmed_mean" and len(values) >= 3:
            values = values[1:-1]
        result[app] = _q(sum(values, Decimal(0)) / len(values))
    return result


def disagreement(marks: Sequence[Mark], threshold: Decimal = Decimal("20")) -> set[str]:
    """Applications whose reviewers' totals differ by more than `threshold` points."""
    spread: dict[str, list[Decimal]] = defaultdict(list)
    for m in marks:
        spread[m.application].append(m.total)
    return {a for a, v in spread.items() if max(v) - min(v) > threshold}
