"""Who is who: reads about people, their roles and the jurisdictions they act in."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from grassroots.core.permissions import is_staff

from .models import Expert, Membership, Organization, OrgKind, Person, Role


def current_memberships(prefix: str = "") -> Q:
    """Memberships in force today: without an end date, or ending today or later."""
    return Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": timezone.localdate()})


def person_of(user: Any) -> Person | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def memberships_of(user: Any) -> QuerySet[Membership]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(current_memberships(), person__user=user).select_related("organization")


def orgs_where(user: Any, *roles: str, kind: str | None = None) -> QuerySet[Organization]:
    """Organizations in which `user` holds one of `roles` (any role when none given)."""
    qs = memberships_of(user)
    if roles:
        qs = qs.filter(role__in=roles)
    if kind:
        qs = qs.filter(organization__kind=kind)
    return Organization.objects.filter(pk__in=qs.values("organization_id"))


def has_role(user: Any, org: Organization | None, *roles: str) -> bool:
    if org is None:
        return False
    return memberships_of(user).filter(organization=org, role__in=roles or [r.value for r in Role]).exists()


def communities_of(org: Organization) -> QuerySet[Organization]:
    """The communities an organization's jurisdiction covers (a street's, or all of a department's)."""
    if org.kind == OrgKind.COMMUNITY:
        return Organization.objects.filter(pk=org.pk)
    if org.kind == OrgKind.STREET:
        return Organization.objects.filter(kind=OrgKind.COMMUNITY, parent=org)
    if org.kind == OrgKind.DEPARTMENT:
        return Organization.objects.filter(kind=OrgKind.COMMUNITY, parent__parent=org)
    return Organization.objects.none()


def streets_of(org: Organization) -> QuerySet[Organization]:
    if org.kind == OrgKind.STREET:
        return Organization.objects.filter(pk=org.pk)
    if org.kind == OrgKind.DEPARTMENT:
        return Organization.objects.filter(kind=OrgKind.STREET, parent=org)
    if org.kind == OrgKind.COMMUNITY and org.parent_id:
        return Organization.objects.filter(pk=org.parent_id)
    return Organization.objects.none()


def department_of(org: Organization) -> Organization | None:
    node: Organization | None = org
    while node is not None and node.kind != OrgKind.DEPARTMENT:
        node = node.parent
    return node


def social_workers_of(agency: Organization) -> QuerySet[Person]:
    return Person.objects.filter(
        current_memberships("memberships__"), memberships__organization=agency, memberships__role=Role.SOCIAL_WORKER
    ).distinct()


def acts_for(user: Any, org: Organization | None, *roles: str) -> bool:
    """Whether `user` may act for `org` in one of `roles`; staff (superusers) act for everyone."""
    return is_staff(user) or has_role(user, org, *roles)


def expert_of(user: Any) -> Expert | None:
    """The expert-pool entry of `user`, if they are in the pool."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Expert.objects.filter(person__user=user).select_related("person").first()


def agencies_staffed_by(user: Any) -> QuerySet[Organization]:
    """Agencies where `user` is a manager, social worker or board member."""
    return orgs_where(user, Role.MANAGER, Role.SOCIAL_WORKER, Role.BOARD_MEMBER, kind=OrgKind.AGENCY)


def jurisdiction_communities(user: Any) -> QuerySet[Organization]:
    """Communities under the streets and departments where `user` is an officer."""
    offices = orgs_where(user, Role.OFFICER)
    return Organization.objects.filter(kind=OrgKind.COMMUNITY).filter(
        Q(parent__in=offices) | Q(parent__parent__in=offices)
    )
