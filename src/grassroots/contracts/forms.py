"""What the contract page's action forms post, read into the plain arguments of `contracts.services`.

Each form has its own field names (`report`, `review_reason`, `realloc_amount`, …), so when a service
refuses, the page is shown again with what was typed in the one form that was sent. Only what cannot even
be read (an amount that is not one, a date that is not a date, a choice that is not offered) is refused
here; every rule of the mechanism is left to the services.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation
from grassroots.core.keys import ids
from grassroots.core.money import money

from .models import ChangeRequest, Contract, ContractLine


def text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, "")).strip()


def amount(post: Mapping[str, Any], name: str, label: str) -> Decimal:
    """An amount of money typed into `name` (¥ and thousands separators allowed)."""
    typed = text(post, name)
    if not typed:
        raise RuleViolation(_("%(field)s: give an amount.") % {"field": label})
    try:
        return money(typed)
    except ValidationError as problem:
        raise RuleViolation(
            _("%(field)s: %(problem)s") % {"field": label, "problem": " ".join(problem.messages)}
        ) from None


def day(post: Mapping[str, Any], name: str, label: str) -> date:
    try:
        return date.fromisoformat(text(post, name))
    except ValueError:
        raise RuleViolation(_("%(field)s: give a date (YYYY-MM-DD).") % {"field": label}) from None


def new_payment_key() -> str:
    """The idempotency key a payment form carries: one per form shown, so sending the same form twice
    (a double click, a reload that posts again) pays once."""
    return f"web-{secrets.token_urlsafe(18)}"


def accepts(post: Mapping[str, Any]) -> bool:
    """Whether the reviewing officer pressed accept (True) or reject (False)."""
    action = text(post, "action")
    if action not in ("accept", "reject"):
        raise RuleViolation(_("Choose to accept or reject the report."))
    return action == "accept"


def approves(post: Mapping[str, Any]) -> bool:
    action = text(post, "action")
    if action not in ("approve", "reject"):
        raise RuleViolation(_("Choose to approve or reject the change."))
    return action == "approve"


def _line(contract: Contract, post: Mapping[str, Any], name: str) -> ContractLine:
    line = ContractLine.objects.filter(contract=contract, pk__in=ids([post.get(name, "")])).first()
    if line is None:
        raise RuleViolation(_("Choose two budget lines of this contract."))
    return line


def change_from(post: Mapping[str, Any], contract: Contract) -> tuple[str, dict[str, Any]]:
    """(kind, keyword arguments of the matching `request_…` service) of a change request form."""
    kind = text(post, "kind")
    if kind == ChangeRequest.Kind.REALLOCATION:
        return kind, {
            "source": _line(contract, post, "source"),
            "target": _line(contract, post, "target"),
            "amount": amount(post, "realloc_amount", _("Amount to move")),
            "reason": text(post, "realloc_reason"),
        }
    if kind == ChangeRequest.Kind.EXTENSION:
        return kind, {
            "new_ends_on": day(post, "new_ends_on", _("New end date")),
            "reason": text(post, "extension_reason"),
        }
    if kind == ChangeRequest.Kind.TERMINATION:
        return kind, {
            "settlement": amount(post, "settlement", _("Settlement")),
            "reason": text(post, "termination_reason"),
        }
    raise RuleViolation(_("Choose the kind of change."))
