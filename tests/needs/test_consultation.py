"""Residents raise needs; a community meeting votes on them and prioritises the top ones when quorate."""

from __future__ import annotations

from datetime import date

import pytest

from grassroots.core.errors import Forbidden, IllegalTransition, RuleViolation
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need
from tests import world as w

pytestmark = pytest.mark.django_db

DAY = date(2025, 1, 10)


def raise_needs(world: w.World, count: int = 3) -> list[Need]:
    return [
        needs_services.raise_need(
            world.residents[0][i % 2],
            community=world.communities[0],
            title=f"需求{i}",
            category=world.categories["elderly"],
            raised_on=DAY,
        )
        for i in range(count)
    ]


def meeting_of(world: w.World, agenda: list[Need], **kwargs: object) -> Meeting:
    residents = world.residents[0]
    participants = [(r.person, "resident") for r in residents] + [(world.managers[0].person, "agency")]
    arguments: dict[str, object] = {"quorum": 2, "priorities": 1, **kwargs}
    meeting = needs_services.plan_meeting(
        world.community_workers[0],
        community=world.communities[0],
        title="居民议事会",
        held_on=DAY,
        agenda=agenda,
        participants=participants,
        **arguments,  # type: ignore[arg-type]
    )
    return needs_services.open_voting(world.community_workers[0], meeting)


def test_a_resident_raises_needs_in_their_own_community_only(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    assert (need.state, need.raised_by) == (Need.State.RAISED, world.residents[0][0].person)
    with w.refused(Forbidden):
        needs_services.raise_need(
            world.residents[1][0],
            community=world.communities[0],
            title="别人的社区",
            category=world.categories["elderly"],
            raised_on=DAY,
        )
    with w.refused(RuleViolation, match="raised in a community"):
        needs_services.raise_need(
            world.residents[0][0],
            community=world.street,
            title="街道",
            category=world.categories["elderly"],
            raised_on=DAY,
        )


def test_a_quorate_meeting_prioritises_its_top_needs(world: w.World) -> None:
    first, second, third = raise_needs(world)
    meeting = meeting_of(world, [first, second, third], rule="points", points=10, priorities=2)
    needs_services.cast_ballot(world.residents[0][0], meeting, {second.pk: 6, third.pk: 4})
    needs_services.cast_ballot(world.residents[0][1], meeting, {second.pk: 5, first.pk: 5})
    standings = needs_services.close_meeting(world.community_workers[0], meeting, minutes="议定")
    assert [(s.need_id, s.points) for s in standings] == [(second.pk, 11), (first.pk, 5), (third.pk, 4)]
    for need in (first, second, third):
        need.refresh_from_db()
    assert (second.state, second.priority) == (Need.State.PRIORITISED, 1)
    assert (first.state, first.priority) == (Need.State.PRIORITISED, 2)
    assert third.state == Need.State.CONSULTED


def test_without_quorum_nothing_is_prioritised(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = meeting_of(world, [first, second], quorum=3)
    needs_services.cast_ballot(world.residents[0][0], meeting, {first.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    first.refresh_from_db()
    assert first.state == Need.State.CONSULTED


def test_one_ballot_per_participant_and_none_for_guests(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = meeting_of(world, [first, second])
    needs_services.cast_ballot(world.residents[0][0], meeting, {first.pk: 1})
    with w.refused(RuleViolation, match="already voted"):
        needs_services.cast_ballot(world.residents[0][0], meeting, {second.pk: 1})
    with w.refused(RuleViolation, match="Guests"):
        needs_services.cast_ballot(world.managers[0], meeting, {first.pk: 1})
    with w.refused(Forbidden):
        needs_services.cast_ballot(world.residents[1][0], meeting, {first.pk: 1})
    with w.refused(RuleViolation, match="not on the agenda"):
        needs_services.cast_ballot(world.residents[0][1], meeting, {first.pk: 1, 999999: 1})


def test_a_closed_meeting_takes_no_votes_and_does_not_close_again(world: w.World) -> None:
    first, second = raise_needs(world, 2)
    meeting = meeting_of(world, [first, second])
    needs_services.close_meeting(world.community_workers[0], meeting)
    with w.refused(RuleViolation, match="Voting is not open"):
        needs_services.cast_ballot(world.residents[0][0], meeting, {first.pk: 1})
    with w.refused(IllegalTransition):
        needs_services.close_meeting(world.community_workers[0], meeting)


def test_the_agenda_lists_this_communitys_needs(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    with w.refused(RuleViolation, match="needs of this community"):
        needs_services.plan_meeting(
            world.community_workers[1],
            community=world.communities[1],
            title="错社区",
            held_on=DAY,
            agenda=[need],
            participants=[],
        )
