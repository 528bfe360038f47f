"""Reads of the simulator's pages: who may use it, and the comparisons run so far."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Membership, OrgKind, Role
from grassroots.orgs.selectors import memberships_of

from .models import SimulationRun

OFFICES = (OrgKind.DEPARTMENT, OrgKind.STREET)


def can_simulate(user: Any, memberships: Iterable[Membership] | None = None) -> bool:
    """Officers of a department or a street office, and staff: the people who set the policy levers.

    `memberships` are the user's current ones when the caller has read them already (the navigation)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_staff(user):
        return True
    if memberships is not None:
        return any(m.role == Role.OFFICER and m.organization.kind in OFFICES for m in memberships)
    return memberships_of(user).filter(role=Role.OFFICER, organization__kind__in=OFFICES).exists()


def recent_runs(limit: int = 20) -> QuerySet[SimulationRun]:
    """The latest comparisons; every officer sees them all (synthetic data, nothing confidential)."""
    return SimulationRun.objects.select_related("requested_by").order_by("-created_at", "-pk")[:limit]
