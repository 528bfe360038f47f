"""Signed contracts in the REST API, with milestones, tranches and payments: public reads, thin over
`disclosure.selectors` (the writes on a contract's delivery are in `delivery.api`)."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import date
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.filter_schema import FilterLookup
from ninja.pagination import paginate

from grassroots.api.filters import Key, Year, words
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS, CategoryRef, Id, Measure, Money, OrganizationRef, Score, Text40, Text100
from grassroots.disclosure import selectors

from .models import Contract

router = Router(tags=["contracts"])


class ContractOut(Schema):
    id: int
    number: str
    title: str
    state: str
    fiscal_year: int
    call_id: int
    award_id: int
    purchaser: OrganizationRef
    agency: OrganizationRef
    communities: list[OrganizationRef]
    category: CategoryRef
    amount: Money
    matching_funds: Money
    paid: Money
    starts_on: date
    ends_on: date
    signed_on: date | None

    @staticmethod
    def resolve_fiscal_year(obj: Contract) -> int:
        return obj.award.application.call.program.fiscal_year

    @staticmethod
    def resolve_call_id(obj: Contract) -> int:
        return obj.award.application.call_id

    @staticmethod
    def resolve_communities(obj: Contract) -> Any:
        return obj.communities.all()


class MilestoneOut(Schema):
    kind: str
    due_on: date
    state: str
    accepted_on: date | None


class PaymentOut(Schema):
    amount: Money
    paid_on: date


class TrancheOut(Schema):
    position: int
    milestone: str
    percent: Measure
    planned: Money
    payable: Money
    state: str
    payment: PaymentOut | None


class ContractLineOut(Schema):
    head: str
    description: str
    amount: Money
    spent: Money


class DeliveryOut(Schema):
    kind: str
    sessions: int
    beneficiaries: int
    service_hours: Measure
    volunteer_hours: Measure
    resident_participants: int


class GradeOut(Schema):
    id: int
    kind: str
    evaluator: OrganizationRef
    submitted_on: date | None
    score: Score | None
    grade: str


class ContractDetailOut(ContractOut):
    milestones: list[MilestoneOut]
    tranches: list[TrancheOut]
    budget_lines: list[ContractLineOut]
    spent: Money
    delivery: list[DeliveryOut] = Field(
        ..., description="Totals per kind of service; records one by one are not public."
    )
    evaluations: list[GradeOut]

    @staticmethod
    def resolve_communities(obj: Any) -> Any:
        return obj.parts.communities

    @staticmethod
    def resolve_milestones(obj: Any) -> Any:
        return obj.parts.milestones

    @staticmethod
    def resolve_tranches(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "position": t.tranche.position,
                "milestone": t.milestone.kind,
                "percent": t.tranche.percent,
                "planned": t.tranche.planned,
                "payable": t.tranche.payable,
                "state": t.tranche.state,
                "payment": t.payment,
            }
            for t in obj.parts.tranches
        ]

    @staticmethod
    def resolve_budget_lines(obj: Any) -> list[dict[str, Any]]:
        return [
            {"head": u.line.head, "description": u.line.description, "amount": u.line.amount, "spent": u.spent}
            for u in obj.parts.lines
        ]

    @staticmethod
    def resolve_spent(obj: Any) -> Any:
        return obj.parts.spent

    @staticmethod
    def resolve_delivery(obj: Any) -> Any:
        return obj.parts.delivery

    @staticmethod
    def resolve_evaluations(obj: Any) -> Any:
        return obj.parts.evaluations


class ContractFilter(FilterSchema):
    year: Annotated[Year, FilterLookup("award__application__call__program__fiscal_year")] = None
    state: Annotated[Literal["active", "completed", "terminated"] | None, FilterLookup("state")] = None  # SIGNED
    agency: Annotated[Key, FilterLookup("agency_id")] = None
    purchaser: Annotated[Key, FilterLookup("purchaser_id")] = None
    community: Annotated[Key, Field(None, description="A partner community's id.")] = None
    category: Annotated[Text40 | None, FilterLookup("category__code")] = None
    q: Annotated[Text100 | None, Field(None, description="Words in the number, title or agency's name.")] = None

    def filter_community(self, value: int | None) -> Q:
        return Q(pk__in=Contract.objects.filter(communities=value).values("pk")) if value else Q()

    def filter_q(self, value: str | None) -> Q:
        return words(value, ("number", "title", "agency__name", "agency__name_en", "award__application__title_en"))


@router.get("/contracts", response={200: list[ContractOut], **READ_ERRORS}, summary="Contracts")
@paginate(Paged)
def list_contracts(request: HttpRequest, filters: Query[ContractFilter]) -> QuerySet[Contract]:
    """Signed contracts (active, completed or terminated), newest first, with what has been paid on each."""
    return filters.filter(selectors.contracts()).prefetch_related("communities")


@router.get("/contracts/{id}", response={200: ContractDetailOut, **READ_ERRORS}, summary="A contract")
def get_contract(request: HttpRequest, id: Id) -> Contract:
    """A contract with its milestones, tranches and payments, budget lines with spending, delivery totals and
    accepted evaluations."""
    contract = get_object_or_404(selectors.contracts(), pk=id)
    contract.parts = selectors.contract_parts(contract)  # type: ignore[attr-defined]
    return contract
