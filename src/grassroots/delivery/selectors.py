"""Reads of delivery: service records and spending against a contract's budget lines."""

from __future__ import annotations

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.money import ZERO
from grassroots.orgs.models import Person

from .models import ServiceRecord


def recent_records_of(person: Person, limit: int = 10) -> list[ServiceRecord]:
    """The latest service records a social worker delivered or recorded."""
    ids = ServiceRecord.objects.filter(Q(social_workers=person) | Q(recorded_by=person)).values("pk")
    records = ServiceRecord.objects.filter(pk__in=ids).select_related("contract").order_by("-held_on", "-pk")
    return list(records[:limit])


def records_of(contract: Contract, limit: int = 10) -> list[ServiceRecord]:
    return list(ServiceRecord.objects.filter(contract=contract).order_by("-held_on", "-pk")[:limit])


def lines_with_spending(contract: Contract) -> QuerySet[ContractLine]:
    """The contract's budget lines, each annotated with `spent`."""
    return (
        ContractLine.objects.filter(contract=contract)
        .annotate(
            spent=Coalesce(
                Sum("expenditures__amount"),
                Value(ZERO),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )
        .order_by("pk")
    )
