"""What the funding pages' forms post, read into the plain arguments of `funding.services`.

The forms are plain HTML. These readers take the POST data as it comes, turn what cannot be read (an
amount that is not an amount, a date that is not a date) into a `RuleViolation` naming the field, and
leave every rule of the mechanism (budgets, shares adding up to 100, states) to the services. The
`*_typed` functions give what a form shows: the defaults for a new form, or what was posted when the
service refused it, so nothing typed is lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import ids
from grassroots.core.money import money
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization

from .models import Aggregation, AwardRule, Criterion, ServiceCategory, default_grade_factors
from .services import GRADES

#: The most ids or criteria one form is read for.
MAX_CRITERIA = 20
#: Rows the criteria table offers beyond those filled in.
SPARE_CRITERIA = 2

#: The criteria a new call starts from (the department's usual ones; every row can be changed).
DEFAULT_CRITERIA: list[tuple[str, str, str, str]] = [
    ("需求契合度", "Fit with consulted needs", "25", Criterion.Source.REVIEWERS),
    ("服务方案设计", "Service design", "25", Criterion.Source.REVIEWERS),
    ("团队专业能力", "Team competence", "20", Criterion.Source.REVIEWERS),
    ("预算合理性", "Budget soundness", "15", Criterion.Source.REVIEWERS),
    ("三社联动与可持续性", "Linkage and sustainability", "15", Criterion.Source.REVIEWERS),
]


#: How the form names each final grade.
GRADE_LABELS = {
    "excellent": gettext_lazy("Excellent"),
    "good": gettext_lazy("Good"),
    "pass": gettext_lazy("Pass"),
    "fail": gettext_lazy("Fail"),
}


# --- reading single fields ------------------------------------------------------------------------------------


def text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, "")).strip()


def whole(post: Mapping[str, Any], name: str, label: str, *, default: int | None = None) -> int:
    """A whole number typed into `name`; empty gives `default` (or is refused when there is none)."""
    value = text(post, name)
    if not value and default is not None:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuleViolation(_("%(field)s: give a whole number.") % {"field": label}) from None


def optional_whole(post: Mapping[str, Any], name: str, label: str) -> int | None:
    return whole(post, name, label) if text(post, name) else None


def number(post: Mapping[str, Any], name: str, label: str, *, default: str | None = None) -> Decimal:
    """A decimal number (a score, a share, a percentage) typed into `name`."""
    value = text(post, name) or (default or "")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise RuleViolation(_("%(field)s: give a number.") % {"field": label}) from None
    if not result.is_finite():
        raise RuleViolation(_("%(field)s: give a number.") % {"field": label})
    return result


def amount(post: Mapping[str, Any], name: str, label: str, *, default: str | None = None) -> Decimal:
    """An amount of money in yuan (commas and ¥ allowed), with at most two decimal places."""
    value = text(post, name) or (default or "")
    if not value:
        raise RuleViolation(_("%(field)s: give an amount in yuan.") % {"field": label})
    try:
        return money(value)
    except ValidationError as problem:
        reason = " ".join(problem.messages)
        raise RuleViolation(_("%(field)s: %(reason)s") % {"field": label, "reason": reason}) from None


def day(post: Mapping[str, Any], name: str, label: str) -> date:
    try:
        return date.fromisoformat(text(post, name))
    except ValueError:
        raise RuleViolation(_("%(field)s: give a date (YYYY-MM-DD).") % {"field": label}) from None


def split_shares(value: str) -> list[str]:
    """The parts of shares typed as "30/40/30" (or separated by commas, spaces or 、)."""
    return [p for p in re.split(r"[/,，、;；\s]+", value.strip()) if p][:MAX_CRITERIA]


def shares(value: str, label: str) -> list[str]:
    """Shares typed as "30/40/30", each a number (a trailing % is allowed)."""
    parts = split_shares(value)
    if not parts:
        raise RuleViolation(_("%(field)s: give the shares, e.g. 30/40/30.") % {"field": label})
    out = []
    for part in parts:
        try:
            share = Decimal(part.rstrip("%"))
        except InvalidOperation:
            raise RuleViolation(_("%(field)s: “%(v)s” is not a number.") % {"field": label, "v": part}) from None
        out.append(str(share))
    return out


def total_of(values: Iterable[str]) -> Decimal | None:
    """The sum of the numbers typed (blank ones count as nothing); None when one is not a number."""
    result = Decimal(0)
    for value in values:
        value = str(value).strip().rstrip("%")
        if not value:
            continue
        try:
            part = Decimal(value)
        except InvalidOperation:
            return None
        if not part.is_finite():
            return None
        result += part
    return result


# --- a program ------------------------------------------------------------------------------------------------


def program_typed(post: Any = None) -> dict[str, Any]:
    """What the new-program form shows: the defaults, or what was posted."""
    if post is None:
        factors = default_grade_factors()
        return {
            "department": "",
            "title": "",
            "title_en": "",
            "fiscal_year": str(timezone.localdate().year),
            "budget": "",
            "categories": set(),
            "method": "open",
            "eligibility": "",
            "tranches": "30/40/30",
            "grades": [(g, GRADE_LABELS[g], factors[g]) for g in GRADES],
            "management_fee_cap": "10",
            "personnel_share_cap": "60",
            "max_term_months": "12",
        }
    return {
        "department": text(post, "department"),
        "title": str(post.get("title", "")),
        "title_en": str(post.get("title_en", "")),
        "fiscal_year": text(post, "fiscal_year"),
        "budget": text(post, "budget"),
        "categories": set(ids(post.getlist("category"))),
        "method": text(post, "method"),
        "eligibility": str(post.get("eligibility", "")),
        "tranches": text(post, "tranches"),
        "grades": [(g, GRADE_LABELS[g], text(post, f"grade-{g}")) for g in GRADES],
        "management_fee_cap": text(post, "management_fee_cap"),
        "personnel_share_cap": text(post, "personnel_share_cap"),
        "max_term_months": text(post, "max_term_months"),
    }


def program_from(post: Any, departments: Iterable[Organization]) -> dict[str, Any]:
    """The keyword arguments of `services.create_program`; the department must be one of `departments`."""
    choices = {d.pk: d for d in departments}
    picked = ids([post.get("department", "")])
    department = choices.get(picked[0]) if picked else (next(iter(choices.values())) if len(choices) == 1 else None)
    if department is None:
        raise RuleViolation(_("Choose the department that issues the program."))
    categories = list(ServiceCategory.objects.filter(pk__in=ids(post.getlist("category"))).order_by("code"))
    return {
        "department": department,
        "title": text(post, "title"),
        "title_en": text(post, "title_en"),
        "fiscal_year": whole(post, "fiscal_year", _("Fiscal year")),
        "budget": amount(post, "budget", _("Budget")),
        "categories": categories,
        "method": text(post, "method") or "open",
        "eligibility": text(post, "eligibility"),
        "tranche_percents": shares(text(post, "tranches"), _("Tranches")),
        "grade_factors": {
            g: number(post, f"grade-{g}", _("Share of the last tranche for “%(g)s”") % {"g": GRADE_LABELS[g]})
            for g in GRADES
        },
        "management_fee_cap": number(post, "management_fee_cap", _("Management fee cap (%)"), default="10"),
        "personnel_share_cap": number(post, "personnel_share_cap", _("Personnel share cap (%)"), default="60"),
        "max_term_months": whole(post, "max_term_months", _("Longest contract term (months)"), default=12),
    }


# --- an envelope ----------------------------------------------------------------------------------------------


def envelope_from(post: Any, streets: Iterable[Organization]) -> dict[str, Any]:
    """The street and amount of `services.allocate_envelope`; the street must be one of `streets`."""
    choices = {s.pk: s for s in streets}
    picked = ids([post.get("street", "")])
    street = choices.get(picked[0]) if picked else None
    if street is None:
        raise RuleViolation(_("Choose a street office of the department that has no envelope of this program yet."))
    return {"street": street, "amount": amount(post, "amount", _("Amount of the envelope"))}


# --- a call ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    """A row of the criteria table as the form shows it."""

    index: int
    name: str
    name_en: str
    points: str
    source: str


@dataclass(frozen=True)
class CategoryRow:
    category: ServiceCategory
    checked: bool
    cap: str


def criteria_typed(post: Any = None) -> list[CriterionRow]:
    """The criteria rows: the defaults for a new call, else those posted; then a few empty ones."""
    if post is None:
        filled = [CriterionRow(i, n, e, p, s) for i, (n, e, p, s) in enumerate(DEFAULT_CRITERIA)]
    else:
        filled = []
        for i in range(_posted_rows(post)):
            name, name_en, points = (text(post, f"c-{i}-{key}") for key in ("name", "name_en", "points"))
            if name or name_en or points:
                filled.append(CriterionRow(len(filled), name, name_en, points, text(post, f"c-{i}-source")))
    empty = range(len(filled), len(filled) + SPARE_CRITERIA)
    spare = [CriterionRow(i, "", "", "", Criterion.Source.REVIEWERS) for i in empty]
    return filled + spare[: max(0, MAX_CRITERIA - len(filled))]


def _posted_rows(post: Any) -> int:
    try:
        return max(0, min(MAX_CRITERIA, int(text(post, "criteria_rows") or 0)))
    except ValueError:
        return 0


def criteria_from(post: Any) -> list[tuple[str, str, Decimal, str]]:
    """(name, English name, points, source) of each filled row, as `services.create_call` takes them."""
    rows: list[tuple[str, str, Decimal, str]] = []
    for i in range(_posted_rows(post)):
        name, name_en, points = (text(post, f"c-{i}-{key}") for key in ("name", "name_en", "points"))
        if not (name or name_en or points):
            continue
        position = len(rows) + 1
        if not name:
            raise RuleViolation(_("Criterion %(n)s: give its name.") % {"n": position})
        label = _("Points of the criterion “%(c)s”") % {"c": name}
        source = text(post, f"c-{i}-source") or Criterion.Source.REVIEWERS
        rows.append((name, name_en, number(post, f"c-{i}-points", label), source))
    if not rows:
        raise RuleViolation(_("Give the review criteria and their points."))
    return rows


def criteria_points(post: Any) -> list[str]:
    return [text(post, f"c-{i}-points") for i in range(_posted_rows(post))]


def categories_typed(allowed: Iterable[ServiceCategory], post: Any = None) -> list[CategoryRow]:
    """The program's categories, ticked (all of them for a new call) and each with its optional cap."""
    if post is None:
        return [CategoryRow(c, True, "") for c in allowed]
    ticked = set(ids(post.getlist("category")))
    return [CategoryRow(c, c.pk in ticked, text(post, f"cap-{c.pk}")) for c in allowed]


