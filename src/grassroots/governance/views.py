"""Governance dashboards: what the project system does to a street's or a department's governance structure.

Officers of the street or department, officers of the department over a street, researchers and staff see
a dashboard (see `selectors.may_see_dashboard`); anyone else is refused with 403. The page reads only
(GET): the years shown and the year looked at in detail come in the query string, and `?format=csv`
downloads every metric of the years shown.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grassroots.core.errors import Forbidden
from grassroots.core.money import ZERO
from grassroots.evaluation.models import Grade
from grassroots.orgs.models import Organization, OrgKind
from grassroots.web.lists import CSV_TYPE
from grassroots.web.templatetags.web_tags import tr

from . import charts, labels, metrics, selectors

EARLIEST, LATEST = 2000, 2100
MOST_YEARS = 12  # the widest span a page shows; the API and the command line take any


def _year(raw: Any, default: int) -> int:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and EARLIEST <= int(text) <= LATEST else default


def span_of(org: Organization, query: Any) -> tuple[int, int, int]:
    """The years to show (`first`, `last`: by default every year with data) and the year in detail (`year`:
    by default the last)."""
    found = selectors.years_with_data(org)
    this_year = timezone.localdate().year
    first_default, last_default = found if found is not None else (this_year, this_year)
    first = _year(query.get("first"), first_default)
    last = _year(query.get("last"), last_default)
    if first > last:
        first, last = last, first
    first = max(first, last - MOST_YEARS + 1)
    year = min(max(_year(query.get("year"), last), first), last)
    return first, last, year


def metrics_csv(org: Organization, series: selectors.Series) -> str:
    """Every metric per year, one row per year, the contract's names as columns (empty for null)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["jurisdiction_id", "jurisdiction", "kind", "year", *metrics.NAMES])
    for year, values in sorted(series.items()):
        writer.writerow(
            [org.pk, org.name, org.kind, year, *("" if values[n] is None else repr(values[n]) for n in metrics.NAMES)]
        )
    return out.getvalue()


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The dashboards the user may open: their street or department (and a department's streets)."""
    orgs = list(selectors.dashboards_for(request.user).select_related("parent"))
    if not orgs:
        raise Forbidden(_("Governance dashboards are for officers of streets and departments, and for researchers."))
    return render(request, "governance/index.html", {"orgs": orgs})


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organization.objects.select_related("parent"), pk=pk, kind__in=selectors.JURISDICTION_KINDS)
    if not selectors.may_see_dashboard(request.user, org):
        raise Forbidden(
            _("The governance dashboard of %(o)s is for its officers, its department's and researchers.")
            % {"o": org.local_name}
        )
    first, last, year = span_of(org, request.GET)
    if request.GET.get("format") == "csv":
        series = selectors.series(org, first, last)[0]
        response = HttpResponse(("\ufeff" + metrics_csv(org, series)).encode("utf-8"), content_type=CSV_TYPE)
        response["Content-Disposition"] = f'attachment; filename="governance-{org.pk}-{first}-{last}.csv"'
        return response
    data = selectors.dashboard(org, first, last, year)
    context = _context(org, data)
    # the parent's dashboard is linked only for whom it would open (a street officer may not see it)
    context["parent_dashboard"] = org.parent is not None and selectors.may_see_dashboard(request.user, org.parent)
    return render(request, "governance/dashboard.html", context)


DRAWN = 60  # nodes per column the network draws; the table lists every tie


def _context(org: Organization, data: selectors.Dashboard) -> dict[str, Any]:
    years = data.years
    now = data.series[data.year]
    current = data.facts[data.year]
    table = [
        {
            "shown": labels.SHOWN[name],
            "cells": [(y, labels.written(name, data.series[y][name])) for y in years],
            "spark": charts.sparkline([data.series[y][name] for y in years]),
        }
        for name in metrics.NAMES
    ]
    most = max((f.amount for f in data.agencies), default=ZERO) or Decimal(1)
    return {
        "org": org,
        "data": data,
        "years": years,
        "table": table,
        "figure": {name: labels.written(name, now[name]) for name in metrics.NAMES},
        "definitions": labels.SHOWN,
        **_network(data),
        "lorenz": charts.lorenz_chart(data.lorenz),
        "gini": labels.written("community_gini", now["community_gini"]),
        "hhi": labels.written("award_hhi", now["award_hhi"]),
        "poorer_half": poorer_half(data.lorenz),
        "agencies": [(f, round(100 * f.amount / most)) for f in data.agencies],
        "active_now": len(current.active_agencies),
        "contracts_now": len(current.contracts),
        "aligned_now": sum(1 for k in current.contracts if k.addresses_prioritised_need),
        "residents": current.residents,
        "self_action": _self_action(data),
        "evaluation": _evaluation(data),
    }


