"""Publicised award lists in the REST API: public reads, thin over `disclosure.selectors`."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import date
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import FilterSchema, Query, Router, Schema
from ninja.filter_schema import FilterLookup
from ninja.pagination import paginate

from grassroots.api import selectors as api_selectors
from grassroots.api.filters import Key, Year
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS, CategoryRef, Id, Money, OrganizationRef, Score
from grassroots.contracts.selectors import was_signed
from grassroots.disclosure import selectors

from .models import Award, AwardList

router = Router(tags=["award lists"])


class CallRef(Schema):
    id: int
    reference: str
    title: str
    title_en: str


class AwardedApplication(Schema):
    reference: str
    title: str
    title_en: str
    category: CategoryRef
    lead_agency: OrganizationRef
    communities: list[OrganizationRef]
    requested: Money
    score: Score | None
    rank: int | None

    @staticmethod
    def resolve_communities(obj: Any) -> Any:
        return obj.communities.all()


class AwardOut(Schema):
    id: int
    state: str
    amount: Money
    application: AwardedApplication
    contract_id: int | None

    @staticmethod
    def resolve_contract_id(obj: Award) -> int | None:
        contract = getattr(obj, "contract", None)
        return contract.pk if contract is not None and was_signed(contract) else None


class AwardListOut(Schema):
    id: int
    call: CallRef
    fiscal_year: int
    state: str
    rule: str
    total: Money
    publicity_from: date | None
    publicity_until: date | None
    decided_on: date | None
    awards: list[AwardOut]

    @staticmethod
    def resolve_fiscal_year(obj: AwardList) -> int:
        return obj.call.program.fiscal_year

    @staticmethod
    def resolve_awards(obj: AwardList) -> Any:
        return obj.public_awards  # type: ignore[attr-defined]


class AwardListFilter(FilterSchema):
    year: Annotated[Year, FilterLookup("call__program__fiscal_year")] = None
    state: Annotated[Literal["publicity", "decided"] | None, FilterLookup("state")] = None  # PUBLIC_LIST_STATES
    call: Annotated[Key, FilterLookup("call_id")] = None


@router.get("/award-lists", response={200: list[AwardListOut], **READ_ERRORS}, summary="Award lists")
@paginate(Paged)
def list_award_lists(request: HttpRequest, filters: Query[AwardListFilter]) -> QuerySet[AwardList]:
    """Award lists whose publicity period has begun (公示) or that are decided, latest first, with their awards."""
    return api_selectors.with_public_awards(filters.filter(selectors.award_lists()))


@router.get("/award-lists/{id}", response={200: AwardListOut, **READ_ERRORS}, summary="An award list")
def get_award_list(request: HttpRequest, id: Id) -> AwardList:
    return get_object_or_404(api_selectors.with_public_awards(selectors.award_lists()), pk=id)
