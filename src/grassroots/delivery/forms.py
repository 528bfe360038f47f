"""What the service-record and expenditure forms post, read into the plain arguments of `delivery.services`.

Only what cannot even be read (a count that is not a whole number, hours or an amount that are not
numbers, a date that is not a date) is refused here; every rule of delivery is left to the services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grassroots.applications.models import ServiceKind
from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.errors import RuleViolation
from grassroots.core.keys import ids
from grassroots.core.money import money
from grassroots.orgs.models import Person

from .models import Attachment

#: The most anonymised beneficiary codes one record takes.
MAX_CODES = 500
#: The largest count a record takes (people, volunteers).
LARGEST_COUNT = 1_000_000
#: The kinds of evidence a service record takes (receipts belong to expenditures).
RECORD_EVIDENCE = [(k, label) for k, label in Attachment.Kind.choices if k != Attachment.Kind.RECEIPT]


def _text(post: Mapping[str, Any], name: str) -> str:
    return str(post.get(name, "")).strip()


def _whole(post: Mapping[str, Any], name: str, label: str) -> int:
    typed = _text(post, name)
    if not typed:
        return 0
    try:
        number = int(typed)
    except ValueError:
        raise RuleViolation(_("%(field)s: give a whole number.") % {"field": label}) from None
    if abs(number) > LARGEST_COUNT:
        raise RuleViolation(_("%(field)s: at most %(n)d.") % {"field": label, "n": LARGEST_COUNT})
    return number


def _number(post: Mapping[str, Any], name: str, label: str) -> Decimal:
    typed = _text(post, name)
    if not typed:
        return Decimal(0)
    try:
        number = Decimal(typed)
    except InvalidOperation:
        raise RuleViolation(_("%(field)s: give a number.") % {"field": label}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e6") or number != number.quantize(Decimal("0.01")):
        raise RuleViolation(_("%(field)s: give a number with at most two decimals.") % {"field": label})
    return number


def _day(post: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_text(post, name))
    except ValueError:
        raise RuleViolation(_("%(field)s: give a date (YYYY-MM-DD).") % {"field": _("Date")}) from None


def codes(typed: str) -> list[str]:
    """Codes typed one a line (or separated by commas or spaces), each once, in the order typed."""
    seen: dict[str, None] = {}
    for code in re.split(r"[\s,，;；]+", typed):
        if code:
            seen.setdefault(code, None)
    return list(seen)[: MAX_CODES + 1]


def default_day(contract: Contract, today: date) -> date:
    """Today, or the nearest day of the contract's term."""
    return min(max(today, contract.starts_on), contract.ends_on)


@dataclass(frozen=True)
class WorkerRow:
    person: Person
    checked: bool
    in_team: bool


def worker_rows(workers: list[Person], team: set[int], checked: set[int]) -> list[WorkerRow]:
    """The agency's social workers, the application's team first, with those ticked."""
    rows = [WorkerRow(p, p.pk in checked, p.pk in team) for p in workers]
    return sorted(rows, key=lambda r: not r.in_team)


def record_from(post: Any) -> dict[str, Any]:
    """The keyword arguments of `services.record_service` but the contract."""
    chosen = ids(post.getlist("social_workers"))
    title = _text(post, "title")
    if len(title) > 200:
        raise RuleViolation(_("%(field)s: at most %(n)d characters.") % {"field": _("Title"), "n": 200})
    return {
        "kind": _text(post, "kind"),
        "held_on": _day(post, "held_on"),
        "title": title,
        "social_workers": list(Person.objects.filter(pk__in=chosen).order_by("pk")),
        "beneficiaries": _whole(post, "beneficiaries", _("Beneficiaries")),
        "beneficiary_codes": codes(_text(post, "beneficiary_codes")),
        "service_hours": _number(post, "service_hours", _("Service hours")),
        "volunteers": _whole(post, "volunteers", _("Volunteers")),
        "volunteer_hours": _number(post, "volunteer_hours", _("Volunteer hours")),
        "resident_participants": _whole(post, "resident_participants", _("Resident participants")),
        "location": _text(post, "location")[:200],
        "notes": _text(post, "notes"),
    }


def evidence_kind(post: Mapping[str, Any]) -> str:
    kind = _text(post, "evidence_kind") or Attachment.Kind.PHOTO
    if kind not in dict(RECORD_EVIDENCE):
        raise RuleViolation(_("Choose what the file shows: a photo, a sign-in sheet or another document."))
    return kind


def expenditure_from(post: Mapping[str, Any], contract: Contract) -> dict[str, Any]:
    """The keyword arguments of `services.record_expenditure` but the contract."""
    line = ContractLine.objects.filter(contract=contract, pk__in=ids([post.get("line", "")])).first()
    if line is None:
        raise RuleViolation(_("Choose the budget line the money was spent on."))
    typed = _text(post, "amount")
    if not typed:
        raise RuleViolation(_("%(field)s: give an amount.") % {"field": _("Amount")})
    try:
        amount = money(typed)
    except ValidationError as problem:
        problem_text = " ".join(problem.messages)
        raise RuleViolation(_("%(field)s: %(problem)s") % {"field": _("Amount"), "problem": problem_text}) from None
    receipt = _text(post, "receipt")
    if len(receipt) > 60:
        raise RuleViolation(_("%(field)s: at most %(n)d characters.") % {"field": _("Receipt number"), "n": 60})
    description = _text(post, "description")
    if len(description) > 200:
        raise RuleViolation(_("%(field)s: at most %(n)d characters.") % {"field": _("Description"), "n": 200})
    spent_on = _day(post, "spent_on")
    return {"line": line, "spent_on": spent_on, "amount": amount, "description": description, "receipt": receipt}


SERVICE_KINDS = ServiceKind.choices