def _network(data: selectors.Dashboard) -> dict[str, Any]:
    """The graph of ties; with more communities or agencies than a column holds, the best funded are drawn."""
    funds: dict[int, Decimal] = defaultdict(Decimal)
    for tie in data.ties:
        funds[tie.community.pk] += tie.amount
        funds[tie.agency.pk] += tie.amount
    communities = {r.community.pk: r.community for r in data.needs}
    agencies = {tie.agency.pk: tie.agency for tie in data.ties}

    def kept(orgs: dict[int, Organization]) -> list[int]:
        best = sorted(orgs, key=lambda pk: (-funds[pk], orgs[pk].name))[:DRAWN]
        return sorted(best, key=lambda pk: orgs[pk].name)

    kept_c, kept_a = kept(communities), kept(agencies)
    graph = charts.network(
        [(pk, tr(communities[pk])) for pk in kept_c],
        [(pk, tr(agencies[pk])) for pk in kept_a],
        [(t.community.pk, t.agency.pk, len(t.years), data.year in t.years) for t in data.ties],
    )
    return {"graph": graph, "hidden": (len(communities) - len(kept_c), len(agencies) - len(kept_a))}


def _written(data: selectors.Dashboard, year: int, name: str) -> str:
    return labels.written(name, data.series[year][name])


def _self_action(data: selectors.Dashboard) -> list[dict[str, Any]]:
    hours = max((r.volunteer_hours for r in data.rows), default=0) or 1
    people = max((r.participations for r in data.rows), default=0) or 1
    return [
        {
            "row": r,
            "hours_per_1000": _written(data, r.year, "volunteer_hours_per_1000"),
            "people_per_1000": _written(data, r.year, "resident_participation_per_1000"),
            "hours_width": round(100 * r.volunteer_hours / hours),
            "people_width": round(100 * r.participations / people),
        }
        for r in data.rows
    ]


def _evaluation(data: selectors.Dashboard) -> list[dict[str, Any]]:
    names = dict(Grade.choices)
    rows = []
    for r in data.rows:
        grades = [(names[g], r.grades[g], g) for g in ("excellent", "good", "pass", "fail")]
        rows.append(
            {
                "row": r,
                "mean": _written(data, r.year, "mean_final_score"),
                "fail": _written(data, r.year, "fail_rate"),
                "grades": [(label, count) for label, count, _g in grades],
                "segments": [
                    (label, count, round(100 * count / r.evaluated, 1), g)
                    for label, count, g in grades
                    if count and r.evaluated
                ],
            }
        )
    return rows


def poorer_half(points: list[tuple[float, float]]) -> float | None:
    """The share of funds the less funded half of communities received, read off the Lorenz curve."""
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= 0.5 <= x1:
            return y0 + (y1 - y0) * (0.5 - x0) / (x1 - x0) if x1 > x0 else y1
    return None


def profile_context(user: Any, org: Organization) -> dict[str, Any]:
    """What governance adds to an organization's profile (`evaluation.views.org_profile`): a community's or
    agency's history year by year for those who may read it, and links to the dashboards the reader may open."""
    added: dict[str, Any] = {}
    if org.kind in (OrgKind.COMMUNITY, OrgKind.AGENCY) and selectors.may_see_history(user, org):
        history = selectors.history_of(org)
        top = max((h.amount for h in history), default=ZERO) or Decimal(1)
        added["history"] = [(h, round(100 * h.amount / top)) for h in history]
        added["history_shown"] = True
    over = org if org.kind in selectors.JURISDICTION_KINDS else org.parent if org.kind == OrgKind.COMMUNITY else None
    if over is not None and selectors.may_see_dashboard(user, over):
        added["dashboard"] = over
    return {"governance": added}
