"""The eligibility rules of a call applied to one application: each failure is a sentence the applicant can act on."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from grassroots.review.eligibility import CallRules, Candidate, findings

D = Decimal

RULES = CallRules(
    categories=frozenset({"elderly", "youth"}),
    max_request=D("150000.00"),
    management_fee_cap=D("10"),
    personnel_share_cap=D("60"),
    area=frozenset({1, 2}),
)
GOOD = Candidate(
    category="elderly",
    requested=D("100000.00"),
    communities=frozenset({1}),
    certified_workers=1,
    budget_by_head={"personnel": D("60000.00"), "activities": D("30000.00"), "management": D("10000.00")},
)


def test_a_sound_application_has_no_findings() -> None:
    assert findings(RULES, GOOD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"category": "disability"}, "the call does not fund the category disability"),
        ({"communities": frozenset()}, "no partner community is named: the linkage needs a community"),
        ({"communities": frozenset({1, 3})}, "a partner community lies outside the call's area"),
        ({"certified_workers": 0}, "no member of the team holds a social-work certificate"),
        ({"requested": D("150000.01")}, "the request 150000.01 exceeds the call's largest request 150000.00"),
        (
            {"budget_by_head": {"personnel": D("60000"), "activities": D("25000"), "management": D("15000")}},
            "the management fee is 15.0% of the budget; the cap is 10%",
        ),
        (
            {"budget_by_head": {"personnel": D("70000"), "activities": D("30000")}},
            "personnel costs are 70.0% of the budget; the cap is 60%",
        ),
    ],
)
def test_each_rule_gives_its_own_finding(change: dict[str, object], expected: str) -> None:
    assert findings(RULES, replace(GOOD, **change)) == [expected]  # type: ignore[arg-type]


def test_the_caps_are_inclusive() -> None:
    at_caps = replace(GOOD, requested=RULES.max_request)
    assert findings(RULES, at_caps) == []  # 60% personnel and 10% management exactly


def test_every_failure_is_reported_at_once() -> None:
    bad = replace(GOOD, category="disability", certified_workers=0, communities=frozenset())
    assert len(findings(RULES, bad)) == 3


def test_an_empty_budget_has_no_share_findings() -> None:
    assert findings(RULES, replace(GOOD, budget_by_head={})) == []
