"""Properties of the count (plain data, hypothesis): whatever the ballots, the ranking adds up and is ordered."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from grassroots.needs.tally import Standing, check_ballot, tally

Ballot = dict[int, int]


@st.composite
def meetings(draw: st.DrawFn, max_points: int = 10) -> tuple[list[int], list[Ballot]]:
    """An agenda of need ids and ballots naming needs on it, each with 1..max_points points."""
    agenda = draw(st.lists(st.integers(1, 500), min_size=1, max_size=8, unique=True))
    ballots = draw(
        st.lists(
            st.dictionaries(st.sampled_from(agenda), st.integers(1, max_points), max_size=len(agenda)), max_size=25
        )
    )
    return agenda, ballots


def key(s: Standing) -> tuple[int, int, int]:
    return (-s.points, -s.voters, s.need_id)


@given(meetings())
def test_every_point_is_counted_once(meeting: tuple[list[int], list[Ballot]]) -> None:
    agenda, ballots = meeting
    standings = tally(ballots, agenda)
    assert sum(s.points for s in standings) == sum(sum(b.values()) for b in ballots)
    for s in standings:
        assert s.points == sum(b.get(s.need_id, 0) for b in ballots)
        assert s.voters == sum(1 for b in ballots if s.need_id in b)


@given(meetings())
def test_every_need_on_the_agenda_is_ranked_once_from_1_to_n(meeting: tuple[list[int], list[Ballot]]) -> None:
    agenda, ballots = meeting
    standings = tally(ballots, agenda)
    assert sorted(s.need_id for s in standings) == sorted(agenda)
    assert [s.rank for s in standings] == list(range(1, len(agenda) + 1))


@given(meetings())
def test_the_order_is_points_then_voters_then_the_earlier_need(meeting: tuple[list[int], list[Ballot]]) -> None:
    agenda, ballots = meeting
    standings = tally(ballots, agenda)
    for better, worse in pairwise(standings):
        assert better.points >= worse.points
        assert key(better) < key(worse)  # strictly: no two needs share a place


@given(meetings(), st.randoms(use_true_random=False))
def test_the_order_of_the_ballots_and_of_the_agenda_does_not_matter(
    meeting: tuple[list[int], list[Ballot]], rng: Random
) -> None:
    agenda, ballots = meeting
    shuffled_ballots, shuffled_agenda = list(ballots), list(agenda)
    rng.shuffle(shuffled_ballots)
    rng.shuffle(shuffled_agenda)
    assert tally(shuffled_ballots, shuffled_agenda) == tally(ballots, agenda)


@given(meetings(), st.data())
def test_one_more_vote_never_lowers_a_need(meeting: tuple[list[int], list[Ballot]], data: st.DataObject) -> None:
    agenda, ballots = meeting
    need = data.draw(st.sampled_from(agenda))
    before = {s.need_id: s.rank for s in tally(ballots, agenda)}
    after = {s.need_id: s.rank for s in tally([*ballots, {need: data.draw(st.integers(1, 10))}], agenda)}
    assert after[need] <= before[need]
    # And every other need keeps its place or drops by at most one (the need that passed it).
    for other in agenda:
        if other != need:
            assert before[other] <= after[other] <= before[other] + 1


@given(meetings(max_points=1))
def test_under_approval_voting_points_are_voters(meeting: tuple[list[int], list[Ballot]]) -> None:
    agenda, ballots = meeting
    for s in tally(ballots, agenda):
        assert s.points == s.voters <= len(ballots)


def oracle(rule: str, ballot: Mapping[int, int], agenda: set[int], approvals: int, points: int) -> bool:
    """The ballot rules, written out plainly."""
    if not ballot or not set(ballot) <= agenda or min(ballot.values()) < 1:
        return False
    if rule == "approval":
        return all(v == 1 for v in ballot.values()) and len(ballot) <= approvals
    if rule == "points":
        return sum(ballot.values()) <= points
    return False


@given(
    st.sampled_from(["approval", "points", "borda"]),
    st.dictionaries(st.integers(0, 8), st.integers(-1, 12), max_size=6),
    st.sets(st.integers(0, 8), min_size=1, max_size=8),
    st.integers(1, 5),
    st.integers(1, 20),
)
def test_a_ballot_is_valid_exactly_when_the_rules_say_so(
    rule: str, ballot: Ballot, agenda: set[int], approvals: int, points: int
) -> None:
    problem = check_ballot(rule, ballot, agenda, approvals=approvals, points=points)
    assert (problem is None) == oracle(rule, ballot, agenda, approvals, points)
    if problem is not None:
        assert str(problem) and problem.as_data()["message"]


@given(meetings(), st.integers(1, 5), st.integers(1, 20))
def test_the_valid_ballots_spend_within_their_allowance(
    meeting: tuple[list[int], list[Ballot]], approvals: int, points: int
) -> None:
    agenda, ballots = meeting
    valid = [b for b in ballots if check_ballot("points", b, set(agenda), approvals=approvals, points=points) is None]
    assert sum(s.points for s in tally(valid, agenda)) <= points * len(valid)
    approved = [
        {n: 1 for n in b}
        for b in ballots
        if check_ballot("approval", {n: 1 for n in b}, set(agenda), approvals=approvals, points=points) is None
    ]
    assert sum(s.voters for s in tally(approved, agenda)) <= approvals * len(approved)
