"""Raising needs and deciding their priority in a community consultation meeting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.permissions import require
from grassroots.core.transitions import allowed, transition
from grassroots.funding.models import ServiceCategory
from grassroots.orgs.models import Organization, OrgKind, Person, Role
from grassroots.orgs.selectors import acts_for, person_of

from . import tally
from .models import Meeting, Need, Participant, Vote


@transaction.atomic
def raise_need(
    actor: Any,
    *,
    community: Organization,
    title: str,
    category: ServiceCategory,
    raised_on: date,
    description: str = "",
    people_affected: int = 0,
    location: str = "",
    title_en: str = "",
) -> Need:
    """A resident raises a need in their own community, or a community worker records it for them."""
    if community.kind != OrgKind.COMMUNITY:
        raise RuleViolation(_("Needs are raised in a community."))
    person = person_of(actor)
    is_resident = person is not None and person.home_community_id == community.pk
    require(
        is_resident or acts_for(actor, community, Role.COMMUNITY_WORKER),
        _("Only residents of %(c)s or its community workers raise its needs.") % {"c": community},
    )
    if not title.strip():
        raise RuleViolation(_("A need needs a title."))
    if people_affected < 0:
        raise RuleViolation(_("The number of people affected cannot be negative."))
    need = Need.objects.create(
        community=community,
        title=title.strip(),
        title_en=title_en,
        category=category,
        description=description,
        people_affected=people_affected,
        location=location,
        raised_by=person,
        raised_on=raised_on,
    )
    record(actor, "need.raised", need, after={"community": community.pk, "title": need.title})
    return need


@transaction.atomic
def plan_meeting(
    actor: Any,
    *,
    community: Organization,
    title: str,
    held_on: date,
    agenda: Iterable[Need],
    participants: Iterable[tuple[Person, str]],
    rule: str = Meeting.Rule.APPROVAL,
    quorum: int = 5,
    priorities: int = 3,
    approvals: int = 3,
    points: int = 10,
) -> Meeting:
    require(
        acts_for(actor, community, Role.COMMUNITY_WORKER),
        _("Only a community worker of %(c)s convenes its meetings.") % {"c": community},
    )
    agenda = list(agenda)
    if not agenda or any(n.community_id != community.pk for n in agenda):
        raise RuleViolation(_("The agenda lists needs of this community."))
    if rule not in Meeting.Rule.values:
        raise RuleViolation(_("Unknown voting rule."))
    meeting = Meeting.objects.create(
        community=community,
        title=title,
        held_on=held_on,
        rule=rule,
        quorum=quorum,
        priorities=priorities,
        approvals_per_participant=approvals,
        points_per_participant=points,
    )
    meeting.agenda.set(agenda)
    for person, kind in participants:
        Participant.objects.create(meeting=meeting, person=person, kind=kind)
    record(actor, "meeting.planned", meeting, after={"agenda": [n.pk for n in agenda]})
    return meeting


@transaction.atomic
def open_voting(actor: Any, meeting: Meeting) -> Meeting:
    require(acts_for(actor, meeting.community, Role.COMMUNITY_WORKER), _("Only a community worker opens voting."))
    transition(meeting, Meeting.State.VOTING, actor=actor)
    return meeting


@transaction.atomic
def cast_ballot(actor: Any, meeting: Meeting, ballot: Mapping[int, int]) -> None:
    """One ballot per participant: {need id: points} (1 per approved need under approval voting)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    person = person_of(actor)
    participant = Participant.objects.select_for_update().filter(meeting=meeting, person=person).first()
    require(participant is not None, _("Only the meeting's participants vote."))
    assert participant is not None
    if participant.kind in (Participant.Kind.AGENCY_GUEST, Participant.Kind.STREET_GUEST):
        raise RuleViolation(_("Guests take part in the discussion but do not vote."))
    if meeting.state != Meeting.State.VOTING:
        raise RuleViolation(_("Voting is not open."))
    if participant.has_voted:
        raise RuleViolation(_("You have already voted in this meeting."))
    agenda = set(meeting.agenda.values_list("pk", flat=True))
    problem = tally.check_ballot(
        meeting.rule, ballot, agenda, approvals=meeting.approvals_per_participant, points=meeting.points_per_participant
    )
    if problem:
        raise RuleViolation(_("This ballot is not valid: %(p)s.") % {"p": problem})
    Vote.objects.bulk_create(
        Vote(meeting=meeting, participant=participant, need_id=n, points=p) for n, p in ballot.items()
    )
    participant.has_voted = True
    participant.save(update_fields=["has_voted"])


@transaction.atomic
def close_meeting(actor: Any, meeting: Meeting, minutes: str = "") -> list[tally.Standing]:
    """Count the ballots, freeze the result and prioritise the top needs when the quorum was met."""
    require(acts_for(actor, meeting.community, Role.COMMUNITY_WORKER), _("Only a community worker closes a meeting."))
    ballots: dict[int, dict[int, int]] = {}
    for vote in Vote.objects.filter(meeting=meeting):
        ballots.setdefault(vote.participant_id, {})[vote.need_id] = vote.points
    agenda = list(meeting.agenda.values_list("pk", flat=True))
    standings = tally.tally(ballots.values(), agenda)
    quorate = len(ballots) >= meeting.quorum
    transition(
        meeting,
        Meeting.State.CLOSED,
        actor=actor,
        fields={"minutes": minutes},
        reason="" if quorate else f"quorum of {meeting.quorum} not met ({len(ballots)} voted)",
    )
    record(
        actor,
        "meeting.result",
        meeting,
        after={
            "quorate": quorate,
            "ballots": len(ballots),
            "ranking": [[s.need_id, s.points, s.voters] for s in standings],
        },
    )
    for standing in standings:
        need = Need.objects.get(pk=standing.need_id)
        if quorate and standing.rank <= meeting.priorities and standing.points > 0:
            if allowed(need, Need.State.PRIORITISED):
                transition(need, Need.State.PRIORITISED, actor=actor, fields={"priority": standing.rank})
        elif allowed(need, Need.State.CONSULTED):
            transition(need, Need.State.CONSULTED, actor=actor)
    return standings


@transaction.atomic
def mark_addressed(actor: Any, need: Need) -> None:
    """A signed contract answers the need (called by the contract stage)."""
    if allowed(need, Need.State.ADDRESSED):
        transition(need, Need.State.ADDRESSED, actor=actor)
