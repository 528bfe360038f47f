"""Joint applications in the REST API: write a draft and submit it, as the lead agency's manager (token
authentication); every rule and permission is `services`' own, and reading one follows `selectors.visible_to`."""

# No `from __future__ import annotations`: django-ninja reads the operations' annotations at import time.
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from grassroots.api import lookups
from grassroots.api.auth import actor, token_auth
from grassroots.api.schemas import (
    WRITE_ERRORS,
    BodyId,
    CategoryRef,
    Id,
    LongText,
    Measure,
    Money,
    MoneyIn,
    OrganizationRef,
    Text40,
    Text200,
)
from grassroots.funding import selectors as funding_selectors
from grassroots.funding.models import ServiceCategory
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, OrgKind, Person

from . import selectors, services
from .models import Application

router = Router(tags=["applications"], auth=token_auth)


class TeamMemberIn(Schema):
    person: BodyId = Field(..., description="A social worker of the lead agency (see GET /api/me).")
    role: Literal["lead", "member", "supervisor"] = "member"


class IndicatorIn(Schema):
    name: Text200 = Field(..., min_length=1)
    kind: Literal["output", "outcome"] = "output"
    measure: Literal["sessions", "beneficiaries", "hours", "volunteer_hours", "residents", "manual"] = "sessions"
    service_kind: Literal["", "case", "group", "community"] = ""
    unit: Annotated[str, Field(max_length=30, pattern=r"^[^\x00]*$")] = ""
    target: Annotated[
        str,
        StringConstraints(pattern=r"^\d{1,10}(\.\d{1,2})?$"),
        Field(description="A positive number, as a decimal string.", examples=["12"]),
    ]


class BudgetLineIn(Schema):
    head: Literal["personnel", "activities", "materials", "training", "management", "other"]
    description: Text200
    amount: MoneyIn


class MatchingFundIn(Schema):
    source: Literal["community", "street", "charity", "agency"]
    provider: Text200 = ""
    amount: MoneyIn


class ApplicationIn(Schema):
    call: BodyId
    lead_agency: BodyId
    title: Text200 = Field(..., min_length=1)
    title_en: Text200 = ""
    category: Text40 = Field(..., description="A service category code the call funds.")
    summary: LongText = ""
    objectives: LongText = ""
    term_months: int = Field(12, ge=1, le=36)
    communities: list[BodyId] = Field(..., max_length=20, description="Partner communities in the call's area.")
    team: list[TeamMemberIn] = Field(..., max_length=50)
    indicators: list[IndicatorIn] = Field(..., max_length=50)
    budget_lines: list[BudgetLineIn] = Field(..., max_length=50)
    matching_funds: list[MatchingFundIn] = Field([], max_length=20)
    needs: list[BodyId] = Field([], max_length=50, description="Residents' needs of the partner communities.")


class TeamMemberOut(Schema):
    person_id: int
    role: str


class IndicatorOut(Schema):
    name: str
    kind: str
    measure: str
    service_kind: str
    unit: str
    target: Measure


class BudgetLineOut(Schema):
    head: str
    description: str
    amount: Money


class MatchingFundOut(Schema):
    source: str
    provider: str
    amount: Money


class ApplicationPublicOut(Schema):
    """An application as anyone who may read it sees it. Its social-worker team is left out: people are never
    published, so only those concerned with the application (`ApplicationOut`) see who is on it."""

    id: int
    reference: str
    call_id: int
    state: str
    lead_agency: OrganizationRef
    title: str
    title_en: str
    category: CategoryRef
    summary: str
    objectives: str
    term_months: int
    requested: Money
    submitted_at: datetime | None
    communities: list[OrganizationRef]
    indicators: list[IndicatorOut]
    budget_lines: list[BudgetLineOut]
    matching_funds: list[MatchingFundOut]
    missing: list[str] = Field(..., description="What a draft still lacks before it can be submitted.")

    @staticmethod
    def resolve_communities(obj: Application) -> Any:
        return obj.communities.order_by("pk")

    @staticmethod
    def resolve_indicators(obj: Application) -> Any:
        return obj.indicators.order_by("pk")

    @staticmethod
    def resolve_budget_lines(obj: Application) -> Any:
        return obj.budget_lines.order_by("pk")

    @staticmethod
    def resolve_matching_funds(obj: Application) -> Any:
        return obj.matching_funds.order_by("pk")

    @staticmethod
    def resolve_missing(obj: Application) -> list[str]:
        return [str(m) for m in services.completeness(obj)] if obj.state == Application.State.DRAFT else []


class ApplicationOut(ApplicationPublicOut):
    """An application as those concerned with it see it (its agency, partner communities, the offices it was
    handed in to, its reviewers): with its team."""

    team: list[TeamMemberOut]

    @staticmethod
    def resolve_team(obj: Application) -> Any:
        return obj.team.order_by("pk")


def _visible(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(selectors.visible_to(actor(request)), pk=pk)


@router.post("/applications", response={201: ApplicationOut, **WRITE_ERRORS}, summary="Write a draft application")
def create_application(request: HttpRequest, data: ApplicationIn) -> Status:
    """A draft joint application of the lead agency (the caller must be its manager); the request is the budget
    total less the matching funds. Submit it with `POST /api/applications/{id}/submit`."""
    user = actor(request)
    call = lookups.one_of(funding_selectors.calls_visible_to(user), data.call, _("call"))
    agency = lookups.one_of(Organization.objects.filter(kind=OrgKind.AGENCY), data.lead_agency, _("agency"))
    category = lookups.one_of(ServiceCategory.objects.all(), data.category, _("service category"), field="code")
    communities = lookups.all_of(Organization.objects.filter(kind=OrgKind.COMMUNITY), data.communities, _("community"))
    people = lookups.all_of(Person.objects.all(), [m.person for m in data.team], _("person"))
    needs = lookups.all_of(Need.objects.all(), data.needs, _("need"))
    application = services.create_draft(
        user,
        call=call,
        lead_agency=agency,
        title=data.title,
        title_en=data.title_en,
        category=category,
        communities=communities,
        team=[(person, m.role) for person, m in zip(people, data.team, strict=True)],
        indicators=[i.model_dump() for i in data.indicators],
        budget_lines=[line.model_dump() for line in data.budget_lines],
        matching_funds=[m.model_dump() for m in data.matching_funds],
        needs=needs,
        summary=data.summary,
        objectives=data.objectives,
        term_months=data.term_months,
    )
    return Status(201, application)


@router.get(
    "/applications/{id}",
    response={200: ApplicationOut | ApplicationPublicOut, **WRITE_ERRORS},
    summary="An application",
)
def get_application(request: HttpRequest, id: Id) -> HttpResponse:
    """An application the caller may see: their agency's or community's, one they review, one handed in to their
    office, or one awarded. Only those concerned with it (not every reader of an awarded one) see its `team`."""
    application = _visible(request, id)
    schema = ApplicationOut if selectors.shows_team(actor(request), application) else ApplicationPublicOut
    from grassroots.api.api import api  # the one NinjaAPI, which mounts this router

    # Serialised here, by the schema chosen: a union left to the response model could pick the fuller one.
    return api.create_response(request, schema.from_orm(application).model_dump(), status=200)


@router.post("/applications/{id}/submit", response={200: ApplicationOut, **WRITE_ERRORS}, summary="Submit")
def submit_application(request: HttpRequest, id: Id) -> Application:
    """Hand in a complete draft while its call is open (the lead agency's manager only)."""
    return services.submit(actor(request), _visible(request, id))
