"""The governance metrics over the API: `GET /api/governance/metrics?street=ID&year=Y` (or `department=ID`,
`first=A&last=B`), the jurisdictions, and the metrics' definitions.

Public and read-only, like the open-data portal: the figures are aggregates over a street's or a
department's contracts, calls and records — no person, no single application. The dashboards, which name
who cooperates with whom and what each community received, stay behind their permission. Errors have the
API's one body (`api.schemas.ErrorOut`): 422 for parameters out of range or that do not fit together, 404 for
an unknown jurisdiction. The lists are paged like every list of the API (`limit`, `offset`); the metrics of
one jurisdiction are one object, at most `MOST_YEARS` years.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from grassroots.api.errors import BadQuery
from grassroots.api.filters import Key, Year
from grassroots.api.pagination import Paged
from grassroots.api.schemas import READ_ERRORS
from grassroots.orgs.models import Organization, OrgKind

from . import metrics, selectors

router = Router(tags=["governance"])

MOST_YEARS = 50


class Jurisdiction(Schema):
    id: int
    kind: str
    name: str
    name_en: str
    parent: int | None

    @staticmethod
    def resolve_parent(obj: Any) -> int | None:
        """From a row of `selectors.jurisdictions()`, or from `jurisdiction_data`."""
        return obj["parent"] if isinstance(obj, dict) else obj.parent_id


class Definition(Schema):
    name: str
    label: str
    definition: str


class YearMetrics(Schema):
    year: int
    metrics: dict[str, float | None]


class MetricsQuery(Schema):
    street: Key = None
    department: Key = None
    year: Year = None
    first: Year = None
    last: Year = None


class Metrics(Schema):
    jurisdiction: Jurisdiction
    years: list[YearMetrics]


def jurisdiction_data(org: Organization) -> dict[str, Any]:
    return {"id": org.pk, "kind": org.kind, "name": org.name, "name_en": org.name_en, "parent": org.parent_id}


def metrics_data(org: Organization, series: selectors.Series) -> dict[str, Any]:
    """The one shape of the metrics in the API and in `grassroots governance --json`."""
    return {
        "jurisdiction": jurisdiction_data(org),
        "years": [
            {"year": y, "metrics": {name: values[name] for name in metrics.NAMES}}
            for y, values in sorted(series.items())
        ],
    }


@router.get(
    "/jurisdictions", response={200: list[Jurisdiction], **READ_ERRORS}, auth=None, summary="Streets and departments"
)
@paginate(Paged)
def list_jurisdictions(request: HttpRequest) -> Any:
    """Every street and department that has governance figures, departments first."""
    return selectors.jurisdictions()


@router.get(
    "/definitions", response={200: list[Definition], **READ_ERRORS}, auth=None, summary="What each metric means"
)
@paginate(Paged)
def list_definitions(request: HttpRequest) -> Any:
    """The metrics in the shared contract's order, with their definitions (English, verbatim)."""
    return [{"name": m.name, "label": m.label, "definition": m.definition} for m in metrics.METRICS]


@router.get(
    "/metrics",
    response={200: Metrics, **READ_ERRORS},
    auth=None,
    summary="Every metric of a street or department, per fiscal year",
)
def get_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> Any:
    """Give `street` or `department` (an id from /jurisdictions) and either `year` or `first` and `last`.
    A metric without a denominator (no closed call, no contract, no evaluation) is null, never 0."""
    street, department, year, first, last = query.street, query.department, query.year, query.first, query.last
    if (street is None) == (department is None):
        raise BadQuery(
            _("Give either street or department (an id from /api/governance/jurisdictions)."), "street", "department"
        )
    if year is not None and (first is not None or last is not None):
        raise BadQuery(_("Give either year, or first and last."), "year", "first", "last")
    if year is not None:
        first = last = year
    if first is None or last is None:
        raise BadQuery(_("Give year, or first and last."), "year", "first", "last")
    if first > last:
        raise BadQuery(_("The first year comes after the last."), "first", "last")
    if last - first >= MOST_YEARS:
        raise BadQuery(_("At most %(n)d years at a time.") % {"n": MOST_YEARS}, "first", "last")
    pk, kind = (street, OrgKind.STREET) if street is not None else (department, OrgKind.DEPARTMENT)
    assert pk is not None  # one of the two, checked above
    org = selectors.jurisdictions().filter(pk=pk, kind=kind).first()
    if org is None:
        if street is not None:
            raise HttpError(404, _("No street has the id %(id)s.") % {"id": pk})
        raise HttpError(404, _("No department has the id %(id)s.") % {"id": pk})
    return metrics_data(org, selectors.metrics_for(org, first, last))
