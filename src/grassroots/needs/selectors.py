"""Reads of residents' needs and consultation meetings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from grassroots.orgs.models import Organization
from grassroots.orgs.selectors import communities_of

from .models import Meeting, Need

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
