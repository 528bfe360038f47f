"""Voting in a consultation meeting: one ballot each, the quorum, the rules, the frozen result, closing and
cancelling."""

from __future__ import annotations

import pytest

from grassroots.core.audit import verify
from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.needs import selectors as needs_selectors
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need, Participant, Vote
from tests import world as w
from tests.needs.consult import events, fresh, plan, raise_needs, seats_for, states, voters

pytestmark = pytest.mark.django_db


# --- one ballot per participant ------------------------------------------------------------------


def test_a_second_ballot_is_refused_and_the_first_stands(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first, second], rule=Meeting.Rule.POINTS, points=10)
    alice = world.residents[0][0]
    needs_services.cast_ballot(alice, meeting, {first.pk: 7, second.pk: 3})
    participant = Participant.objects.get(meeting=meeting, person=alice.person)
    assert participant.has_voted
    for again in ({first.pk: 7, second.pk: 3}, {second.pk: 10}, {first.pk: 1}):
        with w.refused(RuleViolation, match="already voted"):
            needs_services.cast_ballot(alice, meeting, again)
    stored = {v.need_id: v.points for v in Vote.objects.filter(participant=participant)}
    assert stored == {first.pk: 7, second.pk: 3}
    assert Vote.objects.filter(meeting=meeting).values("participant").distinct().count() == 1


def test_a_refused_ballot_does_not_use_up_the_vote(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first, second], approvals=1)
    alice = world.residents[0][0]
    with w.refused(RuleViolation, match="approves more than 1 needs"):
        needs_services.cast_ballot(alice, meeting, {first.pk: 1, second.pk: 1})
    assert not Participant.objects.get(meeting=meeting, person=alice.person).has_voted
    needs_services.cast_ballot(alice, meeting, {second.pk: 1})
    assert Vote.objects.filter(meeting=meeting).count() == 1


def test_the_ballot_is_kept_per_meeting(world: w.World) -> None:
    """Having voted in one meeting does not use up the vote in another."""
    first, second = raise_needs(world, 2)
    one = plan(world, [first])
    other = plan(world, [second])
    alice = world.residents[0][0]
    needs_services.cast_ballot(alice, one, {first.pk: 1})
    needs_services.cast_ballot(alice, other, {second.pk: 1})
    assert Vote.objects.filter(participant__person=alice.person).count() == 2


