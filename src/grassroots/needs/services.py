"""Raising needs and deciding their priority in a community consultation meeting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.i18n import render_message
from grassroots.core.permissions import require
from grassroots.core.transitions import allowed, transition
from grassroots.funding.models import ServiceCategory
from grassroots.orgs.models import Organization, OrgKind, Person, Role
from grassroots.orgs.selectors import acts_for, current_memberships, person_of

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


#: The states a need can be put on a meeting's agenda in (not yet decided).
OPEN_STATES = (Need.State.RAISED, Need.State.CONSULTED)


def _require_worker(actor: Any, community: Organization, message: str) -> None:
    require(acts_for(actor, community, Role.COMMUNITY_WORKER), message % {"c": community})


def _seat_problem(community: Organization, person: Person, kind: str) -> str:
    """Why `person` cannot take a seat of `kind` at a meeting of `community` ('' when they can)."""
    if kind not in Participant.Kind.values:
        return _("Unknown kind of participant.")
    if kind in (Participant.Kind.RESIDENT, Participant.Kind.REPRESENTATIVE):
        lives_here = person.home_community_id == community.pk
        member = person.memberships.filter(
            current_memberships(), organization=community, role__in=[Role.RESIDENT, Role.COMMUNITY_WORKER]
        ).exists()
        if not (lives_here or member):
            return _("%(p)s is not a resident of %(c)s and cannot vote in its meetings.") % {
                "p": person,
                "c": community,
            }
    elif kind == Participant.Kind.AGENCY_GUEST:
        if not person.memberships.filter(
            current_memberships(), organization__kind=OrgKind.AGENCY, role__in=[Role.MANAGER, Role.SOCIAL_WORKER]
        ).exists():
            return _("%(p)s works for no social-work agency.") % {"p": person}
    elif not person.memberships.filter(
        current_memberships(), organization=community.parent, role=Role.OFFICER
    ).exists():
        return _("%(p)s is not an officer of the street over %(c)s.") % {"p": person, "c": community}
    return ""


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
    """A consultation meeting (议事协商): its agenda of open needs, its seats and its voting rule."""
    _require_worker(actor, community, _("Only a community worker of %(c)s convenes its meetings."))
    # Read afresh: the caller's objects may predate a merge or a decision.
    agenda = list(Need.objects.filter(pk__in=[n.pk for n in agenda]).order_by("pk"))
    if not agenda or any(n.community_id != community.pk for n in agenda):
        raise RuleViolation(_("The agenda lists needs of this community."))
    closed = [n.title for n in agenda if n.state not in OPEN_STATES]
    if closed:
        raise RuleViolation(_("Already decided, so not on an agenda: %(n)s.") % {"n": "; ".join(closed)})
    if rule not in Meeting.Rule.values:
        raise RuleViolation(_("Unknown voting rule."))
    if not title.strip():
        raise RuleViolation(_("A meeting needs a title."))
    if quorum < 1 or priorities < 1 or approvals < 1 or points < 1:
        raise RuleViolation(_("Quorum, priorities, approvals and points are at least 1."))
    seats = list(participants)
    problems = [p for p in (_seat_problem(community, person, kind) for person, kind in seats) if p]
    if problems:
        raise RuleViolation(problems)
    if len({person.pk for person, _k in seats}) != len(seats):
        raise RuleViolation(_("Each person takes one seat."))
    meeting = Meeting.objects.create(
        community=community,
        title=title.strip(),
        held_on=held_on,
        rule=rule,
        quorum=quorum,
        priorities=priorities,
        approvals_per_participant=approvals,
        points_per_participant=points,
    )
    meeting.agenda.set(agenda)
    Participant.objects.bulk_create(Participant(meeting=meeting, person=p, kind=k) for p, k in seats)
    record(actor, "meeting.planned", meeting, after={"agenda": [n.pk for n in agenda], "seats": len(seats)})
    return meeting


@transaction.atomic
def seat_participant(actor: Any, meeting: Meeting, person: Person, kind: str) -> Participant:
    """Sign in one more participant (a resident who came on the day) before the meeting closes."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_worker(actor, meeting.community, _("Only a community worker of %(c)s seats participants."))
    if meeting.state not in (Meeting.State.PLANNED, Meeting.State.VOTING):
        raise RuleViolation(_("The meeting is over."))
    problem = _seat_problem(meeting.community, person, kind)
    if problem:
        raise RuleViolation(problem)
    if Participant.objects.filter(meeting=meeting, person=person).exists():
        raise RuleViolation(_("%(p)s already has a seat.") % {"p": person})
    participant = Participant.objects.create(meeting=meeting, person=person, kind=kind)
    record(actor, "meeting.seated", meeting, after={"person": person.pk, "kind": kind})
    return participant


