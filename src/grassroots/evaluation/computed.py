"""Indicators computed from delivery data and from satisfaction surveys, as attainments between 0 and 1.

An evaluation reads what the contract recorded up to its date. A mid-term evaluation expects the share
of the targets and the budget that the elapsed share of the term calls for; a final one expects all of
it. Each metric returns its attainment and the basis a reader can check, or None when the data cannot
say (no targets, nothing spent, too few survey answers): the evaluator then scores the indicator by hand.
Plain data in and out, no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from grassroots.core.messages import Message, gettext_noop

#: A milestone accepted within this many days of its due date counts as on time (the purchaser reviews).
GRACE_DAYS = 15
#: Budget execution at or above this share of what the elapsed term calls for earns full points.
FULL_EXECUTION = Decimal("0.9")
#: Fewer survey responses than this are too few to score by, and too few to show free text safely.
MIN_RESPONSES = 5

ONE = Decimal(1)
ZERO = Decimal(0)

TARGETS_BASIS = gettext_noop("%(n)s indicators measured; mean attainment %(pct)s%% of %(expected)s%% expected")
MILESTONES_BASIS = gettext_noop("%(on_time)s of %(due)s milestones due were accepted on time")
EXECUTION_BASIS = gettext_noop("%(spent)s spent of %(expected)s expected by now (%(pct)s%%)")
RECEIPTS_BASIS = gettext_noop("%(backed)s of %(spent)s spent is backed by a receipt (%(pct)s%%)")
PARTICIPATION_BASIS = gettext_noop("%(engaged)s of %(sessions)s group and community sessions involved residents")
SATISFIED_BASIS = gettext_noop("%(satisfied)s of %(answers)s answers satisfied or very satisfied (%(n)s responses)")
MEAN_BASIS = gettext_noop("mean %(mean)s on a scale of 1 to %(scale)s (%(n)s responses)")
NO_DATA = gettext_noop("no data to compute this indicator from; to be scored by the evaluator")
TOO_FEW = gettext_noop("only %(n)s survey responses (at least %(min)s needed); to be scored by the evaluator")


@dataclass(frozen=True)
class Result:
    attainment: Decimal | None
    basis: Message


@dataclass(frozen=True)
class TargetShare:
    """One output indicator: its target and what the service records (or the agency's report) say."""

    target: Decimal
    actual: Decimal | None


@dataclass
class DeliveryFacts:
    """One contract as an evaluation on `day` sees it."""

    day: date
    expected: Decimal  # the share of the whole the evaluation expects: elapsed term, 1 for a final
    targets: Sequence[TargetShare] = field(default_factory=list)
    budget: Decimal = ZERO
    spent: Decimal = ZERO
    spent_with_receipt: Decimal = ZERO
    milestones: Sequence[tuple[date, date | None]] = field(default_factory=list)  # (due on, accepted on)
    group_sessions: int = 0  # group and community sessions
    engaged_sessions: int = 0  # of which residents or volunteers took part in


@dataclass(frozen=True)
class SurveyFacts:
    """The Likert answers of an evaluation's surveys: how many gave each value, on a 1..scale scale."""

    responses: int
    counts: dict[int, int]
    scale: int = 5


def _pct(share: Decimal) -> str:
    return f"{share * 100:.1f}"


def _no_data() -> Result:
    return Result(None, Message(NO_DATA))


def targets_met(facts: DeliveryFacts) -> Result:
    expected = max(facts.expected, Decimal("0.01"))
    shares = [
        min(ONE, t.actual / (t.target * expected)) for t in facts.targets if t.actual is not None and t.target > 0
    ]
    if not shares:
        return _no_data()
    mean = sum(shares, ZERO) / len(shares)
    return Result(mean, Message(TARGETS_BASIS, n=len(shares), pct=_pct(mean), expected=_pct(facts.expected)))


def milestones_on_time(facts: DeliveryFacts) -> Result:
    """Milestones due by the evaluation day, as that day knows them: an acceptance after it has not
    happened yet, and a milestone still within its grace and not accepted is not judged yet."""
    grace = timedelta(days=GRACE_DAYS)
    known = [(d, a if a is not None and a <= facts.day else None) for d, a in facts.milestones if d <= facts.day]
    due = [(d, a) for d, a in known if a is not None or d + grace < facts.day]
    if not due:
        return _no_data()
    on_time = sum(1 for d, a in due if a is not None and a <= d + grace)
    return Result(Decimal(on_time) / len(due), Message(MILESTONES_BASIS, on_time=on_time, due=len(due)))


def budget_execution(facts: DeliveryFacts) -> Result:
    expected = facts.budget * facts.expected
    if expected <= 0:
        return _no_data()
    rate = facts.spent / expected
    return Result(
        min(ONE, rate / FULL_EXECUTION),
        Message(EXECUTION_BASIS, spent=f"{facts.spent:.2f}", expected=f"{expected:.2f}", pct=_pct(rate)),
    )


def receipts(facts: DeliveryFacts) -> Result:
    if facts.spent <= 0:
        return _no_data()
    share = facts.spent_with_receipt / facts.spent
    return Result(
        share,
        Message(RECEIPTS_BASIS, backed=f"{facts.spent_with_receipt:.2f}", spent=f"{facts.spent:.2f}", pct=_pct(share)),
    )


def participation(facts: DeliveryFacts) -> Result:
    if facts.group_sessions <= 0:
        return _no_data()
    share = Decimal(facts.engaged_sessions) / facts.group_sessions
    return Result(share, Message(PARTICIPATION_BASIS, engaged=facts.engaged_sessions, sessions=facts.group_sessions))


def satisfied_share(facts: SurveyFacts) -> Result:
    """Share of answers at the top two values of the scale (“satisfied”, “very satisfied”)."""
    if facts.responses < MIN_RESPONSES:
        return Result(None, Message(TOO_FEW, n=facts.responses, min=MIN_RESPONSES))
    answers = sum(facts.counts.values())
    satisfied = sum(n for value, n in facts.counts.items() if value >= facts.scale - 1)
    if not answers:
        return Result(None, Message(TOO_FEW, n=0, min=MIN_RESPONSES))
    return Result(
        Decimal(satisfied) / answers, Message(SATISFIED_BASIS, satisfied=satisfied, answers=answers, n=facts.responses)
    )


def likert_mean(facts: SurveyFacts) -> Result:
    """The mean answer mapped onto 0..1 (1 → 0, the top of the scale → 1)."""
    if facts.responses < MIN_RESPONSES:
        return Result(None, Message(TOO_FEW, n=facts.responses, min=MIN_RESPONSES))
    answers = sum(facts.counts.values())
    if not answers:
        return Result(None, Message(TOO_FEW, n=0, min=MIN_RESPONSES))
    mean = Decimal(sum(value * n for value, n in facts.counts.items())) / answers
    return Result(
        (mean - 1) / (facts.scale - 1), Message(MEAN_BASIS, mean=f"{mean:.2f}", scale=facts.scale, n=facts.responses)
    )


METRICS: dict[str, Callable[[DeliveryFacts], Result]] = {
    "targets_met": targets_met,
    "milestones_on_time": milestones_on_time,
    "budget_execution": budget_execution,
    "receipts": receipts,
    "participation": participation,
}
SURVEY_METRICS: dict[str, Callable[[SurveyFacts], Result]] = {
    "satisfied_share": satisfied_share,
    "likert_mean": likert_mean,
}
METRIC_LABELS = {
    "targets_met": gettext_noop("output targets met"),
    "milestones_on_time": gettext_noop("milestones accepted on time"),
    "budget_execution": gettext_noop("budget execution"),
    "receipts": gettext_noop("spending backed by receipts"),
    "participation": gettext_noop("sessions with residents or volunteers"),
    "satisfied_share": gettext_noop("share satisfied"),
    "likert_mean": gettext_noop("mean satisfaction"),
}


def compute(metric: str, delivery: DeliveryFacts, survey: SurveyFacts) -> Result:
    if metric in METRICS:
        return METRICS[metric](delivery)
    return SURVEY_METRICS[metric](survey)
