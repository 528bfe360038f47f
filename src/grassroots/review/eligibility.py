"""The eligibility rules of a call, applied to one application (plain data, no Django)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from grassroots.core.messages import Message, gettext_noop

NOT_IN_CATEGORIES = gettext_noop("the call does not fund the category %(category)s")
NO_COMMUNITY = gettext_noop("no partner community is named: the linkage needs a community")
OUTSIDE_AREA = gettext_noop("a partner community lies outside the call's area")
NO_CERTIFICATE = gettext_noop("no member of the team holds a social-work certificate")
OVER_MAX_REQUEST = gettext_noop("the request %(requested)s exceeds the call's largest request %(max)s")
FEE_OVER_CAP = gettext_noop("the management fee is %(share)s%% of the budget; the cap is %(cap)s%%")
PERSONNEL_OVER_CAP = gettext_noop("personnel costs are %(share)s%% of the budget; the cap is %(cap)s%%")


@dataclass(frozen=True)
class CallRules:
    categories: frozenset[str]
    max_request: Decimal
    management_fee_cap: Decimal  # percent of the budget total
    personnel_share_cap: Decimal  # percent of the budget total
    area: frozenset[int]  # communities the call covers


@dataclass(frozen=True)
class Candidate:
    category: str
    requested: Decimal
    communities: frozenset[int]
    certified_workers: int
    budget_by_head: dict[str, Decimal]


def findings(rules: CallRules, c: Candidate) -> list[Message]:
    """Every reason the application is ineligible, each a sentence its applicant can act on."""
    out: list[Message] = []
    if c.category not in rules.categories:
        out.append(Message(NOT_IN_CATEGORIES, category=c.category))
    if not c.communities:
        out.append(Message(NO_COMMUNITY))
    elif not c.communities <= rules.area:
        out.append(Message(OUTSIDE_AREA))
    if c.certified_workers < 1:
        out.append(Message(NO_CERTIFICATE))
    if c.requested > rules.max_request:
        out.append(Message(OVER_MAX_REQUEST, requested=c.requested, max=rules.max_request))
    budget = sum(c.budget_by_head.values(), Decimal(0))
    if budget > 0:
        fee = c.budget_by_head.get("management", Decimal(0)) * 100 / budget
        if fee > rules.management_fee_cap:
            out.append(Message(FEE_OVER_CAP, share=f"{fee:.1f}", cap=_plain(rules.management_fee_cap)))
        personnel = c.budget_by_head.get("personnel", Decimal(0)) * 100 / budget
        if personnel > rules.personnel_share_cap:
            out.append(Message(PERSONNEL_OVER_CAP, share=f"{personnel:.1f}", cap=_plain(rules.personnel_share_cap)))
    return out


def _plain(value: Decimal) -> str:
    """10.00 → 10, 7.50 → 7.5: caps as people write them."""
    return format(value.normalize(), "f")
