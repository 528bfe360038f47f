"""Reads of residents' needs."""

from __future__ import annotations

from django.db.models import F, QuerySet

from grassroots.orgs.models import Organization

from .models import Need


def of_community(community: Organization) -> QuerySet[Need]:
    """A community's needs, prioritised ones first (merged needs live on in the one they joined)."""
    return (
        Need.objects.filter(community=community)
        .exclude(state=Need.State.MERGED)
        .select_related("category")
        .order_by(F("priority").asc(nulls_last=True), "-raised_on", "pk")
    )
