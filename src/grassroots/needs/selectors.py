"""Reads of residents' needs and consultation meetings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery

from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Membership, Organization, OrgKind, Person, Role
from grassroots.orgs.selectors import (
    acts_for,
    agencies_staffed_by,
    communities_of,
    current_memberships,
    jurisdiction_communities,
    orgs_where,
    person_of,
)

from .models import Meeting, Need, Participant

#: Needs that went through a consultation (whatever happened next).
CONSULTED = (Need.State.CONSULTED, Need.State.PRIORITISED, Need.State.ADDRESSED, Need.State.RESOLVED)


def of_community(community: Organization) -> QuerySet[Need]:
    """A community's needs, prioritised ones first (merged needs live on in the one they joined)."""
    return (
        Need.objects.filter(community=community)
        .exclude(state=Need.State.MERGED)
        .select_related("category")
        .order_by(F("priority").asc(nulls_last=True), "-raised_on", "pk")
    )


@dataclass(frozen=True)
class Lifecycle:
    """How a community's needs fared: raised, consulted, addressed by a contract, resolved."""

    raised: int
    consulted: int
    prioritised: int
    addressed: int
    resolved: int
    declined: int


def lifecycle(community: Organization) -> Lifecycle:
    counts = (
        Need.objects.filter(community=community)
        .exclude(state=Need.State.MERGED)
        .aggregate(
            raised=Count("pk"),
            consulted=Count("pk", filter=Q(state__in=CONSULTED)),
            prioritised=Count(
                "pk", filter=Q(state__in=[Need.State.PRIORITISED, Need.State.ADDRESSED, Need.State.RESOLVED])
            ),
            addressed=Count("pk", filter=Q(state__in=[Need.State.ADDRESSED, Need.State.RESOLVED])),
            resolved=Count("pk", filter=Q(state=Need.State.RESOLVED)),
            declined=Count("pk", filter=Q(state=Need.State.DECLINED)),
        )
    )
    return Lifecycle(**counts)


def prioritised_in(org: Organization) -> QuerySet[Need]:
    """Needs residents prioritised and no contract answers yet, in the communities `org` covers: what a
    street bundles into a call and what applicants link."""
    return (
        Need.objects.filter(community__in=communities_of(org), state=Need.State.PRIORITISED)
        .select_related("community", "category")
        .order_by("community__name", "priority", "pk")
    )


def meetings_of(community: Organization) -> QuerySet[Meeting]:
    return Meeting.objects.filter(community=community).annotate(seats=Count("participants")).order_by("-held_on")


@dataclass(frozen=True)
class Ranked:
    need: Need
    points: int
    voters: int
    rank: int
    prioritised: bool


def result_of(meeting: Meeting) -> list[Ranked]:
    """The frozen, published ranking of a closed meeting (empty before it closes)."""
    needs = Need.objects.in_bulk([row["need"] for row in meeting.result])
    return [
        Ranked(
            needs[row["need"]],
            row["points"],
            row["voters"],
            row["rank"],
            bool(meeting.quorate) and row["rank"] <= meeting.priorities and row["points"] > 0,
        )
        for row in meeting.result
        if row["need"] in needs
    ]


def answered_by(need: Need) -> QuerySet[Any]:
    """The contracts whose applications link this need."""
    from grassroots.contracts.models import Contract

    return Contract.objects.filter(award__application__needs=need).select_related("agency")


# --- who sees a community's needs, and what the pages list ---------------------------------------------------


def communities_visible_to(user: Any) -> QuerySet[Organization]:
    """The communities whose needs and meetings `user` may read.

    Its residents and community workers; the officers of its street or department; every agency's staff
    (agencies read needs to apply); the experts reviewing an application it partners in, while the review
    runs; the platform staff. Who raised a need and who sat in a meeting is for its workers only.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    communities = Organization.objects.filter(kind=OrgKind.COMMUNITY)
    if is_staff(user) or agencies_staffed_by(user).exists():
        return communities
    from grassroots.funding.models import Call
    from grassroots.review.models import Review

    person = person_of(user)
    reviewing = Review.objects.filter(
        expert__person__user=user,
        state__in=[Review.State.ASSIGNED, Review.State.SUBMITTED],
        application__call__state=Call.State.REVIEW,
    ).values("application__communities")
    return communities.filter(
        Q(pk__in=orgs_where(user, Role.RESIDENT, Role.COMMUNITY_WORKER).values("pk"))
        | Q(pk__in=jurisdiction_communities(user).values("pk"))
        | Q(pk__in=reviewing)
        | Q(pk=person.home_community_id if person is not None else None)
    )


def sees_community(user: Any, community: Organization) -> bool:
    return communities_visible_to(user).filter(pk=community.pk).exists()


def is_worker(user: Any, community: Organization) -> bool:
    """Whether `user` runs the community's consultation (and so may read residents' names)."""
    return acts_for(user, community, Role.COMMUNITY_WORKER)


def may_raise(user: Any, community: Organization) -> bool:
    """The rule of `services.raise_need`: a resident living in the community, or its community worker."""
    person = person_of(user)
    return (person is not None and person.home_community_id == community.pk) or is_worker(user, community)


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.filter(community__in=communities_visible_to(user))


def needs_visible_to(user: Any) -> QuerySet[Need]:
    return Need.objects.filter(community__in=communities_visible_to(user))


def open_needs(community: Organization) -> QuerySet[Need]:
    """The needs a meeting may still put on its agenda (raised, or consulted without priority)."""
    return of_community(community).filter(state__in=[Need.State.RAISED, Need.State.CONSULTED])


#: The states in which an application may still link a need.
STANDING = (Need.State.RAISED, Need.State.CONSULTED, Need.State.PRIORITISED, Need.State.ADDRESSED)


def standing_in(communities: Any) -> QuerySet[Need]:
    """The needs of `communities` an application may link (neither merged, declined nor resolved)."""
    return (
        Need.objects.filter(community__in=communities, state__in=STANDING)
        .select_related("community", "category")
        .order_by("community__name", F("priority").asc(nulls_last=True), "-raised_on", "pk")
    )


def residents_of(community: Organization) -> QuerySet[Person]:
    """The community's residents: living there, or registered as its residents (each may take a seat)."""
    members = Membership.objects.filter(current_memberships(), organization=community, role=Role.RESIDENT).values(
        "person_id"
    )
    return Person.objects.filter(Q(home_community=community) | Q(pk__in=members)).order_by("name", "pk")


