"""Read-only pages of contracts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from grassroots.applications.selectors import visible_to as applications_visible_to
from grassroots.delivery import selectors as delivery
from grassroots.evaluation import selectors as evaluation

from . import documents, selectors


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A contract with its tranches, payments, milestones and evaluations; a 404 to anyone not concerned."""
    contract = get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "agency", "purchaser", "category", "award__application", "award__application__call__program"
        ),
        pk=pk,
    )
    application = contract.award.application
    context = {
        "contract": contract,
        **selectors.contract_detail(contract),
        "application": application,
        "application_visible": applications_visible_to(request.user).filter(pk=application.pk).exists(),
        "evaluations": evaluation.of_contract(contract),
        "performance": evaluation.record_of(contract),
        "lines": delivery.lines_with_spending(contract),
        "records": delivery.records_of(contract),
    }
    return render(request, "contracts/contract_detail.html", context)


@login_required
def contract_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The contract as a PDF to print, sign and stamp; a 404 to anyone who may not see the contract."""
    contract = get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "agency", "purchaser", "category", "award__application__call__program"
        ),
        pk=pk,
    )
    response = HttpResponse(documents.contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{contract.number}.pdf"'
    return response
