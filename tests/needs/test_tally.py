"""Counting a consultation meeting's ballots (plain data)."""

from __future__ import annotations

import pytest

from grassroots.needs.tally import Standing, check_ballot, tally

AGENDA = {1, 2, 3}


def test_approval_voting_ranks_by_approvals() -> None:
    ballots = [{1: 1, 2: 1}, {2: 1}, {2: 1, 3: 1}]
    assert tally(ballots, [1, 2, 3]) == [Standing(2, 3, 3, 1), Standing(1, 1, 1, 2), Standing(3, 1, 1, 3)]


def test_points_ties_go_to_more_voters_then_the_earlier_need() -> None:
    ballots = [{1: 6, 2: 3}, {2: 3, 3: 6}, {4: 1}]
    standings = tally(ballots, [1, 2, 3, 4])
    # 1, 2 and 3 all have 6 points; 2 has two voters; 1 was raised before 3.
    assert [(s.need_id, s.points, s.voters, s.rank) for s in standings] == [
        (2, 6, 2, 1),
        (1, 6, 1, 2),
        (3, 6, 1, 3),
        (4, 1, 1, 4),
    ]


def test_a_need_nobody_voted_for_still_stands_last() -> None:
    assert tally([], [5, 3]) == [Standing(3, 0, 0, 1), Standing(5, 0, 0, 2)]


@pytest.mark.parametrize(
    ("rule", "ballot", "problem"),
    [
        ("approval", {}, "the ballot is empty"),
        ("approval", {9: 1}, "it names a need that is not on the agenda"),
        ("approval", {1: 0}, "every vote carries at least one point"),
        ("approval", {1: 2}, "approval voting gives one approval per need"),
        ("approval", {1: 1, 2: 1, 3: 1}, "it approves more than 2 needs"),
        ("points", {1: 6, 2: 5}, "it gives out more than 10 points"),
        ("borda", {1: 1}, "the voting rule “borda” is unknown"),
    ],
)
def test_invalid_ballots_say_what_is_wrong(rule: str, ballot: dict[int, int], problem: str) -> None:
    assert check_ballot(rule, ballot, AGENDA, approvals=2, points=10) == problem


@pytest.mark.parametrize(("rule", "ballot"), [("approval", {1: 1, 3: 1}), ("points", {1: 7, 2: 3}), ("points", {3: 1})])
def test_valid_ballots(rule: str, ballot: dict[int, int]) -> None:
    assert check_ballot(rule, ballot, AGENDA, approvals=2, points=10) is None
