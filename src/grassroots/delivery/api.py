"""Recording services and expenditures of a contract in the REST API (token authentication); every rule and
permission is `services`' own: the agency's staff record services, its managers book expenditures."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from grassroots.api import lookups
from grassroots.api import selectors as api_selectors
from grassroots.api.auth import actor, token_auth
from grassroots.api.schemas import (
    NO_NUL,
    WRITE_ERRORS,
    BodyId,
    HoursIn,
    Id,
    LongText,
    Measure,
    Money,
    MoneyIn,
    Text40,
    Text60,
    Text200,
)
from grassroots.contracts.models import Contract, ContractLine
from grassroots.orgs.models import Person

from . import services

router = Router(tags=["delivery"], auth=token_auth)

Count = Annotated[int, Field(0, ge=0, le=1_000_000)]

#: A client's key for one write: the same request sent again with it (a retry after a lost answer) writes once
#: and answers the row it wrote; the key is kept per contract.
IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=services.KEY_LENGTH,
        pattern=NO_NUL,
        description="Optional, up to 80 characters (e.g. a UUID) chosen by the client for this one write. Sent "
        "again with the same body, the request writes nothing new and answers the row first written (200, same "
        "body); with a different body it is refused (409 `conflict`). Kept per contract.",
    ),
]


class ServiceRecordIn(Schema):
    kind: Literal["case", "group", "community"]
    held_on: date
    title: Text200 = Field(..., min_length=1)
    social_workers: list[BodyId] = Field(..., min_length=1, max_length=50, description="The agency's social workers.")
    beneficiaries: Count = 0
    beneficiary_codes: list[Text40] = Field([], max_length=1000, description="Anonymised codes, never names or IDs.")
    service_hours: HoursIn = "0"
    volunteers: Count = 0
    volunteer_hours: HoursIn = "0"
    resident_participants: Count = 0
    location: Text200 = ""
    notes: LongText = ""


class ServiceRecordOut(Schema):
    id: int
    contract_id: int
    kind: str
    held_on: date
    title: str
    beneficiaries: int
    service_hours: Measure
    volunteers: int
    volunteer_hours: Measure
    resident_participants: int
    location: str


class ExpenditureIn(Schema):
    line: BodyId = Field(..., description="A budget line of the contract.")
    spent_on: date
    amount: MoneyIn
    description: Text200 = Field(..., min_length=1)
    receipt: Text60 = ""


class ExpenditureOut(Schema):
    id: int
    contract_id: int
    line_id: int
    spent_on: date
    amount: Money
    description: str
    receipt: str


def _contract(request: HttpRequest, pk: int) -> Contract:
    """A contract the caller may see (signed contracts are public; drafts only to those concerned)."""
    return get_object_or_404(api_selectors.contracts_known_to(actor(request)), pk=pk)


@router.post(
    "/contracts/{id}/service-records",
    response={200: ServiceRecordOut, 201: ServiceRecordOut, **WRITE_ERRORS},
    summary="Record a service",
)
def record_service(
    request: HttpRequest, id: Id, data: ServiceRecordIn, idempotency_key: IdempotencyKey = None
) -> Status:
    """A case, group or community service delivered under an active contract, by the agency's staff. With an
    `Idempotency-Key`, the same request sent again answers the record first written (200) instead of a second."""
    contract = _contract(request, id)
    workers = lookups.all_of(Person.objects.all(), data.social_workers, _("social worker"))
    fields: dict[str, Any] = data.model_dump(exclude={"social_workers"})
    item = services.record_service(
        actor(request), contract, social_workers=workers, idempotency_key=idempotency_key or "", **fields
    )
    return Status(200 if getattr(item, "replayed", False) else 201, item)


@router.post(
    "/contracts/{id}/expenditures",
    response={200: ExpenditureOut, 201: ExpenditureOut, **WRITE_ERRORS},
    summary="Record an expenditure",
)
def record_expenditure(
    request: HttpRequest, id: Id, data: ExpenditureIn, idempotency_key: IdempotencyKey = None
) -> Status:
    """Money spent against a budget line of an active contract, booked by the agency's manager; a line is never
    overspent. Send an `Idempotency-Key` so that a retry never books the money twice: the same request sent again
    answers the expenditure first booked (200)."""
    contract = _contract(request, id)
    line = lookups.one_of(ContractLine.objects.filter(contract=contract), data.line, _("budget line"))
    expenditure = services.record_expenditure(
        actor(request),
        contract,
        line=line,
        spent_on=data.spent_on,
        amount=data.amount,
        description=data.description,
        receipt=data.receipt,
        idempotency_key=idempotency_key or "",
    )
    return Status(200 if getattr(expenditure, "replayed", False) else 201, expenditure)
