"""Reads of needs and meetings: a community's needs, their lifecycle counts, what a street can bundle,
and a meeting's published result."""

from __future__ import annotations

from datetime import date
from itertools import groupby

import pytest

from grassroots.needs import selectors as needs_selectors
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need
from grassroots.needs.selectors import Lifecycle
from tests import world as w
from tests.needs.consult import fresh, plan, raise_needs

pytestmark = pytest.mark.django_db


def vote_through(world: w.World, community: int, agenda: list[Need], chosen: list[Need], **kwargs: object) -> Meeting:
    """A meeting of the community's two residents: the first approves all of `chosen`, the second only the
    first of them, so `chosen` is ranked in its order (and the meeting is quorate unless told otherwise)."""
    alice, bob = world.residents[community]
    options: dict[str, object] = {"quorum": 2, "priorities": len(chosen), "approvals": len(agenda), **kwargs}
    meeting = plan(world, agenda, community=community, **options)  # type: ignore[arg-type]
    needs_services.cast_ballot(alice, meeting, {n.pk: 1 for n in chosen})
    needs_services.cast_ballot(bob, meeting, {chosen[0].pk: 1})
    needs_services.close_meeting(world.community_workers[community], meeting)
    meeting.refresh_from_db()
    return meeting


def test_the_lifecycle_counts_follow_the_needs(world: w.World) -> None:
    community = world.communities[0]
    assert needs_selectors.lifecycle(community) == Lifecycle(0, 0, 0, 0, 0, 0)
    a, b, c, d, e, f = raise_needs(world, 6)
    assert needs_selectors.lifecycle(community) == Lifecycle(6, 0, 0, 0, 0, 0)
    needs_services.merge_needs(world.community_workers[0], f, e)  # a duplicate is not a need of its own
    needs_services.decline_need(world.community_workers[0], d, "重复立项")
    assert needs_selectors.lifecycle(community) == Lifecycle(5, 0, 0, 0, 0, 1)
    vote_through(world, 0, [a, b, c, e], [a, b])
    assert needs_selectors.lifecycle(community) == Lifecycle(5, 4, 2, 0, 0, 1)
    needs_services.mark_addressed(world.managers[1], a)
    assert needs_selectors.lifecycle(community) == Lifecycle(5, 4, 2, 1, 0, 1)
    needs_services.resolve_need(world.community_workers[0], a)
    needs_services.resolve_need(world.community_workers[0], b)  # resolved by the community without a contract
    assert needs_selectors.lifecycle(community) == Lifecycle(5, 4, 2, 2, 2, 1)
    # Each count is of this community only.
    assert needs_selectors.lifecycle(world.communities[1]) == Lifecycle(0, 0, 0, 0, 0, 0)


def test_a_community_lists_its_prioritised_needs_first_and_not_its_duplicates(world: w.World) -> None:
    a, b, c, d = raise_needs(world, 4)
    late = needs_services.raise_need(
        world.residents[0][0],
        community=world.communities[0],
        title="后来的需求",
        category=world.categories["youth"],
        raised_on=date(2025, 2, 1),
    )
    needs_services.merge_needs(world.community_workers[0], d, c)
    vote_through(world, 0, [a, b, c], [b, a])
    raise_needs(world, 1, community=1)
    # b (priority 1), a (2), then the rest newest first, then by id.
    assert list(needs_selectors.of_community(world.communities[0])) == [b, a, late, c]


def test_a_street_sees_the_prioritised_needs_of_its_communities_not_yet_addressed(world: w.World) -> None:
    east = raise_needs(world, 3, community=0)
    west = raise_needs(world, 2, community=1)
    south = raise_needs(world, 2, community=2)
    vote_through(world, 0, east, [east[2], east[0]])
    vote_through(world, 1, west, [west[1]])
    vote_through(world, 2, south, [south[0], south[1]])
    street = list(needs_selectors.prioritised_in(world.street))
    assert {n.pk for n in street} == {east[2].pk, east[0].pk, west[1].pk}
    # Grouped by community, each in the meeting's order.
    groups = {k: [n.pk for n in g] for k, g in groupby(street, key=lambda n: n.community_id)}
    assert groups == {world.communities[0].pk: [east[2].pk, east[0].pk], world.communities[1].pk: [west[1].pk]}
    other = list(needs_selectors.prioritised_in(world.other_street))
    assert [n.pk for n in other] == [south[0].pk, south[1].pk]
    assert {n.pk for n in needs_selectors.prioritised_in(world.department)} == {n.pk for n in street + other}
    assert [n.pk for n in needs_selectors.prioritised_in(world.communities[1])] == [west[1].pk]
    assert list(needs_selectors.prioritised_in(world.agencies[0])) == []

    # Once a contract answers a need, or the community resolves it, the street no longer bundles it.
    needs_services.mark_addressed(world.managers[1], east[2])
    needs_services.resolve_need(world.community_workers[1], west[1])
    assert [n.pk for n in needs_selectors.prioritised_in(world.street)] == [east[0].pk]


def test_the_published_result_says_what_was_prioritised(world: w.World) -> None:
    a, b, c = raise_needs(world, 3)
    meeting = vote_through(world, 0, [a, b, c], [c, a], priorities=1)
    ranked = needs_selectors.result_of(meeting)
    assert [(r.need, r.points, r.voters, r.rank, r.prioritised) for r in ranked] == [
        (c, 2, 2, 1, True),
        (a, 1, 1, 2, False),
        (b, 0, 0, 3, False),
    ]
    assert fresh(c).priority == 1 and fresh(a).state == Need.State.CONSULTED


def test_an_inquorate_result_prioritises_nothing(world: w.World) -> None:
    a, b = raise_needs(world, 2)
    meeting = vote_through(world, 0, [a, b], [a], quorum=3)
    assert meeting.quorate is False
    assert [(r.need, r.points, r.prioritised) for r in needs_selectors.result_of(meeting)] == [
        (a, 2, False),
        (b, 0, False),
    ]


def test_a_meeting_not_yet_closed_has_no_result(world: w.World) -> None:
    a = raise_needs(world, 1)[0]
    meeting = plan(world, [a], quorum=1)
    needs_services.cast_ballot(world.residents[0][0], meeting, {a.pk: 1})
    assert needs_selectors.result_of(meeting) == []


def test_a_communitys_meetings_newest_first_with_their_seats(world: w.World) -> None:
    a, b = raise_needs(world, 2)
    older = plan(world, [a], voting=False, seats=[(world.residents[0][0].person, "resident")])
    Meeting.objects.filter(pk=older.pk).update(held_on=date(2024, 12, 1))
    newer = plan(world, [b], voting=False)
    plan(world, raise_needs(world, 1, community=1), community=1, voting=False)
    listed = list(needs_selectors.meetings_of(world.communities[0]))
    seats = [(m.pk, m.seats) for m in listed]  # type: ignore[attr-defined]
    assert seats == [(newer.pk, 2), (older.pk, 1)]
