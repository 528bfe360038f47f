"""The governance metrics over the API: `GET /api/governance/metrics?street=ID&year=Y` (or `department=ID`,
`first=A&last=B`), the jurisdictions, and the metrics' definitions.

Public and read-only, like the open-data portal: the figures are aggregates over a street's or a
department's contracts, calls and records — no person, no single application. The dashboards, which name
who cooperates with whom and what each community received, stay behind their permission. Errors have the
API's one body (`api.schemas.ErrorOut`): 400 for a question that does not fit, 404 for an unknown
jurisdiction.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from grassroots.api.schemas import READ_ERRORS, ErrorOut
from grassroots.core.errors import RuleViolation
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


class Definition(Schema):
    name: str
    label: str
    definition: str


class YearMetrics(Schema):
    year: int
    metrics: dict[str, float | None]


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


@router.get("/jurisdictions", response=list[Jurisdiction], auth=None, summary="Streets and departments")
def list_jurisdictions(request: HttpRequest) -> Any:
    """Every street and department that has governance figures, departments first."""
    return [jurisdiction_data(org) for org in selectors.jurisdictions()]


@router.get("/definitions", response=list[Definition], auth=None, summary="What each metric means")
def list_definitions(request: HttpRequest) -> Any:
    """The metrics in the shared contract's order, with their definitions (English, verbatim)."""
    return [{"name": m.name, "label": m.label, "definition": m.definition} for m in metrics.METRICS]


@router.get(
    "/metrics",
    response={200: Metrics, 400: ErrorOut, **READ_ERRORS},
    auth=None,
    summary="Every metric of a street or department, per fiscal year",
)
def get_metrics(
    request: HttpRequest,
    street: int | None = None,
    department: int | None = None,
    year: int | None = None,
    first: int | None = None,
    last: int | None = None,
) -> Any:
    """Give `street` or `department` (an id from /jurisdictions) and either `year` or `first` and `last`.
    A metric without a denominator (no closed call, no contract, no evaluation) is null, never 0."""
    if (street is None) == (department is None):
        raise RuleViolation(_("Give either street or department (an id from /api/governance/jurisdictions)."))
    if year is not None and (first is not None or last is not None):
        raise RuleViolation(_("Give either year, or first and last."))
    if year is not None:
        first = last = year
    if first is None or last is None:
        raise RuleViolation(_("Give year, or first and last."))
    if first > last:
        raise RuleViolation(_("The first year comes after the last."))
    if last - first >= MOST_YEARS:
        raise RuleViolation(_("At most %(n)d years at a time.") % {"n": MOST_YEARS})
    pk = street if street is not None else department
    assert pk is not None
    org = Organization.objects.filter(pk=pk, kind=OrgKind.STREET if street is not None else OrgKind.DEPARTMENT).first()
    if org is None:
        if street is not None:
            raise HttpError(404, _("No street has the id %(id)s.") % {"id": pk})
        raise HttpError(404, _("No department has the id %(id)s.") % {"id": pk})
    return metrics_data(org, selectors.metrics_for(org, first, last))
