"""What the review pages' forms post, read into the plain arguments of `review.services`.

The forms are plain HTML. These readers take the POST data as it comes, refuse what cannot be read (a
number that is not a number, a choice that is not offered) with a `RuleViolation` naming the field, and
leave the rules of the mechanism to the services.

Reviewers give each criterion points out of its weight (a criterion of weight 30 takes 0 to 30 points),
as a paper score sheet does; the service keeps each criterion on a 0-100 scale, so the points are
converted exactly and the review's weighted total is the sum of the points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import key
from grassroots.funding.models import Criterion

from .selectors import Given

M = TypeVar("M", bound=Model)

#: The longest reason or comment read from a form.
MAX_TEXT = 5000


def text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, ""))[:MAX_TEXT]


def chosen(post: Mapping[str, Any], name: str, among: QuerySet[M], missing: str) -> M:
    """The object whose id was posted in `name`, if it is among the offered ones; else `missing` is refused."""
    picked = key(post.get(name, ""))
    found = among.filter(pk=picked).first() if picked is not None else None
    if found is None:
        raise RuleViolation(missing)
    return found


def number(post: Mapping[str, Any], name: str, label: str) -> Decimal:
    """A decimal number typed into `name`; refused, naming `label`, when empty or not a number."""
    raw = str(post.get(name, "")).strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise RuleViolation(_("%(field)s: give a number.") % {"field": label}) from None
    if not value.is_finite():
        raise RuleViolation(_("%(field)s: give a number.") % {"field": label})
    return value


@dataclass(frozen=True)
class Sheet:
    """What `services.submit_scores` takes: each criterion on 0-100, a comment on each, and an overall one."""

    scores: dict[int, Decimal]
    comments: dict[int, str]
    comment: str


def sheet_from(post: Mapping[str, Any], criteria: Iterable[Criterion], label: Any) -> Sheet:
    """Read the score sheet: points out of each criterion's weight, converted to the service's 0-100 scale.

    `label(criterion)` names a criterion in the reader's language."""
    scores: dict[int, Decimal] = {}
    comments: dict[int, str] = {}
    for criterion in criteria:
        name = label(criterion)
        given = number(post, f"points-{criterion.pk}", name)
        exponent = given.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise RuleViolation(_("%(field)s: give the points with at most two decimals.") % {"field": name})
        if not Decimal(0) <= given <= criterion.weight:
            raise RuleViolation(
                _("%(field)s: give from 0 to %(max)s points.")
                % {"field": name, "max": f"{criterion.weight.normalize():f}"}
            )
        scores[criterion.pk] = given * 100 / criterion.weight if criterion.weight else Decimal(0)
        remark = text(post, f"comment-{criterion.pk}").strip()
        if remark:
            comments[criterion.pk] = remark
    return Sheet(scores, comments, text(post, "comment").strip())


@dataclass(frozen=True)
class SheetRow:
    """A row of the score sheet as the form shows it: the criterion and what its inputs hold."""

    criterion: Criterion
    points: str
    comment: str


def sheet_rows(criteria: Iterable[Criterion], post: Mapping[str, Any] | None = None) -> list[SheetRow]:
    """The score sheet's rows, with what was typed when the sheet is shown again after a refusal."""
    if post is None:
        return [SheetRow(c, "", "") for c in criteria]
    return [SheetRow(c, text(post, f"points-{c.pk}"), text(post, f"comment-{c.pk}")) for c in criteria]


def given_rows(given: Iterable[Given]) -> list[SheetRow]:
    """A submitted review's scores as sheet rows (points shown without trailing zeros)."""
    return [SheetRow(g.criterion, "" if g.points is None else f"{g.points.normalize():f}", g.comment) for g in given]
