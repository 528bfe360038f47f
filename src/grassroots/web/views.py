"""The pages every user shares: the home page that answers "what is mine", and the lists."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import home_sections
from .tables import TABLES

DOWNLOADS = ("csv", "xlsx")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"sections": home_sections(request.user)})


def list_view(name: str) -> Callable[[HttpRequest], HttpResponse]:
    """The list page `name` (see `tables.TABLES`): filters, search, sorting and pages in the query string;
    `?format=csv` or `?format=xlsx` downloads the whole filtered table."""
    build = TABLES[name]

    @login_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        table = build(request.user)
        kind = request.GET.get("format", "")
        if kind in DOWNLOADS:
            return table.download(request, kind)
        return render(request, "web/list.html", {"list": table.page(request)})

    view.__name__ = view.__qualname__ = name.replace("-", "_")
    return view


call_list = list_view("call-list")
application_list = list_view("application-list")
contract_list = list_view("contract-list")
payment_list = list_view("payment-list")
record_list = list_view("record-list")
expenditure_list = list_view("expenditure-list")
evaluation_list = list_view("evaluation-list")
