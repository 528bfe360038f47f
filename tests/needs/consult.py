"""Helpers for the needs tests: raising needs, adding residents and holding consultation meetings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from grassroots.core.models import AuditEvent
from grassroots.needs import services as needs_services
from grassroots.needs.models import Meeting, Need, Participant
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Person
from tests import world as w

DAY = date(2025, 1, 10)
MEETING_DAY = date(2025, 1, 20)


def raise_needs(world: w.World, count: int = 3, *, community: int = 0, people: Sequence[int] = ()) -> list[Need]:
    """`count` needs raised by the community's residents, in order (so earlier needs have lower ids)."""
    residents = world.residents[community]
    return [
        needs_services.raise_need(
            residents[i % len(residents)],
            community=world.communities[community],
            title=f"需求{community}-{i}",
            category=world.categories["elderly"],
            raised_on=DAY,
            people_affected=people[i] if i < len(people) else 0,
        )
        for i in range(count)
    ]


def add_residents(world: w.World, count: int, *, community: int = 0, prefix: str = "extra") -> list[Any]:
    """`count` more residents (with logins) living in the community, registered by its community worker."""
    worker = world.community_workers[community]
    org = world.communities[community]
    users = []
    for j in range(count):
        person = org_services.add_person(
            worker, name=f"居民{prefix}{community}{j}", username=f"{prefix}{community}_{j}", home_community=org
        )
        org_services.add_membership(worker, person=person, organization=org, role="resident")
        users.append(person.user)
    return users


def voters(world: w.World, count: int, *, community: int = 0) -> list[Any]:
    """The users of `count` residents of the community (the world's two, then as many more as needed)."""
    users = list(world.residents[community])
    if count > len(users):
        users += add_residents(world, count - len(users), community=community)
    return users[:count]


def plan(
    world: w.World,
    agenda: Sequence[Need],
    *,
    community: int = 0,
    seats: Sequence[tuple[Person, str]] | None = None,
    voting: bool = True,
    **kwargs: Any,
) -> Meeting:
    """A meeting of the community on `agenda` (its two residents seated unless `seats` is given), open for votes."""
    if seats is None:
        seats = [(u.person, Participant.Kind.RESIDENT) for u in world.residents[community]]
    options: dict[str, Any] = {"quorum": 2, "priorities": 1, **kwargs}
    meeting = needs_services.plan_meeting(
        world.community_workers[community],
        community=world.communities[community],
        title="居民议事会",
        held_on=MEETING_DAY,
        agenda=agenda,
        participants=seats,
        **options,
    )
    if voting:
        meeting = needs_services.open_voting(world.community_workers[community], meeting)
    return meeting


def seats_for(users: Sequence[Any], kind: str = Participant.Kind.RESIDENT) -> list[tuple[Person, str]]:
    return [(u.person, kind) for u in users]


def states(*needs: Need) -> list[str]:
    """The needs' states as stored now."""
    fresh = Need.objects.in_bulk([n.pk for n in needs])
    return [fresh[n.pk].state for n in needs]


def fresh(need: Need) -> Need:
    return Need.objects.get(pk=need.pk)


def events(obj: Any, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=f"{obj._meta.app_label}.{obj._meta.model_name}", object_id=str(obj.pk), action=action
        ).order_by("seq")
    )
