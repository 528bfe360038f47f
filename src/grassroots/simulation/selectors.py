"""Reads of the simulator's pages: who may use it, and the comparisons run so far."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from grassroots.core.permissions import is_staff
from grassroots.orgs.models import OrgKind, Role
from grassroots.orgs.selectors import memberships_of

from .models import SimulationRun


def can_simulate(user: Any) -> bool:
    """Officers of a department or a street office, and staff: the people who set the policy levers."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_staff(user):
        return True
    return (
        memberships_of(user)
        .filter(role=Role.OFFICER, organization__kind__in=[OrgKind.DEPARTMENT, OrgKind.STREET])
        .exists()
    )


def recent_runs(limit: int = 20) -> QuerySet[SimulationRun]:
    """The latest comparisons; every officer sees them all (synthetic data, nothing confidential)."""
    return SimulationRun.objects.select_related("requested_by").order_by("-created_at", "-pk")[:limit]
