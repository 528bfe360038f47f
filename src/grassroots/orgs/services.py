"""Registering organizations, people, memberships and the expert pool.

Only staff (superusers) and officers of a department may register organizations; an organization's
own manager or officer may add its members.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.permissions import is_staff, require
from grassroots.core.uscc import validate_uscc

from .models import (
    ROLES_BY_KIND,
    Affiliation,
    AffiliationKind,
    Certificate,
    Expert,
    Membership,
    Organization,
    OrgKind,
    Person,
    Role,
)
from .selectors import has_role, orgs_where

_PARENT_KIND = {OrgKind.STREET: OrgKind.DEPARTMENT, OrgKind.COMMUNITY: OrgKind.STREET}


def _may_register(actor: Any) -> bool:
    return is_staff(actor) or orgs_where(actor, Role.OFFICER, kind=OrgKind.DEPARTMENT).exists()


@transaction.atomic
def register_organization(
    actor: Any,
    *,
    kind: str,
    name: str,
    uscc: str,
    name_en: str = "",
    parent: Organization | None = None,
    residents: int = 0,
    address: str = "",
    founded: int | None = None,
) -> Organization:
    require(_may_register(actor), _("Only staff or a department officer may register organizations."))
    if kind not in OrgKind.values:
        raise RuleViolation(_("Unknown kind of organization: %(kind)s") % {"kind": kind})
    code = validate_uscc(uscc)
    if Organization.objects.filter(uscc=code).exists():
        raise RuleViolation(_("An organization with the code %(code)s is already registered.") % {"code": code})
    wanted_parent = _PARENT_KIND.get(OrgKind(kind))
    if wanted_parent and (parent is None or parent.kind != wanted_parent):
        raise RuleViolation(
            _("A %(kind)s must belong to a %(parent)s.")
            % {"kind": OrgKind(kind).label, "parent": OrgKind(wanted_parent).label}
        )
    if not name.strip():
        raise RuleViolation(_("An organization needs a name."))
    org = Organization.objects.create(
        kind=kind,
        name=name.strip(),
        name_en=name_en,
        uscc=code,
        parent=parent if wanted_parent else None,
        residents=residents,
        address=address,
        founded=founded,
    )
    record(actor, "organization.registered", org, after={"kind": kind, "name": org.name, "uscc": code})
    return org


@transaction.atomic
def add_person(
    actor: Any,
    *,
    name: str,
    name_en: str = "",
    username: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    certificate: str = "none",
    home_community: Organization | None = None,
) -> Person:
    """Create a person, with a login when a username is given.

    `password_hash` (from `make_password`) lets a bulk import give many logins one password without
    hashing it again for each.
    """
    require(
        _may_register(actor) or orgs_where(actor, Role.OFFICER, Role.MANAGER, Role.COMMUNITY_WORKER).exists(),
        _("Only staff, officers, agency managers and community workers register people."),
    )
    if not name.strip():
        raise RuleViolation(_("A person needs a name."))
    if home_community is not None and home_community.kind != OrgKind.COMMUNITY:
        raise RuleViolation(_("A home community must be a community."))
    if certificate not in Certificate.values:
        raise RuleViolation(_("Unknown social-work certificate level: %(c)s") % {"c": certificate})
    user = None
    if username:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise RuleViolation(_("The login name %(u)s is taken.") % {"u": username})
        user = User.objects.create_user(username=username, password=password)
        if password_hash:
            user.password = password_hash
            user.save(update_fields=["password"])
    person = Person.objects.create(
        user=user, name=name.strip(), name_en=name_en, certificate=certificate, home_community=home_community
    )
    record(actor, "person.added", person, after={"name": person.name, "login": username or ""})
    return person


@transaction.atomic
def add_membership(actor: Any, *, person: Person, organization: Organization, role: str) -> Membership:
    require(
        _may_register(actor) or has_role(actor, organization, Role.MANAGER, Role.OFFICER, Role.COMMUNITY_WORKER),
        _("Only the organization's own managers or a department officer may add its members."),
    )
    if role not in ROLES_BY_KIND[OrgKind(organization.kind)]:
        raise RuleViolation(
            _("The role %(role)s does not exist in a %(kind)s.")
            % {"role": Role(role).label, "kind": OrgKind(organization.kind).label}
        )
    membership, created = Membership.objects.get_or_create(person=person, organization=organization, role=role)
    if created:
        record(
            actor,
            "membership.added",
            membership,
            after={"person": person.pk, "organization": organization.pk, "role": role},
        )
    return membership


@transaction.atomic
def register_expert(actor: Any, *, person: Person, expertise: list[str], capacity: int = 6) -> Expert:
    require(_may_register(actor), _("Only staff or a department officer may manage the expert pool."))
    if capacity < 1:
        raise RuleViolation(_("An expert's capacity must be at least one application."))
    expert = Expert.objects.create(person=person, expertise=sorted(set(expertise)), capacity=capacity)
    record(actor, "expert.registered", expert, after={"person": person.pk, "expertise": expert.expertise})
    return expert


@transaction.atomic
def declare_affiliation(actor: Any, *, expert: Expert, organization: Organization, kind: str) -> Affiliation:
    require(
        _may_register(actor) or (expert.person.user_id is not None and expert.person.user_id == actor.pk),
        _("An expert declares their own affiliations, or staff do it for them."),
    )
    if kind not in AffiliationKind.values:
        raise RuleViolation(_("Unknown kind of affiliation: %(k)s") % {"k": kind})
    affiliation = Affiliation.objects.create(expert=expert, organization=organization, kind=kind)
    record(actor, "affiliation.declared", affiliation, after={"organization": organization.pk, "kind": kind})
    return affiliation