@transaction.atomic
def open_voting(actor: Any, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_worker(actor, meeting.community, _("Only a community worker of %(c)s opens voting."))
    transition(meeting, Meeting.State.VOTING, actor=actor)
    return meeting


@transaction.atomic
def cast_ballot(actor: Any, meeting: Meeting, ballot: Mapping[int, int]) -> None:
    """One ballot per participant: {need id: points} (1 per approved need under approval voting).

    The participant row is locked and marked, so a second ballot, even a simultaneous one, is refused.
    """
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
        raise RuleViolation(_("This ballot is not valid: %(p)s.") % {"p": render_message(problem.as_data())})
    Vote.objects.bulk_create(
        Vote(meeting=meeting, participant=participant, need_id=n, points=p) for n, p in ballot.items()
    )
    participant.has_voted = True
    participant.save(update_fields=["has_voted"])


@transaction.atomic
def close_meeting(actor: Any, meeting: Meeting, minutes: str = "") -> list[tally.Standing]:
    """Count the ballots, freeze the ranked result (on the meeting and in the audit chain) and prioritise
    the top needs when the quorum was met; without quorum the needs are only marked consulted."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_worker(actor, meeting.community, _("Only a community worker of %(c)s closes a meeting."))
    ballots: dict[int, dict[int, int]] = {}
    for vote in Vote.objects.filter(meeting=meeting):
        ballots.setdefault(vote.participant_id, {})[vote.need_id] = vote.points
    agenda = list(meeting.agenda.values_list("pk", flat=True))
    standings = tally.tally(ballots.values(), agenda)
    quorate = len(ballots) >= meeting.quorum
    result = [{"need": s.need_id, "points": s.points, "voters": s.voters, "rank": s.rank} for s in standings]
    transition(
        meeting,
        Meeting.State.CLOSED,
        actor=actor,
        fields={"minutes": minutes.strip(), "result": result, "ballots_cast": len(ballots), "quorate": quorate},
        reason="" if quorate else f"quorum of {meeting.quorum} not met ({len(ballots)} voted)",
    )
    record(actor, "meeting.result", meeting, after={"quorate": quorate, "ballots": len(ballots), "ranking": result})
    needs = Need.objects.in_bulk(agenda)
    for standing in standings:
        need = needs[standing.need_id]
        if quorate and standing.rank <= meeting.priorities and standing.points > 0:
            if allowed(need, Need.State.PRIORITISED):
                transition(need, Need.State.PRIORITISED, actor=actor, fields={"priority": standing.rank})
        elif allowed(need, Need.State.CONSULTED):
            transition(need, Need.State.CONSULTED, actor=actor)
    return standings


@transaction.atomic
def cancel_meeting(actor: Any, meeting: Meeting, reason: str) -> Meeting:
    """Call a meeting off before it closes; its ballots, if any, are not counted."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _require_worker(actor, meeting.community, _("Only a community worker of %(c)s cancels its meetings."))
    if not reason.strip():
        raise RuleViolation(_("Say why the meeting is cancelled."))
    transition(meeting, Meeting.State.CANCELLED, actor=actor, reason=reason.strip())
    return meeting


@transaction.atomic
def merge_needs(actor: Any, duplicate: Need, into: Need) -> Need:
    """Fold a duplicate into the need it repeats; the people affected are the larger of the two counts."""
    duplicate = Need.objects.select_for_update().get(pk=duplicate.pk)
    into = Need.objects.select_for_update().get(pk=into.pk)
    _require_worker(actor, duplicate.community, _("Only a community worker of %(c)s merges its needs."))
    if duplicate.pk == into.pk:
        raise RuleViolation(_("A need cannot be merged into itself."))
    if duplicate.community_id != into.community_id:
        raise RuleViolation(_("Only needs of the same community are merged."))
    if into.state in (Need.State.MERGED, Need.State.DECLINED):
        raise RuleViolation(_("“%(n)s” is merged or declined: merge into the need that stands.") % {"n": into})
    if duplicate.meetings.filter(state=Meeting.State.VOTING).exists():
        raise RuleViolation(_("“%(n)s” is being voted on: merge it after the meeting.") % {"n": duplicate})
    transition(
        duplicate, Need.State.MERGED, actor=actor, fields={"merged_into_id": into.pk}, reason=f"duplicate of {into.pk}"
    )
    for meeting in duplicate.meetings.filter(state=Meeting.State.PLANNED):
        meeting.agenda.remove(duplicate)
        if into.state in OPEN_STATES:
            meeting.agenda.add(into)
    Need.objects.filter(merged_into=duplicate).update(merged_into=into)
    if duplicate.people_affected > into.people_affected:
        into.people_affected = duplicate.people_affected
        into.save(update_fields=["people_affected"])
    return into


@transaction.atomic
def decline_need(actor: Any, need: Need, reason: str) -> Need:
    """A need the community will not take up (out of scope, already served), with the reason on record.

    Like a merge, it waits until a vote on the need is over, and it leaves the agendas of planned meetings.
    """
    need = Need.objects.select_for_update().get(pk=need.pk)
    _require_worker(actor, need.community, _("Only a community worker of %(c)s declines its needs."))
    if not reason.strip():
        raise RuleViolation(_("Say why the need is declined."))
    if need.meetings.filter(state=Meeting.State.VOTING).exists():
        raise RuleViolation(_("“%(n)s” is being voted on: decline it after the meeting.") % {"n": need})
    transition(need, Need.State.DECLINED, actor=actor, reason=reason.strip())
    for meeting in need.meetings.filter(state=Meeting.State.PLANNED):
        meeting.agenda.remove(need)
    return need


@transaction.atomic
def resolve_need(actor: Any, need: Need) -> Need:
    """The community confirms the need is met (usually once the contract answering it has delivered)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    _require_worker(actor, need.community, _("Only a community worker of %(c)s marks its needs resolved."))
    transition(need, Need.State.RESOLVED, actor=actor)
    return need


@transaction.atomic
def mark_addressed(actor: Any, need: Need) -> None:
    """A signed contract answers the need (called by the contract stage)."""
    need = Need.objects.select_for_update().get(pk=need.pk)
    if allowed(need, Need.State.ADDRESSED):
        transition(need, Need.State.ADDRESSED, actor=actor)
