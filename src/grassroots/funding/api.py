"""Programs and calls in the REST API: public reads, thin over `disclosure.selectors`."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import date
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.filter_schema import FilterLookup
from ninja.pagination import paginate

from grassroots.api.filters import Key, Year, words
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS, CategoryRef, Id, Measure, Money, OrganizationRef, Text40, Text100
from grassroots.disclosure import selectors

from .models import Call, Program

router = Router(tags=["programs and calls"])


class ProgramOut(Schema):
    id: int
    title: str
    title_en: str
    fiscal_year: int
    department: OrganizationRef
    budget: Money
    method: str
    state: str
    categories: list[CategoryRef]
    eligibility: str
    tranche_percents: list[str]
    management_fee_cap: Measure
    personnel_share_cap: Measure
    max_term_months: int

    @staticmethod
    def resolve_categories(obj: Program) -> Any:
        return obj.categories.all()

    @staticmethod
    def resolve_tranche_percents(obj: Program) -> list[str]:
        return [str(p) for p in obj.tranche_percents]


class ProgramFilter(FilterSchema):
    year: Annotated[Year, FilterLookup("fiscal_year")] = None
    state: Annotated[Program.State | None, FilterLookup("state")] = None
    category: Annotated[Text40 | None, Field(None, description="A service category code.")] = None
    q: Annotated[Text100 | None, Field(None, description="Words in the title or the department's name.")] = None

    def filter_category(self, value: str | None) -> Q:
        return Q(pk__in=Program.objects.filter(categories__code=value).values("pk")) if value else Q()

    def filter_q(self, value: str | None) -> Q:
        return words(value, ("title", "title_en", "department__name", "department__name_en"))


@router.get("/programs", response={200: list[ProgramOut], **READ_ERRORS}, summary="Programs")
@paginate(Paged)
def list_programs(request: HttpRequest, filters: Query[ProgramFilter]) -> QuerySet[Program]:
    """Programs once opened, latest fiscal year first."""
    return filters.filter(selectors.programs()).prefetch_related("categories")


@router.get("/programs/{id}", response={200: ProgramOut, **READ_ERRORS}, summary="A program")
def get_program(request: HttpRequest, id: Id) -> Program:
    return get_object_or_404(selectors.programs(), pk=id)


class CriterionOut(Schema):
    name: str
    name_en: str
    weight: Measure
    source: str


class CallOut(Schema):
    id: int
    reference: str
    title: str
    title_en: str
    description: str
    program_id: int
    fiscal_year: int
    issuer: OrganizationRef
    categories: list[CategoryRef]
    funds: Money
    matching_funds: Money
    budget: Money
    max_request: Money
    min_score: Measure
    reviewers_per_application: int
    award_rule: str
    publicity_days: int
    opens_on: date
    closes_on: date
    state: str
    handed_in: int = Field(..., description="Applications handed in (a count: their contents are not public).")
    criteria: list[CriterionOut]

    @staticmethod
    def resolve_fiscal_year(obj: Call) -> int:
        return obj.program.fiscal_year

    @staticmethod
    def resolve_categories(obj: Call) -> Any:
        return obj.categories.all()

    @staticmethod
    def resolve_criteria(obj: Call) -> Any:
        return obj.criteria.all()


class CallFilter(FilterSchema):
    year: Annotated[Year, FilterLookup("program__fiscal_year")] = None
    state: Annotated[Call.State | None, FilterLookup("state")] = None
    issuer: Annotated[Key, FilterLookup("issuer_id")] = None
    program: Annotated[Key, FilterLookup("program_id")] = None
    category: Annotated[Text40 | None, Field(None, description="A service category code.")] = None
    q: Annotated[Text100 | None, Field(None, description="Words in the title or reference.")] = None

    def filter_category(self, value: str | None) -> Q:
        return Q(pk__in=Call.objects.filter(categories__code=value).values("pk")) if value else Q()

    def filter_q(self, value: str | None) -> Q:
        return words(value, ("title", "title_en", "reference"))


@router.get("/calls", response={200: list[CallOut], **READ_ERRORS}, summary="Calls")
@paginate(Paged)
def list_calls(request: HttpRequest, filters: Query[CallFilter]) -> QuerySet[Call]:
    """Calls once opened (申报指南), newest first, with their criteria."""
    return filters.filter(selectors.calls()).prefetch_related("categories", "criteria")


@router.get("/calls/{id}", response={200: CallOut, **READ_ERRORS}, summary="A call")
def get_call(request: HttpRequest, id: Id) -> Call:
    return get_object_or_404(selectors.calls(), pk=id)
