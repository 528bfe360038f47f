"""Recording services delivered and money spent under an active contract."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.applications.models import ServiceKind
from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.audit import record
from grassroots.core.errors import RuleViolation
from grassroots.core.money import money, sum_of
from grassroots.core.permissions import require
from grassroots.orgs.models import Person, Role
from grassroots.orgs.selectors import acts_for, person_of, social_workers_of

from .models import Expenditure, ServiceRecord


def _require_agency_staff(actor: Any, contract: Contract) -> None:
    require(
        acts_for(actor, contract.agency, Role.MANAGER, Role.SOCIAL_WORKER),
        _("Only staff of %(org)s record its services.") % {"org": contract.agency.name},
    )


def _require_active(contract: Contract, day: date) -> None:
    if contract.state != Contract.State.ACTIVE:
        raise RuleViolation(_("The contract %(n)s is not active.") % {"n": contract.number})
    if not contract.starts_on <= day <= contract.ends_on:
        raise RuleViolation(
            _("%(d)s lies outside the contract term %(s)s to %(e)s.")
            % {"d": day, "s": contract.starts_on, "e": contract.ends_on}
        )


def _non_negative(value: Any, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleViolation(_("%(f)s must be a number.") % {"f": label}) from None
    if number < 0 or not number.is_finite():
        raise RuleViolation(_("%(f)s cannot be negative.") % {"f": label})
    return number


@transaction.atomic
def record_service(
    actor: Any,
    contract: Contract,
    *,
    kind: str,
    held_on: date,
    title: str,
    social_workers: Sequence[Person],
    beneficiaries: int = 0,
    service_hours: Any = 0,
    volunteers: int = 0,
    volunteer_hours: Any = 0,
    resident_participants: int = 0,
    location: str = "",
    notes: str = "",
    beneficiary_codes: Sequence[str] = (),
) -> ServiceRecord:
    _require_agency_staff(actor, contract)
    _require_active(contract, held_on)
    if kind not in ServiceKind.values:
        raise RuleViolation(_("Unknown kind of service: %(k)s") % {"k": kind})
    if not title.strip():
        raise RuleViolation(_("A service record needs a title."))
    workers = set(social_workers_of(contract.agency).values_list("pk", flat=True))
    if not social_workers or any(p.pk not in workers for p in social_workers):
        raise RuleViolation(_("Name the agency's social workers who delivered the service."))
    for count, label in (
        (beneficiaries, _("Beneficiaries")),
        (volunteers, _("Volunteers")),
        (resident_participants, _("Resident participants")),
    ):
        if int(count) < 0:
            raise RuleViolation(_("%(f)s cannot be negative.") % {"f": label})
    item = ServiceRecord.objects.create(
        contract=contract,
        kind=kind,
        held_on=held_on,
        title=title.strip(),
        beneficiaries=beneficiaries,
        beneficiary_codes=list(beneficiary_codes),
        service_hours=_non_negative(service_hours, _("Service hours")),
        volunteers=volunteers,
        volunteer_hours=_non_negative(volunteer_hours, _("Volunteer hours")),
        resident_participants=resident_participants,
        location=location,
        notes=notes,
        recorded_by=person_of(actor),
    )
    item.social_workers.set(social_workers)
    record(actor, "service_record.added", item, after={"contract": contract.pk, "kind": kind, "on": held_on})
    return item


def spent_on_line(line: ContractLine) -> Decimal:
    return sum_of(Expenditure.objects.filter(line=line), "amount")


@transaction.atomic
def record_expenditure(
    actor: Any,
    contract: Contract,
    *,
    line: ContractLine,
    spent_on: date,
    amount: Any,
    description: str,
    receipt: str = "",
) -> Expenditure:
    """Book money spent against a budget line; a line is never overspent."""
    require(
        acts_for(actor, contract.agency, Role.MANAGER),
        _("Only a manager of %(org)s books expenditures.") % {"org": contract.agency.name},
    )
    _require_active(contract, spent_on)
    line = ContractLine.objects.select_for_update().get(pk=line.pk)
    if line.contract_id != contract.pk:
        raise RuleViolation(_("The budget line belongs to another contract."))
    value = money(amount)
    if value <= 0:
        raise RuleViolation(_("An expenditure needs a positive amount."))
    if not description.strip():
        raise RuleViolation(_("Say what the money was spent on."))
    left = line.amount - spent_on_line(line)
    if value > left:
        raise RuleViolation(
            _("%(a)s is more than is left on the line “%(l)s” (%(left)s).") % {"a": value, "l": line, "left": left}
        )
    expenditure = Expenditure.objects.create(
        contract=contract,
        line=line,
        spent_on=spent_on,
        amount=value,
        description=description.strip(),
        receipt=receipt,
        recorded_by=person_of(actor),
    )
    record(actor, "expenditure.booked", expenditure, after={"line": line.pk, "amount": value})
    return expenditure
