"""Who is logged in, and the main navigation their roles call for.

The account (person, current memberships, expert-pool entry) is read once per request and kept on the
request's user object, so the header, the navigation and the home page share it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Expert, Membership, OrgKind, Person, Role
from grassroots.orgs.selectors import expert_of, memberships_of, person_of
from grassroots.simulation import selectors as simulation_selectors

_CACHE = "_grassroots_account"


@dataclass(frozen=True)
class Account:
    person: Person | None
    memberships: list[Membership]
    expert: Expert | None


def account_of(user: Any) -> Account:
    """The user's person, current memberships (in the order they were given) and expert entry, read once."""
    cached = getattr(user, _CACHE, None)
    if isinstance(cached, Account):
        return cached
    if user is None or not getattr(user, "is_authenticated", False):
        return Account(None, [], None)
    account = Account(
        person_of(user), list(memberships_of(user).select_related("person").order_by("pk")), expert_of(user)
    )
    with contextlib.suppress(AttributeError):  # an object that takes no attributes: read again next time
        setattr(user, _CACHE, account)
    return account


@dataclass(frozen=True)
class Link:
    name: str  # the URL name, to mark the current page
    label: str | Promise
    url: str


# The lists in the order the navigation shows them: (key, label, URL names to try: the first that exists).
LISTS: list[tuple[str, str | Promise, tuple[str, ...]]] = [
    ("programs", _("Programs"), ("program-list",)),
    ("calls", _("Calls"), ("call-list",)),
    ("applications", _("Applications"), ("application-list",)),
    ("reviews", _("Reviews"), ("review-list", "my-reviews")),
    ("contracts", _("Contracts"), ("contract-list",)),
    ("payments", _("Payments"), ("payment-list",)),
    ("records", _("Service records"), ("record-list",)),
    ("expenditures", _("Expenditures"), ("expenditure-list",)),
    ("evaluations", _("Evaluations"), ("evaluation-list",)),
    ("governance", _("Governance"), ("governance-index",)),
]

# Which lists each role works with.
DEPARTMENT = {"programs", "calls", "contracts", "payments", "evaluations", "governance"}
STREET = {"calls", "applications", "contracts", "evaluations", "governance"}
COMMUNITY = {"applications", "contracts"}
AGENCY = {"calls", "applications", "contracts", "records", "expenditures"}
SOCIAL_WORKER = {"records"}
EVALUATOR = {"evaluations"}
REVIEWER = {"reviews"}
STAFF = {key for key, _label, _names in LISTS}


def _url(names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of the URL names that the site has (pages other stages add may not be there yet)."""
    for name in names:
        try:
            return name, reverse(name)
        except NoReverseMatch:
            continue
    return None


def lists_for(account: Account, staff: bool = False) -> set[str]:
    wanted: set[str] = set(STAFF) if staff else set()
    for m in account.memberships:
        kind = m.organization.kind
        if m.role == Role.OFFICER and kind == OrgKind.DEPARTMENT:
            wanted |= DEPARTMENT
        elif m.role == Role.OFFICER and kind == OrgKind.STREET:
            wanted |= STREET
        elif m.role == Role.COMMUNITY_WORKER:
            wanted |= COMMUNITY
        elif m.role in (Role.MANAGER, Role.BOARD_MEMBER) and kind == OrgKind.AGENCY:
            wanted |= AGENCY
        elif m.role == Role.SOCIAL_WORKER:
            wanted |= SOCIAL_WORKER
        elif kind == OrgKind.EVALUATOR:
            wanted |= EVALUATOR
    if account.expert is not None:
        wanted |= REVIEWER
    return wanted


def _name(org: Any) -> str:
    english = str(getattr(org, "name_en", "") or "") if (get_language() or "").startswith("en") else ""
    return english or str(org.name)


def links_for(user: Any) -> list[Link]:
    """The main navigation: "My work", the lists the user's roles work with, and their communities' needs."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    account = account_of(user)
    links = [Link("home", _("My work"), reverse("home"))]
    wanted = lists_for(account, is_staff(user))
    if not account.memberships and user.has_perm("governance.view_every_dashboard"):
        wanted.add("governance")  # a researcher, who holds no office (see governance.models)
    for key, label, names in LISTS:
        found = _url(names) if key in wanted else None
        if found is not None:
            links.append(Link(found[0], label, found[1]))
    if simulation_selectors.can_simulate(user, account.memberships):
        links.append(Link("simulation-home", _("Policy simulator"), reverse("simulation-home")))
    communities = []
    for m in account.memberships:
        if m.role in (Role.RESIDENT, Role.COMMUNITY_WORKER) and m.organization.kind == OrgKind.COMMUNITY:
            communities.append(m.organization)
    person = account.person
    home_id = person.home_community_id if person is not None else None
    if person is not None and home_id is not None and all(c.pk != home_id for c in communities):
        home = person.home_community  # read only when it is not among the memberships
        if home is not None:
            communities.append(home)
    for community in communities:
        label = _("Needs") if len(communities) == 1 else _name(community)
        links.append(Link("community-needs", label, reverse("community-needs", args=[community.pk])))
    return links
