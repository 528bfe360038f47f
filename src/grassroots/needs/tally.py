"""Counting a consultation meeting's ballots: plain data in, ranking out (no Django)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from grassroots.core.messages import Message, gettext_noop

EMPTY = gettext_noop("the ballot is empty")
OFF_AGENDA = gettext_noop("it names a need that is not on the agenda")
NO_POINTS = gettext_noop("every vote carries at least one point")
ONE_APPROVAL = gettext_noop("approval voting gives one approval per need")
TOO_MANY_APPROVALS = gettext_noop("it approves more than %(n)s needs")
TOO_MANY_POINTS = gettext_noop("it gives out more than %(n)s points")
UNKNOWN_RULE = gettext_noop("the voting rule “%(rule)s” is unknown")


@dataclass(frozen=True)
class Standing:
    need_id: int
    points: int
    voters: int
    rank: int


def check_ballot(
    rule: str, ballot: Mapping[int, int], agenda: set[int], *, approvals: int, points: int
) -> Message | None:
    """What is wrong with a ballot, or None when it is valid."""
    if not ballot:
        return Message(EMPTY)
    if set(ballot) - agenda:
        return Message(OFF_AGENDA)
    if any(v <= 0 for v in ballot.values()):
        return Message(NO_POINTS)
    if rule == "approval":
        if any(v != 1 for v in ballot.values()):
            return Message(ONE_APPROVAL)
        if len(ballot) > approvals:
            return Message(TOO_MANY_APPROVALS, n=approvals)
    elif rule == "points":
        if sum(ballot.values()) > points:
            return Message(TOO_MANY_POINTS, n=points)
    else:
        return Message(UNKNOWN_RULE, rule=rule)
    return None


def tally(ballots: Iterable[Mapping[int, int]], agenda: Iterable[int]) -> list[Standing]:
    """Rank the agenda by points; ties go to more distinct voters, then to the earlier-raised need (lower id)."""
    points: dict[int, int] = dict.fromkeys(agenda, 0)
    voters: dict[int, int] = dict.fromkeys(points, 0)
    for ballot in ballots:
        for need, value in ballot.items():
            points[need] += value
            voters[need] += 1
    order = sorted(points, key=lambda n: (-points[n], -voters[n], n))
    return [Standing(n, points[n], voters[n], i + 1) for i, n in enumerate(order)]