def call_typed(post: Any = None, *, funds: Any = "") -> dict[str, Any]:
    """The call form's single fields: the defaults (`funds`: what is left to call), or what was posted."""
    if post is None:
        today = timezone.localdate()
        return {
            "title": "",
            "title_en": "",
            "description": "",
            "funds": str(funds),
            "matching_funds": "0",
            "max_request": "",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=30)).isoformat(),
            "min_score": "60",
            "reviewers_per_application": "3",
            "aggregation": Aggregation.MEAN,
            "disagreement_threshold": "20",
            "conflict_years": "3",
            "performance_default": "70",
            "award_rule": AwardRule.RANK_ORDER,
            "max_awards_per_agency": "",
            "publicity_days": "5",
            "needs": set(),
        }
    fields = [
        "funds",
        "matching_funds",
        "max_request",
        "opens_on",
        "closes_on",
        "min_score",
        "reviewers_per_application",
        "aggregation",
        "disagreement_threshold",
        "conflict_years",
        "performance_default",
        "award_rule",
        "max_awards_per_agency",
        "publicity_days",
    ]
    typed: dict[str, Any] = {name: text(post, name) for name in fields}
    typed.update(
        title=str(post.get("title", "")),
        title_en=str(post.get("title_en", "")),
        description=str(post.get("description", "")),
        needs=set(ids(post.getlist("need"))),
    )
    return typed


