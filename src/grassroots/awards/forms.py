"""What the awards page's forms post, read into the plain arguments of `awards.services`.

Plain HTML forms; these readers refuse what cannot be read (a date that is not a date, a choice not
offered) with a `RuleViolation` naming the field, and leave every rule of the mechanism to the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import key

from .models import Award, AwardList

#: The longest objection, response or reason read from a form.
MAX_TEXT = 5000


def text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, ""))[:MAX_TEXT]


def day(post: Mapping[str, Any], name: str, label: str, *, default: date) -> date:
    """A date typed as YYYY-MM-DD (what a date input sends); empty gives `default`."""
    raw = str(post.get(name, "")).strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RuleViolation(_("%(field)s: give a date (YYYY-MM-DD).") % {"field": label}) from None


def award_on(post: Mapping[str, Any], name: str, award_list: AwardList) -> Award | None:
    """The award an objection is about (empty: the list as a whole); it must be on `award_list`."""
    raw = str(post.get(name, "")).strip()
    if not raw:
        return None
    picked = key(raw)
    found = award_list.awards.filter(pk=picked).first() if picked is not None else None
    if found is None:
        raise RuleViolation(_("Choose an award on this list, or none to object to the list as a whole."))
    return found


def uphold(post: Mapping[str, Any]) -> bool:
    """The officer's answer to an objection: uphold it, or dismiss it."""
    decision = str(post.get("decision", ""))
    if decision not in ("uphold", "dismiss"):
        raise RuleViolation(_("Choose to uphold or to dismiss the objection."))
    return decision == "uphold"
