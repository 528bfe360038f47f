"""The eligibility rules of a call, applied to one application (plain data, no Django)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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


def findings(rules: CallRules, c: Candidate) -> list[str]:
    """Every reason the application is ineligible, each a sentence its applicant can act on."""
    out: list[str] = []
    if c.category not in rules.categories:
        out.append(f"the call does not fund the category {c.category}")
    if not c.communities:
        out.append("no partner community is named: the linkage needs a community")
    elif not c.communities <= rules.area:
        out.append("a partner community lies outside the call's area")
    if c.certified_workers < 1:
        out.append("no member of the team holds a social-work certificate")
    if c.requested > rules.max_request:
        out.append(f"the request {c.requested} exceeds the call's largest request {rules.max_request}")
    budget = sum(c.budget_by_head.values(), Decimal(0))
    if budget > 0:
        fee = c.budget_by_head.get("management", Decimal(0)) * 100 / budget
        if fee > rules.management_fee_cap:
            out.append(f"the management fee is {fee:.1f}% of the budget; the cap is {rules.management_fee_cap}%")
        personnel = c.budget_by_head.get("personnel", Decimal(0)) * 100 / budget
        if personnel > rules.personnel_share_cap:
            out.append(f"personnel costs are {personnel:.1f}% of the budget; the cap is {rules.personnel_share_cap}%")
    return out
