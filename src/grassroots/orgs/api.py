"""Organizations in the REST API: public reads (legal entities, never people), thin over `disclosure.selectors`."""

from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.filter_schema import FilterLookup
from ninja.pagination import paginate

from grassroots.api import selectors as api_selectors
from grassroots.api.auth import actor, token_auth
from grassroots.api.filters import Key, words
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS, ErrorOut, Id, OrganizationRef, Score, Text100
from grassroots.disclosure import selectors

from .models import Organization, OrgKind
from .selectors import agencies_staffed_by, expert_of, memberships_of, person_of

router = Router(tags=["organizations"])


class OrganizationOut(OrganizationRef):
    uscc: str = Field(..., description="Unified social credit code (GB 32100-2015).")
    parent_id: int | None
    founded: int | None
    residents: int | None = Field(..., description="Residents of a community (null for other kinds).")
    address: str

    @staticmethod
    def resolve_residents(obj: Organization) -> int | None:
        return obj.residents if obj.kind == OrgKind.COMMUNITY else None


class PerformanceOut(Schema):
    fiscal_year: int
    contract_id: int
    score: Score
    grade: str


class OrganizationDetailOut(OrganizationOut):
    children: list[OrganizationRef]
    contract_ids: list[int] = Field(..., description="Signed contracts it is a party or partner to.")
    performance: list[PerformanceOut] = Field(..., description="An agency's results on evaluated contracts.")

    @staticmethod
    def resolve_children(obj: Any) -> Any:
        return obj.parts.children

    @staticmethod
    def resolve_contract_ids(obj: Any) -> list[int]:
        return [c.pk for c in obj.parts.contracts]

    @staticmethod
    def resolve_performance(obj: Any) -> Any:
        return obj.parts.performance


class OrganizationFilter(FilterSchema):
    kind: Annotated[OrgKind | None, FilterLookup("kind")] = None
    parent: Annotated[Key, FilterLookup("parent_id")] = None
    q: Annotated[Text100 | None, Field(None, description="Words in the name or the credit code.")] = None

    def filter_q(self, value: str | None) -> Q:
        return words(value, ("name", "name_en", "uscc"))


@router.get("/organizations", response={200: list[OrganizationOut], **READ_ERRORS}, summary="Organizations")
@paginate(Paged)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilter]) -> QuerySet[Organization]:
    """Departments, street offices, communities, agencies and evaluators."""
    return filters.filter(selectors.organizations())


@router.get("/organizations/{id}", response={200: OrganizationDetailOut, **READ_ERRORS}, summary="An organization")
def get_organization(request: HttpRequest, id: Id) -> Organization:
    org = get_object_or_404(selectors.organizations(), pk=id)
    org.parts = selectors.organization_parts(org)  # type: ignore[attr-defined]
    return org


class MembershipOut(Schema):
    organization: OrganizationRef
    role: str


class ColleagueOut(Schema):
    id: int
    name: str
    certificate: str


class ManagedAgencyOut(Schema):
    organization: OrganizationRef
    social_workers: list[ColleagueOut] = Field(..., description="Whom an application's team and a service may name.")


class MeOut(Schema):
    username: str
    person_id: int | None
    name: str
    memberships: list[MembershipOut]
    expert: bool
    agencies: list[ManagedAgencyOut]


@router.get("/me", response={200: MeOut, 401: ErrorOut}, auth=token_auth, summary="Who the token acts as")
def me(request: HttpRequest) -> dict[str, Any]:
    """The token's owner: their memberships, whether they review, and the social workers of the agencies they
    work for (the ids an application's team or a service record names)."""
    user = actor(request)
    person = person_of(user)
    agencies = agencies_staffed_by(user).order_by("name")
    return {
        "username": user.get_username(),
        "person_id": person.pk if person else None,
        "name": person.name if person else "",
        "memberships": list(memberships_of(user).order_by("pk")),
        "expert": expert_of(user) is not None,
        "agencies": [
            {"organization": agency, "social_workers": list(api_selectors.colleagues_of(agency))} for agency in agencies
        ],
    }
