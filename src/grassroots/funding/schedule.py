"""The platform's default payment schedule and final-grade rule, and when milestones fall due (no Django).

One definition for the programs (`funding.models` takes its field defaults from here), the contracts
(`contracts.services` drafts milestones by `milestone_due_dates`) and the policy simulator, which pays
its synthetic contracts by the same schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

#: Shares (percent) of a contract paid at start, at mid-term and at the final evaluation.
TRANCHE_PERCENTS: tuple[str, ...] = ("30", "40", "30")

#: How much of the last tranche each final grade releases.
GRADE_FACTORS: dict[str, str] = {"excellent": "1.00", "good": "1.00", "pass": "0.80", "fail": "0.00"}


def milestone_due_dates(starts_on: date, ends_on: date) -> list[date]:
    """When the start, mid-term and final reports fall due: a month in (or at the end of a shorter term),
    half-way, and at the end."""
    span = (ends_on - starts_on).days
    return [starts_on + timedelta(days=min(30, span)), starts_on + timedelta(days=span // 2), ends_on]
