"""Counting a consultation meeting's ballots: plain data in, ranking out (no Django)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    need_id: int
    points: int
    voters: int
    rank: int


def check_ballot(rule: str, ballot: Mapping[int, int], agenda: set[int], *, approvals: int, points: int) -> str:
    """Return what is wrong with a ballot ('' when it is valid)."""
    if not ballot:
        return "an empty ballot"
    unknown = set(ballot) - agenda
    if unknown:
        return "a need that is not on the agenda"
    if any(v <= 0 for v in ballot.values()):
        return "a vote with no points"
    if rule == "approval":
        if any(v != 1 for v in ballot.values()):
            return "approval voting gives one approval per need"
        if len(ballot) > approvals:
            return f"more than {approvals} approvals"
    elif rule == "points":
        if sum(ballot.values()) > points:
            return f"more than {points} points"
    else:
        return f"an unknown voting rule {rule!r}"
    return ""


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
