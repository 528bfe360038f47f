"""Evaluation grades in the REST API: accepted evaluations of signed contracts, thin over `disclosure.selectors`."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import date
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import FilterSchema, Query, Router, Schema
from ninja.filter_schema import FilterLookup
from ninja.pagination import paginate

from grassroots.api.filters import Key, Year
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS, Id, Measure, OrganizationRef, Score
from grassroots.disclosure import selectors

from .models import Evaluation, Grade

router = Router(tags=["evaluations"])


class ContractRef(Schema):
    id: int
    number: str
    title: str


class DimensionOut(Schema):
    code: str
    name: str
    name_en: str
    points: Measure
    earned: Score | None


class EvaluationOut(Schema):
    id: int
    contract: ContractRef
    agency: OrganizationRef
    evaluator: OrganizationRef
    fiscal_year: int
    kind: str
    submitted_on: date | None
    score: Score | None
    grade: str

    @staticmethod
    def resolve_agency(obj: Evaluation) -> Any:
        return obj.contract.agency

    @staticmethod
    def resolve_fiscal_year(obj: Evaluation) -> int:
        return obj.contract.award.application.call.program.fiscal_year


class EvaluationDetailOut(EvaluationOut):
    dimensions: list[DimensionOut]

    @staticmethod
    def resolve_dimensions(obj: Evaluation) -> list[dict[str, Any]]:
        return [
            {
                "code": d.item.code,
                "name": d.item.name,
                "name_en": d.item.name_en,
                "points": d.item.weight,
                "earned": d.earned,
            }
            for d in selectors.dimensions_of(obj)
        ]


class EvaluationFilter(FilterSchema):
    year: Annotated[Year, FilterLookup("contract__award__application__call__program__fiscal_year")] = None
    kind: Annotated[Evaluation.Kind | None, FilterLookup("kind")] = None
    grade: Annotated[Grade | None, FilterLookup("grade")] = None
    agency: Annotated[Key, FilterLookup("contract__agency_id")] = None
    contract: Annotated[Key, FilterLookup("contract_id")] = None


@router.get("/evaluations", response={200: list[EvaluationOut], **READ_ERRORS}, summary="Evaluation grades")
@paginate(Paged)
def list_evaluations(request: HttpRequest, filters: Query[EvaluationFilter]) -> QuerySet[Evaluation]:
    """Accepted mid-term and final evaluations with their score and grade, latest first."""
    return filters.filter(selectors.evaluations())


@router.get("/evaluations/{id}", response={200: EvaluationDetailOut, **READ_ERRORS}, summary="An evaluation grade")
def get_evaluation(request: HttpRequest, id: Id) -> Evaluation:
    """An accepted evaluation with the points of each top-level dimension (no comments, evidence or findings)."""
    return get_object_or_404(selectors.evaluations(), pk=id)
