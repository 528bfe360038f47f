"""Read-only pages of contracts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.applications.selectors import visible_to as applications_visible_to
from grassroots.core.errors import RuleViolation
from grassroots.delivery import imports
from grassroots.delivery import selectors as delivery
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import selectors as evaluation
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for

from . import documents, selectors
from .models import Contract


def _visible(request: HttpRequest, pk: int) -> Contract:
    return get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "agency", "purchaser", "category", "award__application", "award__application__call__program"
        ),
        pk=pk,
    )


@login_required
def contract_detail(request: HttpRequest, pk: int, import_errors: list[str] | None = None) -> HttpResponse:
    """A contract with its tranches, payments, milestones, evaluations and progress; a 404 to anyone not concerned."""
    contract = _visible(request, pk)
    application = contract.award.application
    context = {
        "contract": contract,
        **selectors.contract_detail(contract),
        "application": application,
        "application_visible": applications_visible_to(request.user).filter(pk=application.pk).exists(),
        "evaluations": evaluation.of_contract(contract),
        "performance": evaluation.record_of(contract),
        "progress": delivery.contract_progress(contract),
        "records": delivery.records_of(contract),
        "can_import": contract.state == Contract.State.ACTIVE
        and acts_for(request.user, contract.agency, Role.MANAGER, Role.SOCIAL_WORKER),
        "import_errors": import_errors or [],
    }
    return render(request, "contracts/contract_detail.html", context, status=400 if import_errors else 200)


IMPORT_KINDS = ("records", "expenditures")


@login_required
def import_template(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    """The spreadsheet template of an import, for anyone who sees the contract."""
    contract = _visible(request, pk)
    if kind not in IMPORT_KINDS or fmt not in ("xlsx", "csv"):
        raise Http404
    if fmt == "xlsx":
        body = imports.template_workbook(kind)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = imports.template_csv(kind)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{contract.number}-{kind}.{fmt}"'
    return response


@login_required
@require_POST
def import_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a filled template: all rows go in, or none and every row error is shown."""
    contract = _visible(request, pk)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    if kind not in IMPORT_KINDS or upload is None:
        return contract_detail(request, pk, import_errors=[_("Choose what the file holds and the file to upload.")])
    run = delivery_services.import_service_records if kind == "records" else delivery_services.import_expenditures
    try:
        count = run(request.user, contract, upload, upload.name or "")
    except imports.ImportRefused as refused:
        return contract_detail(request, pk, import_errors=[str(e) for e in refused.errors])
    except RuleViolation as problem:
        return contract_detail(request, pk, import_errors=list(problem.messages))
    messages.success(request, _("%(n)d rows imported.") % {"n": count})
    return redirect("contract-detail", pk=pk)


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
