"""How a contract is doing: indicator progress, budget execution and the alerts a street office and an
agency watch. Plain data in and out (no Django), so the same rules serve pages, exports and tests.

Time elapsed is the share of the contract term that has passed; progress and spending are compared
with it. An alert is raised when a share lags (or, for spending, runs ahead of) the time elapsed by
more than the tolerance, by default a quarter of the term.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from grassroots.core.messages import Message, gettext_noop

TOLERANCE = Decimal("0.25")
#: No record for this many days on a running contract is an alert.
SILENCE_DAYS = 31

MILESTONE_OVERDUE = gettext_noop("the %(milestone)s milestone was due on %(due)s and is not accepted")
SPENDING_BEHIND = gettext_noop("%(spent)s%% of the budget is spent after %(elapsed)s%% of the term")
SPENDING_AHEAD = gettext_noop("%(spent)s%% of the budget is already spent after %(elapsed)s%% of the term")
INDICATOR_BEHIND = gettext_noop("“%(indicator)s” is at %(progress)s%% of its target after %(elapsed)s%% of the term")
MILESTONE_LABELS = {"start": gettext_noop("start"), "midterm": gettext_noop("mid-term"), "final": gettext_noop("final")}
NO_RECORDS = gettext_noop("no service recorded since %(last)s")
NO_RECORDS_AT_ALL = gettext_noop("no service recorded in the first %(days)s days")


@dataclass(frozen=True)
class Totals:
    """What a contract's service records of one kind add up to (the database sums them)."""

    kind: str
    sessions: int = 0
    beneficiaries: int = 0
    service_hours: Decimal = Decimal(0)
    volunteer_hours: Decimal = Decimal(0)
    resident_participants: int = 0


@dataclass(frozen=True)
class Target:
    name: str
    measure: str  # sessions, beneficiaries, hours, volunteer_hours, residents, manual
    service_kind: str  # case, group, community or "" for any
    target: Decimal
    reported: Decimal | None = None  # for a manual measure: the latest value reported


@dataclass(frozen=True)
class Progress:
    name: str
    target: Decimal
    actual: Decimal | None  # None: measured by hand and not reported yet
    derived: bool

    @property
    def share(self) -> Decimal | None:
        if self.actual is None or self.target <= 0:
            return None
        return self.actual / self.target


@dataclass(frozen=True)
class Alert:
    kind: str  # milestone, spending, indicator, records
    message: Message
    severity: str = "warning"


@dataclass
class Facts:
    """One contract as the alerts see it."""

    starts_on: date
    ends_on: date
    budget: Decimal
    spent: Decimal
    milestones: Sequence[tuple[str, date, bool]]  # (kind, due on, accepted)
    progress: Sequence[Progress] = field(default_factory=list)
    last_record: date | None = None


_FIELDS = {
    "sessions": "sessions",
    "beneficiaries": "beneficiaries",
    "hours": "service_hours",
    "volunteer_hours": "volunteer_hours",
    "residents": "resident_participants",
}


def measure(target: Target, totals: Iterable[Totals]) -> Progress:
    """The actual value of one indicator: derived from the service records where it can be."""
    if target.measure == "manual":
        return Progress(target.name, target.target, target.reported, derived=False)
    if target.measure not in _FIELDS:
        raise ValueError(f"unknown measure {target.measure!r}")
    name = _FIELDS[target.measure]
    value = sum(
        (Decimal(getattr(t, name)) for t in totals if not target.service_kind or t.kind == target.service_kind),
        Decimal(0),
    )
    return Progress(target.name, target.target, value, derived=True)


def elapsed(starts_on: date, ends_on: date, today: date) -> Decimal:
    """The share of the term that has passed, between 0 and 1."""
    span = (ends_on - starts_on).days + 1
    gone = (min(today, ends_on) - starts_on).days + 1
    return max(Decimal(0), min(Decimal(1), Decimal(gone) / Decimal(span))) if span > 0 else Decimal(1)


def execution_rate(spent: Decimal, amount: Decimal) -> Decimal | None:
    """Spent ÷ budgeted for a line (None for an empty line)."""
    return spent / amount if amount > 0 else None


def _pct(share: Decimal) -> str:
    return f"{share * 100:.0f}"


def alerts(facts: Facts, today: date, tolerance: Decimal = TOLERANCE) -> list[Alert]:
    """Everything about a running contract that needs attention today."""
    found: list[Alert] = []
    for kind, due, accepted in facts.milestones:
        if due < today and not accepted:
            found.append(
                Alert(
                    "milestone",
                    Message(MILESTONE_OVERDUE, milestone=MILESTONE_LABELS.get(kind, kind), due=due),
                    "danger",
                )
            )
    if today < facts.starts_on:
        return found
    time_share = elapsed(facts.starts_on, facts.ends_on, today)
    if facts.budget > 0:
        spent_share = facts.spent / facts.budget
        if spent_share < time_share - tolerance:
            found.append(Alert("spending", Message(SPENDING_BEHIND, spent=_pct(spent_share), elapsed=_pct(time_share))))
        elif spent_share > time_share + tolerance:
            found.append(Alert("spending", Message(SPENDING_AHEAD, spent=_pct(spent_share), elapsed=_pct(time_share))))
    for item in facts.progress:
        share = item.share
        if item.derived and share is not None and share < time_share - tolerance:
            found.append(
                Alert(
                    "indicator",
                    Message(INDICATOR_BEHIND, indicator=item.name, progress=_pct(share), elapsed=_pct(time_share)),
                )
            )
    if today <= facts.ends_on:
        quiet_since = facts.last_record or facts.starts_on
        if (today - quiet_since) > timedelta(days=SILENCE_DAYS):
            if facts.last_record is None:
                found.append(Alert("records", Message(NO_RECORDS_AT_ALL, days=(today - facts.starts_on).days)))
            else:
                found.append(Alert("records", Message(NO_RECORDS, last=facts.last_record)))
    return found