def test_no_ballot_before_voting_opens(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    meeting = plan(world, [need], voting=False)
    with w.refused(RuleViolation, match="Voting is not open"):
        needs_services.cast_ballot(world.residents[0][0], meeting, {need.pk: 1})


# --- the quorum and the frozen result ------------------------------------------------------------


@pytest.mark.parametrize("quorum", [1, 3, 5])
def test_exactly_the_quorum_prioritises(world: w.World, quorum: int) -> None:
    first, second, third = raise_needs(world, 3)
    users = voters(world, quorum)
    meeting = plan(world, [first, second, third], seats=seats_for(users), quorum=quorum, priorities=2)
    for user in users:
        needs_services.cast_ballot(user, meeting, {second.pk: 1, third.pk: 1} if user == users[0] else {second.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.state, meeting.ballots_cast, meeting.quorate) == (Meeting.State.CLOSED, quorum, True)
    assert states(first, second, third) == [Need.State.CONSULTED, Need.State.PRIORITISED, Need.State.PRIORITISED]
    assert (fresh(second).priority, fresh(third).priority, fresh(first).priority) == (1, 2, None)


@pytest.mark.parametrize("quorum", [2, 3, 5])
def test_one_ballot_short_of_the_quorum_only_consults(world: w.World, quorum: int) -> None:
    first, second = raise_needs(world, 2)
    users = voters(world, quorum)  # everyone seated, one stays silent
    meeting = plan(world, [first, second], seats=seats_for(users), quorum=quorum, priorities=2)
    for user in users[:-1]:
        needs_services.cast_ballot(user, meeting, {first.pk: 1})
    standings = needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.ballots_cast, meeting.quorate) == (quorum - 1, False)
    # The ranking is still counted and published, but decides nothing.
    assert [(s.need_id, s.points, s.rank) for s in standings] == [(first.pk, quorum - 1, 1), (second.pk, 0, 2)]
    assert states(first, second) == [Need.State.CONSULTED, Need.State.CONSULTED]
    assert fresh(first).priority is None
    (closed,) = events(meeting, "meeting.closed")
    assert closed.reason == f"quorum of {quorum} not met ({quorum - 1} voted)"


def test_a_guest_does_not_count_towards_the_quorum(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    alice = world.residents[0][0]
    seats = [(alice.person, "resident"), (world.managers[0].person, "agency"), (world.street_officer.person, "street")]
    meeting = plan(world, [need], seats=seats, quorum=2)
    needs_services.cast_ballot(alice, meeting, {need.pk: 1})
    for guest in (world.managers[0], world.street_officer):
        with w.refused(RuleViolation, match="do not vote"):
            needs_services.cast_ballot(guest, meeting, {need.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.ballots_cast, meeting.quorate) == (1, False)
    assert fresh(need).state == Need.State.CONSULTED


def test_the_result_is_frozen_on_the_meeting_and_in_the_audit_chain(world: w.World) -> None:
    first, second, third = raise_needs(world, 3)
    alice, bob = world.residents[0]
    meeting = plan(world, [first, second, third], rule=Meeting.Rule.POINTS, points=10, quorum=2, priorities=1)
    assert (meeting.result, meeting.ballots_cast, meeting.quorate) == ([], None, None)
    assert needs_selectors.result_of(meeting) == []
    needs_services.cast_ballot(alice, meeting, {third.pk: 6, first.pk: 4})
    needs_services.cast_ballot(bob, meeting, {third.pk: 2, second.pk: 8})
    needs_services.close_meeting(world.community_workers[0], meeting, minutes="  议定第三项  ")
    meeting.refresh_from_db()
    # Equal points: more voters first. So `third` leads, then `second`, then `first`.
    ranking = [
        {"need": third.pk, "points": 8, "voters": 2, "rank": 1},
        {"need": second.pk, "points": 8, "voters": 1, "rank": 2},
        {"need": first.pk, "points": 4, "voters": 1, "rank": 3},
    ]
    assert (meeting.result, meeting.ballots_cast, meeting.quorate, meeting.minutes) == (ranking, 2, True, "议定第三项")
    (result,) = events(meeting, "meeting.result")
    assert result.after == {"quorate": True, "ballots": 2, "ranking": ranking}
    assert result.actor_id == world.community_workers[0].pk
    (closed,) = events(meeting, "meeting.closed")
    assert closed.after is not None and closed.after["result"] == ranking and closed.after["state"] == "closed"
    assert verify().ok

    # Nothing that happens afterwards moves the published result.
    with w.refused(RuleViolation, match="Voting is not open"):
        needs_services.cast_ballot(alice, meeting, {first.pk: 10})
    with w.refused(IllegalTransition):
        needs_services.close_meeting(world.community_workers[0], meeting)
    with w.refused(IllegalTransition):
        needs_services.cancel_meeting(world.community_workers[0], meeting, "太晚了")
    needs_services.decline_need(world.community_workers[0], second, "已由物业解决")
    Vote.objects.filter(meeting=meeting, need=first).delete()  # even a tampered vote table
    meeting.refresh_from_db()
    assert meeting.result == ranking
    ranked = needs_selectors.result_of(meeting)
    assert [(r.need.pk, r.points, r.voters, r.rank, r.prioritised) for r in ranked] == [
        (third.pk, 8, 2, 1, True),
        (second.pk, 8, 1, 2, False),
        (first.pk, 4, 1, 3, False),
    ]
    assert ranked[1].need.state == Need.State.DECLINED


def test_a_closing_with_no_ballots_consults_every_need(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first, second], quorum=1)
    needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.ballots_cast, meeting.quorate) == (0, False)
    assert [row["points"] for row in meeting.result] == [0, 0]
    assert states(first, second) == [Need.State.CONSULTED, Need.State.CONSULTED]


def test_a_need_with_no_points_is_not_prioritised_even_in_the_top_ranks(world: w.World) -> None:
    first, second, third = raise_needs(world, 3)
    meeting = plan(world, [first, second, third], quorum=1, priorities=3)
    needs_services.cast_ballot(world.residents[0][0], meeting, {second.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    assert states(first, second, third) == [Need.State.CONSULTED, Need.State.PRIORITISED, Need.State.CONSULTED]
    meeting.refresh_from_db()
    assert [r.prioritised for r in needs_selectors.result_of(meeting)] == [True, False, False]


def test_a_planned_meeting_cannot_close_without_voting(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    meeting = plan(world, [need], voting=False)
    with w.refused(IllegalTransition):
        needs_services.close_meeting(world.community_workers[0], meeting)
    needs_services.open_voting(world.community_workers[0], meeting)
    with w.refused(IllegalTransition):
        needs_services.open_voting(world.community_workers[0], meeting)


# --- cancelling ----------------------------------------------------------------------------------


def test_a_cancelled_meeting_takes_no_ballots_and_decides_nothing(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    alice, bob = world.residents[0]
    meeting = plan(world, [first, second], quorum=1)
    needs_services.cast_ballot(alice, meeting, {first.pk: 1})
    with w.refused(RuleViolation, match="Say why"):
        needs_services.cancel_meeting(world.community_workers[0], meeting, "   ")
    needs_services.cancel_meeting(world.community_workers[0], meeting, "  台风停会  ")
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CANCELLED
    assert events(meeting, "meeting.cancelled")[0].reason == "台风停会"
    with w.refused(RuleViolation, match="Voting is not open"):
        needs_services.cast_ballot(bob, meeting, {first.pk: 1})
    with w.refused(IllegalTransition):
        needs_services.close_meeting(world.community_workers[0], meeting)
    with w.refused(IllegalTransition):
        needs_services.open_voting(world.community_workers[0], meeting)
    with w.refused(RuleViolation, match="meeting is over"):
        needs_services.seat_participant(
            world.community_workers[0], meeting, world.community_workers[0].person, "resident"
        )
    assert (meeting.result, meeting.ballots_cast, meeting.quorate) == ([], None, None)
    assert states(first, second) == [Need.State.RAISED, Need.State.RAISED]
    # The needs are still open: a new meeting can take them up.
    again = plan(world, [first, second], quorum=1)
    needs_services.cast_ballot(bob, again, {second.pk: 1})
    needs_services.close_meeting(world.community_workers[0], again)
    assert states(first, second) == [Need.State.CONSULTED, Need.State.PRIORITISED]


def test_a_planned_meeting_can_be_cancelled_and_a_stale_copy_cannot_reopen_it(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    meeting = plan(world, [need], voting=False)
    stale = Meeting.objects.get(pk=meeting.pk)
    needs_services.cancel_meeting(world.community_workers[0], meeting, "改期")
    with w.refused(IllegalTransition):
        needs_services.open_voting(world.community_workers[0], stale)
    with w.refused(IllegalTransition):
        needs_services.cancel_meeting(world.community_workers[0], stale, "再取消")


# --- the voting rules through the services --------------------------------------------------------


@pytest.mark.parametrize(
    ("ballot", "match"),
    [
        ({}, "the ballot is empty"),
        ({0: 1}, "not on the agenda"),
        ({"first": 2}, "one approval per need"),
        ({"first": 0}, "at least one point"),
        ({"first": 1, "second": 1, "third": 1}, "approves more than 2 needs"),
    ],
)
def test_approval_ballots_are_checked(world: w.World, ballot: dict[object, int], match: str) -> None:
    first, second, third = raise_needs(world, 3)
    ids = {"first": first.pk, "second": second.pk, "third": third.pk, 0: 999_999}
    meeting = plan(world, [first, second, third], approvals=2)
    with w.refused(RuleViolation, match=f"This ballot is not valid: .*{match}"):
        needs_services.cast_ballot(world.residents[0][0], meeting, {ids[k]: v for k, v in ballot.items()})


def test_a_need_of_another_meeting_is_off_this_agenda(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first])
    plan(world, [second])
    with w.refused(RuleViolation, match="not on the agenda"):
        needs_services.cast_ballot(world.residents[0][0], meeting, {second.pk: 1})


def test_approval_voting_ranks_by_approvals_up_to_the_limit(world: w.World) -> None:
    a, b, c, d = raise_needs(world, 4)
    users = voters(world, 4)
    meeting = plan(world, [a, b, c, d], seats=seats_for(users), approvals=2, quorum=4, priorities=2)
    ballots = [{b.pk: 1, c.pk: 1}, {c.pk: 1}, {c.pk: 1, d.pk: 1}, {b.pk: 1, d.pk: 1}]
    for user, ballot in zip(users, ballots, strict=True):
        needs_services.cast_ballot(user, meeting, ballot)
    standings = needs_services.close_meeting(world.community_workers[0], meeting)
    # c: 3; b and d: 2 each with two voters, so the earlier need (b) goes first; a: nothing.
    assert [(s.need_id, s.points, s.voters, s.rank) for s in standings] == [
        (c.pk, 3, 3, 1),
        (b.pk, 2, 2, 2),
        (d.pk, 2, 2, 3),
        (a.pk, 0, 0, 4),
    ]
    assert states(a, b, c, d) == [
        Need.State.CONSULTED,
        Need.State.PRIORITISED,
        Need.State.PRIORITISED,
        Need.State.CONSULTED,
    ]
    assert (fresh(c).priority, fresh(b).priority) == (1, 2)


@pytest.mark.parametrize(("given", "ok"), [(10, True), (11, False)])
def test_points_are_within_the_budget(world: w.World, given: int, ok: bool) -> None:
    first, second = raise_needs(world, 2)
    meeting = plan(world, [first, second], rule=Meeting.Rule.POINTS, points=10)
    ballot = {first.pk: given - 3, second.pk: 3}
    if ok:
        needs_services.cast_ballot(world.residents[0][0], meeting, ballot)
        assert sum(Vote.objects.filter(meeting=meeting).values_list("points", flat=True)) == given
    else:
        with w.refused(RuleViolation, match="gives out more than 10 points"):
            needs_services.cast_ballot(world.residents[0][0], meeting, ballot)


def test_points_voting_ties_go_to_more_voters_then_the_earlier_need(world: w.World) -> None:
    a, b, c, d = raise_needs(world, 4)
    users = voters(world, 3)
    meeting = plan(world, [a, b, c, d], seats=seats_for(users), rule=Meeting.Rule.POINTS, points=10, quorum=3)
    # d: 6 (two voters); c: 6 (one voter); a and b: 2 each, one voter each: a is the earlier.
    ballots = [{d.pk: 3, c.pk: 6}, {d.pk: 3, b.pk: 2}, {a.pk: 2}]
    for user, ballot in zip(users, ballots, strict=True):
        needs_services.cast_ballot(user, meeting, ballot)
    standings = needs_services.close_meeting(world.community_workers[0], meeting)
    assert [(s.need_id, s.points, s.voters, s.rank) for s in standings] == [
        (d.pk, 6, 2, 1),
        (c.pk, 6, 1, 2),
        (a.pk, 2, 1, 3),
        (b.pk, 2, 1, 4),
    ]
    assert states(a, b, c, d) == [Need.State.CONSULTED] * 3 + [Need.State.PRIORITISED]
    assert fresh(d).priority == 1


def test_only_participants_vote(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    alice = world.residents[0][0]
    meeting = plan(world, [need], seats=[(alice.person, "resident")])
    for outsider in (world.residents[0][1], world.community_workers[0], world.street_officer, world.admin, None):
        with w.refused(Forbidden, match="Only the meeting's participants vote"):
            needs_services.cast_ballot(outsider, meeting, {need.pk: 1})
