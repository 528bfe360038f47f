"""Who takes a seat at a community's meeting, in which capacity, and who of them votes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need, Participant, Vote
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Membership, Person
from tests import world as w
from tests.needs.consult import MEETING_DAY, plan, raise_needs

pytestmark = pytest.mark.django_db

#: (who, kind, community index) → the seat is refused with this message.
REFUSED_SEATS: list[tuple[str, str, int, str]] = [
    ("resident of community 1", "resident", 0, "is not a resident of"),
    ("resident of community 1", "representative", 0, "is not a resident of"),
    ("community worker of community 1", "resident", 0, "is not a resident of"),
    ("street officer", "resident", 0, "is not a resident of"),
    ("agency manager", "representative", 0, "is not a resident of"),
    ("resident of community 0", "agency", 0, "works for no social-work agency"),
    ("community worker of community 0", "agency", 0, "works for no social-work agency"),
    ("street officer", "agency", 0, "works for no social-work agency"),
    ("other street officer", "street", 0, "is not an officer of the street over"),
    ("street officer", "street", 2, "is not an officer of the street over"),
    ("department officer", "street", 0, "is not an officer of the street over"),
    ("agency manager", "street", 0, "is not an officer of the street over"),
    ("resident of community 0", "street", 0, "is not an officer of the street over"),
    ("resident of community 0", "chair", 0, "Unknown kind of participant"),
]

ALLOWED_SEATS: list[tuple[str, str, int]] = [
    ("resident of community 0", "resident", 0),
    ("resident of community 0", "representative", 0),
    ("community worker of community 0", "resident", 0),
    ("community worker of community 0", "representative", 0),
    ("resident of community 1", "resident", 1),
    ("agency manager", "agency", 0),
    ("agency social worker", "agency", 0),
    ("street officer", "street", 0),
    ("street officer", "street", 1),
    ("other street officer", "street", 2),
]


def person(world: w.World, who: str) -> Person:
    users: dict[str, Any] = {
        "resident of community 0": world.residents[0][1],
        "resident of community 1": world.residents[1][0],
        "community worker of community 0": world.community_workers[0],
        "community worker of community 1": world.community_workers[1],
        "street officer": world.street_officer,
        "other street officer": world.other_street_officer,
        "department officer": world.dept_officer,
        "agency manager": world.managers[0],
        "agency social worker": world.social_workers[0][0].user,
    }
    return users[who].person


def plan_with(world: w.World, community: int, seats: list[tuple[Person, str]], need: Need | None = None) -> Meeting:
    need = need or raise_needs(world, 1, community=community)[0]
    return needs_services.plan_meeting(
        world.community_workers[community],
        community=world.communities[community],
        title="议事会",
        held_on=MEETING_DAY,
        agenda=[need],
        participants=seats,
    )


@pytest.mark.parametrize(("who", "kind", "community", "match"), REFUSED_SEATS)
def test_a_seat_is_refused_at_planning(world: w.World, who: str, kind: str, community: int, match: str) -> None:
    need = raise_needs(world, 1, community=community)[0]
    with w.refused(RuleViolation, match=match):
        needs_services.plan_meeting(
            world.community_workers[community],
            community=world.communities[community],
            title="议事会",
            held_on=MEETING_DAY,
            agenda=[need],
            participants=[(person(world, who), kind)],
        )


@pytest.mark.parametrize(("who", "kind", "community", "match"), REFUSED_SEATS)
def test_a_seat_is_refused_on_the_day(world: w.World, who: str, kind: str, community: int, match: str) -> None:
    meeting = plan_with(world, community, [])
    with w.refused(RuleViolation, match=match):
        needs_services.seat_participant(world.community_workers[community], meeting, person(world, who), kind)


@pytest.mark.parametrize(("who", "kind", "community"), ALLOWED_SEATS)
def test_a_seat_is_given(world: w.World, who: str, kind: str, community: int) -> None:
    meeting = plan_with(world, community, [(person(world, who), kind)])
    assert Participant.objects.get(meeting=meeting).kind == kind
    day = plan_with(world, community, [])
    participant = needs_services.seat_participant(world.community_workers[community], day, person(world, who), kind)
    assert (participant.meeting, participant.kind, participant.has_voted) == (day, kind, False)


def test_every_problem_with_the_seats_is_reported_at_once(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    seats = [(person(world, "resident of community 1"), "resident"), (person(world, "other street officer"), "street")]
    with w.refused(RuleViolation) as info:
        plan_with(world, 0, seats, need)
    assert len(info.value.messages) == 2


def test_a_resident_of_another_community_cannot_vote(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    meeting = plan(world, [need], quorum=1)
    outsider = world.residents[1][0]
    with w.refused(RuleViolation, match="is not a resident of"):
        needs_services.seat_participant(world.community_workers[0], meeting, outsider.person, "resident")
    with w.refused(Forbidden, match="Only the meeting's participants vote"):
        needs_services.cast_ballot(outsider, meeting, {need.pk: 1})


@pytest.mark.parametrize("kind", ["agency", "street"])
def test_guests_take_a_seat_but_do_not_vote(world: w.World, kind: str) -> None:
    need = raise_needs(world, 1)[0]
    guest = world.managers[0] if kind == "agency" else world.street_officer
    meeting = plan(world, [need], seats=[(guest.person, kind)], quorum=1)
    with w.refused(RuleViolation, match="Guests take part in the discussion but do not vote"):
        needs_services.cast_ballot(guest, meeting, {need.pk: 1})
    # Not even when seated on the day.
    other = plan(world, [raise_needs(world, 1)[0]], seats=[], quorum=1)
    needs_services.seat_participant(world.community_workers[0], other, guest.person, kind)
    with w.refused(RuleViolation, match="do not vote"):
        needs_services.cast_ballot(guest, other, {other.agenda.get().pk: 1})


def test_a_community_worker_seated_as_a_resident_votes(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    worker = world.community_workers[0]
    meeting = plan(world, [need], seats=[(worker.person, "representative")], quorum=1)
    needs_services.cast_ballot(worker, meeting, {need.pk: 1})
    assert Vote.objects.filter(participant__person=worker.person).count() == 1


def test_living_there_is_enough_and_so_is_a_membership(world: w.World) -> None:
    community = world.communities[0]
    worker = world.community_workers[0]
    lives_here = org_services.add_person(worker, name="新住户", username="newcomer", home_community=community)
    member = org_services.add_person(worker, name="老住户", username="oldtimer", home_community=world.communities[1])
    org_services.add_membership(worker, person=member, organization=community, role="resident")
    meeting = plan_with(world, 0, [(lives_here, "resident"), (member, "representative")])
    assert meeting.participants.count() == 2


def test_a_membership_that_has_ended_gives_no_seat(world: w.World) -> None:
    moved = world.residents[0][1].person
    Person.objects.filter(pk=moved.pk).update(home_community=world.communities[1])
    Membership.objects.filter(person=moved, organization=world.communities[0]).update(
        until=timezone.localdate() - timedelta(days=1)
    )
    moved.refresh_from_db()
    need = raise_needs(world, 1)[0]
    with w.refused(RuleViolation, match="is not a resident of"):
        plan_with(world, 0, [(moved, "resident")], need)


def test_a_guests_agency_work_must_be_current(world: w.World) -> None:
    former = world.managers[0].person
    Membership.objects.filter(person=former).update(until=timezone.localdate() - timedelta(days=1))
    need = raise_needs(world, 1)[0]
    with w.refused(RuleViolation, match="works for no social-work agency"):
        plan_with(world, 0, [(former, "agency")], need)


def test_one_seat_per_person(world: w.World) -> None:
    alice = world.residents[0][0].person
    need = raise_needs(world, 1)[0]
    with w.refused(RuleViolation, match="Each person takes one seat"):
        plan_with(world, 0, [(alice, "resident"), (alice, "representative")], need)
    meeting = plan_with(world, 0, [(alice, "resident")])
    with w.refused(RuleViolation, match="already has a seat"):
        needs_services.seat_participant(world.community_workers[0], meeting, alice, "representative")


def test_a_resident_seated_on_the_day_votes_until_the_meeting_closes(world: w.World) -> None:
    need = raise_needs(world, 1)[0]
    alice, bob = world.residents[0]
    meeting = plan(world, [need], seats=[(alice.person, "resident")], quorum=2)
    needs_services.seat_participant(world.community_workers[0], meeting, bob.person, "resident")
    needs_services.cast_ballot(alice, meeting, {need.pk: 1})
    needs_services.cast_ballot(bob, meeting, {need.pk: 1})
    needs_services.close_meeting(world.community_workers[0], meeting)
    meeting.refresh_from_db()
    assert (meeting.ballots_cast, meeting.quorate) == (2, True)
    worker = world.community_workers[0]
    with w.refused(RuleViolation, match="The meeting is over"):
        needs_services.seat_participant(worker, meeting, worker.person, "resident")