def call_from(
    post: Any, *, allowed: Iterable[ServiceCategory], needs: Iterable[Need], matching: bool = True
) -> dict[str, Any]:
    """The keyword arguments of `services.create_call` but the program and envelope.

    `allowed` are the program's categories, `needs` the prioritised needs the issuer may bundle;
    `matching` whether the issuer (a street) may add matching funds.
    """
    ticked = set(ids(post.getlist("category")))
    categories = [c for c in allowed if c.pk in ticked]
    caps = {}
    for category in categories:
        if text(post, f"cap-{category.pk}"):
            label = _("Cap for %(c)s") % {"c": category.name}
            caps[category.code] = amount(post, f"cap-{category.pk}", label)
    offered = {n.pk: n for n in needs}
    chosen = ids(post.getlist("need"))
    if any(pk not in offered for pk in chosen):
        raise RuleViolation(_("A call bundles only the prioritised needs of the communities it covers."))
    max_request = text(post, "max_request")
    return {
        "title": text(post, "title"),
        "title_en": text(post, "title_en"),
        "description": text(post, "description"),
        "funds": amount(post, "funds", _("Funds from the program")),
        "matching_funds": amount(post, "matching_funds", _("Matching funds"), default="0") if matching else "0",
        "max_request": amount(post, "max_request", _("Largest request")) if max_request else None,
        "opens_on": day(post, "opens_on", _("Opens on")),
        "closes_on": day(post, "closes_on", _("Closes on")),
        "categories": categories,
        "category_caps": caps,
        "min_score": number(post, "min_score", _("Minimum score"), default="60"),
        "reviewers_per_application": whole(post, "reviewers_per_application", _("Reviewers"), default=3),
        "aggregation": text(post, "aggregation") or Aggregation.MEAN,
        "disagreement_threshold": number(post, "disagreement_threshold", _("Disagreement threshold"), default="20"),
        "conflict_years": whole(post, "conflict_years", _("Conflict look-back (years)"), default=3),
        "performance_default": number(post, "performance_default", _("Score of a newcomer"), default="70"),
        "award_rule": text(post, "award_rule") or AwardRule.RANK_ORDER,
        "max_awards_per_agency": optional_whole(post, "max_awards_per_agency", _("Most awards per agency")),
        "publicity_days": whole(post, "publicity_days", _("Publicity period (working days)"), default=5),
        "criteria": criteria_from(post),
        "needs": [offered[pk] for pk in chosen],
    }
