"""The pages every user shares: the home page that answers "what is mine", and the lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .lists import Table
from .selectors import home_sections
from .tables import TABLES

DOWNLOADS = ("csv", "xlsx")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sections": home_sections(request.user)})


def table_view(
    name: str, build: Callable[[Any], Table], template: str = "web/list.html", extra: dict[str, Any] | None = None
) -> Callable[[HttpRequest], HttpResponse]:
    """A list page over the table `build(user)` makes: filters, search, sorting and pages in the query string;
    `?format=csv` or `?format=xlsx` downloads the whole filtered table. (No login asked: see `list_view`.)"""

    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        table = build(request.user)
        kind = request.GET.get("format", "")
        if kind in DOWNLOADS:
            return table.download(request, kind)
        return render(request, template, {"list": table.page(request), **(extra or {})})

    view.__name__ = view.__qualname__ = name.replace("-", "_")
    return view


def list_view(name: str) -> Callable[[HttpRequest], HttpResponse]:
    """The logged-in list page `name` (see `tables.TABLES`)."""
    view = login_required(table_view(name, TABLES[name]))
    view.__name__ = view.__qualname__ = name.replace("-", "_")
    return view


call_list = list_view("call-list")
application_list = list_view("application-list")
contract_list = list_view("contract-list")
payment_list = list_view("payment-list")
record_list = list_view("record-list")
expenditure_list = list_view("expenditure-list")
evaluation_list = list_view("evaluation-list")