def guests_for(community: Organization) -> tuple[QuerySet[Person], QuerySet[Person]]:
    """Who may be seated as a guest: officers of the community's street, and agency staff (each with the
    name of their agency as `agency` and `agency_en`)."""
    street = Person.objects.filter(
        current_memberships("memberships__"),
        memberships__organization=community.parent,
        memberships__role=Role.OFFICER,
    )
    if community.parent_id is None:
        street = Person.objects.none()
    works_for = Membership.objects.filter(
        current_memberships(),
        person=OuterRef("pk"),
        organization__kind=OrgKind.AGENCY,
        role__in=[Role.MANAGER, Role.SOCIAL_WORKER],
    ).order_by("pk")
    agency = Person.objects.filter(Exists(works_for)).annotate(
        agency=Subquery(works_for.values("organization__name")[:1]),
        agency_en=Subquery(works_for.values("organization__name_en")[:1]),
    )
    return street.distinct().order_by("name", "pk"), agency.order_by("agency", "name", "pk")


def answering(needs: Any) -> dict[int, list[Any]]:
    """For each of `needs` (ids or rows), the contracts whose applications link it: two queries in all."""
    from grassroots.applications.models import Application
    from grassroots.contracts.models import Contract

    pks = [getattr(n, "pk", n) for n in needs]
    links = list(Application.needs.through.objects.filter(need_id__in=pks).values_list("need_id", "application_id"))
    contracts = Contract.objects.filter(award__application_id__in={a for _n, a in links}).select_related(
        "agency", "award__application"
    )
    by_application: dict[int, list[Any]] = {}
    for contract in contracts.order_by("number"):
        by_application.setdefault(contract.award.application_id, []).append(contract)
    found: dict[int, list[Any]] = {}
    for need, application in links:
        found.setdefault(need, []).extend(by_application.get(application, []))
    return found


def raised_by_person(person: Person | None, community: Organization) -> QuerySet[Need]:
    """The needs `person` raised in `community`, newest first."""
    if person is None:
        return Need.objects.none()
    return (
        Need.objects.filter(community=community, raised_by=person)
        .select_related("category")
        .order_by("-raised_on", "-pk")
    )


#: The kinds of seat that carry a vote (guests take part in the discussion only).
VOTING_KINDS = (Participant.Kind.RESIDENT, Participant.Kind.REPRESENTATIVE)


def to_vote(user: Any, community: Organization) -> QuerySet[Meeting]:
    """The community's meetings open for voting in which `user` holds a voting seat and has not voted yet."""
    person = person_of(user)
    if person is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(
        community=community,
        state=Meeting.State.VOTING,
        participants__person=person,
        participants__kind__in=VOTING_KINDS,
        participants__has_voted=False,
    ).order_by("held_on", "pk")


def running(community: Organization) -> QuerySet[Meeting]:
    """The community's meetings still to hold or being voted on, with their seats and ballots counted."""
    return (
        Meeting.objects.filter(community=community, state__in=[Meeting.State.PLANNED, Meeting.State.VOTING])
        .annotate(
            seats=Count("participants", distinct=True),
            voted=Count("participants", filter=Q(participants__has_voted=True), distinct=True),
        )
        .order_by("held_on", "pk")
    )


def seat_counts(meeting: Meeting) -> dict[str, int]:
    """How many seats of each kind the meeting has (what readers other than its workers are told)."""
    rows = Participant.objects.filter(meeting=meeting).values("kind").annotate(n=Count("pk"))
    return {row["kind"]: row["n"] for row in rows}


def ballots_cast(meeting: Meeting) -> int:
    """The ballots cast so far (who voted is recorded, not how: the count, never the running result)."""
    return Participant.objects.filter(meeting=meeting, has_voted=True).count()


def seat_of(user: Any, meeting: Meeting) -> Participant | None:
    person = person_of(user)
    if person is None:
        return None
    return Participant.objects.filter(meeting=meeting, person=person).first()
