"""Simultaneous ballots (PostgreSQL, real transactions): one ballot per participant, and closing in the
middle of voting counts exactly the ballots that got in.

Each thread has its own database connection and transaction, as concurrent web or API requests would.
SQLite serialises writers by design (and its shared in-memory test database reports table locks instead
of waiting), so these run where CI runs the suite on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db import connection

from grassroots.core.audit import verify
from grassroots.core.errors import RuleViolation
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need, Participant, Vote
from tests import world as w
from tests.concurrency import race
from tests.needs.consult import plan, raise_needs, seats_for, voters

THREADS = 10

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: run with DATABASE_URL set"),
]


def succeeded(outcomes: list[Any]) -> list[int]:
    """The threads whose call returned (the others hold the exception they raised)."""
    return [i for i, o in enumerate(outcomes) if not isinstance(o, BaseException)]


@pytest.fixture
def voting() -> tuple[w.World, Meeting, list[Need], list[Any]]:
    """A meeting of community 0 open for votes, its agenda of three needs and THREADS seated residents."""
    world = w.build_world()
    needs = raise_needs(world, 3)
    users = voters(world, THREADS)
    meeting = plan(world, needs, seats=seats_for(users), rule=Meeting.Rule.POINTS, points=10, quorum=THREADS)
    return world, meeting, needs, users


def test_the_same_participants_ballots_at_once_store_one(
    voting: tuple[w.World, Meeting, list[Need], list[Any]],
) -> None:
    _world, meeting, needs, users = voting
    alice = users[0]
    # Each request carries a different ballot, so the stored one shows which got through.
    ballots = [{needs[i % 3].pk: 1 + i % 10} for i in range(THREADS)]
    outcomes = race(lambda i: needs_services.cast_ballot(alice, meeting, ballots[i]), THREADS)
    winners = succeeded(outcomes)
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(winners) == 1 and len(refused) == THREADS - 1, Counter(type(o).__name__ for o in outcomes)
    assert all("already voted" in str(o) for o in refused)
    participant = Participant.objects.get(meeting=meeting, person=alice.person)
    assert participant.has_voted
    stored = {v.need_id: v.points for v in Vote.objects.filter(participant=participant)}
    assert stored == ballots[winners[0]]
    assert Vote.objects.filter(meeting=meeting).count() == 1
    assert verify().ok


def test_different_participants_voting_at_once_all_count(
    voting: tuple[w.World, Meeting, list[Need], list[Any]],
) -> None:
    world, meeting, needs, users = voting
    outcomes = race(lambda i: needs_services.cast_ballot(users[i], meeting, {needs[0].pk: 5, needs[1].pk: 5}), THREADS)
    assert len(succeeded(outcomes)) == THREADS, Counter(type(o).__name__ for o in outcomes)
    needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.ballots_cast, meeting.quorate) == (THREADS, True)
    assert Need.objects.get(pk=needs[0].pk).state == Need.State.PRIORITISED


def test_closing_during_voting_counts_exactly_the_ballots_that_got_in(
    voting: tuple[w.World, Meeting, list[Need], list[Any]],
) -> None:
    world, meeting, needs, users = voting
    worker = world.community_workers[0]
    closer = THREADS // 2

    def act(i: int) -> object:
        if i == closer:
            return needs_services.close_meeting(worker, meeting)
        return needs_services.cast_ballot(users[i], meeting, {needs[2].pk: 1})

    outcomes = race(act, THREADS)
    assert not isinstance(outcomes[closer], BaseException), outcomes[closer]
    cast = [i for i in succeeded(outcomes) if i != closer]
    late = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(cast) + len(late) == THREADS - 1, Counter(type(o).__name__ for o in outcomes)
    assert all("Voting is not open" in str(o) for o in late)
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    assert meeting.ballots_cast == len(cast) == Vote.objects.filter(meeting=meeting).count()
    assert next(row["points"] for row in meeting.result if row["need"] == needs[2].pk) == len(cast)
    assert verify().ok
