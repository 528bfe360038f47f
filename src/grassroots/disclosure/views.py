"""The public portal (公开): no login; every page reads what `selectors` makes public, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from grassroots.funding.models import Call
from grassroots.web.views import table_view

from . import selectors
from .tables import TABLES

#: The open-data downloads (OCDS 1.1.5) served by the disclosure API, linked from the portal.
OPEN_DATA = {
    "release_package": "/api/ocds/release-package",
    "record_package": "/api/ocds/record-package",
}


def _year(request: HttpRequest, years: list[int]) -> int | None:
    """The fiscal year chosen in the query string, if it is one the portal has."""
    text = request.GET.get("year", "").strip()
    return int(text) if text.isdigit() and int(text) in years else None


@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    years = selectors.fiscal_years()
    year = _year(request, years)
    context = {
        "years": years,
        "year": year,
        "figures": selectors.figures(year),
        "funds": selectors.funds(year),
        "open_calls": list(selectors.calls().filter(state=Call.State.OPEN).order_by("closes_on", "reference")[:6]),
        "award_lists": list(selectors.award_lists()[:6]),
        "open_data": OPEN_DATA,
    }
    return render(request, "disclosure/home.html", context)


def list_view(name: str) -> Callable[[HttpRequest], HttpResponse]:
    """The portal list `name` (see `tables.TABLES`), with the same filters and downloads as the inside lists."""
    build = TABLES[name]
    return table_view(name, lambda _user: build(), "disclosure/list.html", {"section": name})


program_list = list_view("open-programs")
call_list = list_view("open-calls")
award_list_list = list_view("open-award-lists")
contract_list = list_view("open-contracts")
evaluation_list = list_view("open-evaluations")
organization_list = list_view("open-organizations")


@require_GET
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_object_or_404(selectors.programs(), pk=pk)
    calls = list(selectors.calls().filter(program=program))
    context = {
        "program": program,
        "categories": selectors.categories_of(program),
        "calls": calls,
        "by_category": selectors.funds_by_category(program.fiscal_year),
        "section": "open-programs",
    }
    return render(request, "disclosure/program_detail.html", context)


@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.calls(), pk=pk)
    award_list = selectors.award_list_of(call)
    context = {
        "call": call,
        "criteria": selectors.criteria_of(call),
        "categories": selectors.categories_of(call),
        "award_list": award_list,
        "section": "open-calls",
    }
    return render(request, "disclosure/call_detail.html", context)


@require_GET
def award_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    award_list = get_object_or_404(selectors.award_lists(), pk=pk)
    call = selectors.calls().get(pk=award_list.call_id)
    awards = selectors.awards_on(award_list)
    contracts = {c.award_id: c for c in selectors.contracts().filter(award__in=awards)}
    context = {
        "award_list": award_list,
        "call": call,
        "awards": [(award, contracts.get(award.pk)) for award in awards],
        "section": "open-award-lists",
    }
    return render(request, "disclosure/award_list_detail.html", context)


@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(selectors.contracts(), pk=pk)
    context = {"contract": contract, "parts": selectors.contract_parts(contract), "section": "open-contracts"}
    return render(request, "disclosure/contract_detail.html", context)


@require_GET
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(selectors.organizations(), pk=pk)
    context = {"org": org, "parts": selectors.organization_parts(org), "section": "open-organizations"}
    return render(request, "disclosure/organization_detail.html", context)
