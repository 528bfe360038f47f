"""Pages of contracts: the contract as each reader may see it, with the actions each role takes on it.

The agency's manager signs the purchaser's draft, reports on milestones and asks for changes (moving money
between budget lines, a later end date, termination with a settlement); the purchaser's officers accept or
reject milestone reports and decide change requests; the purchaser or its department pays a payable
tranche, with an idempotency key carried by the form so that the same form sent twice pays once.

Views are thin: every write goes through `contracts.services`; a refusal is shown on the contract page with
what was typed kept, answered 400 (a broken rule) or 403 (a role that does not allow it). A contract, or a
milestone, tranche or change of one, that the user may not see is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.applications.selectors import visible_to as applications_visible_to
from grassroots.core.errors import RuleViolation
from grassroots.core.money import format_cny
from grassroots.delivery import imports
from grassroots.delivery import selectors as delivery
from grassroots.delivery import services as delivery_services
from grassroots.evaluation import selectors as evaluation
from grassroots.web.refusals import Redraw, redrawn_by

from . import documents, forms, selectors, services
from .models import ChangeRequest, Contract, Milestone, Tranche


def _visible(request: HttpRequest, pk: int) -> Contract:
    return get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "agency", "purchaser", "category", "award__application", "award__application__call__program"
        ),
        pk=pk,
    )


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int, import_errors: list[str] | None = None) -> HttpResponse:
    """A contract with its tranches, payments, milestones, evaluations and progress; a 404 to anyone not concerned."""
    return _contract_page(request, _visible(request, pk), import_errors=import_errors)


def _contract_page(
    request: HttpRequest,
    contract: Contract,
    *,
    post: Any = None,
    status: int = 200,
    import_errors: list[str] | None = None,
) -> HttpResponse:
    application = contract.award.application
    detail = selectors.contract_detail(contract)
    standing = selectors.standing_of(request.user, contract)
    progress = delivery.contract_progress(contract)
    context = {
        "contract": contract,
        **detail,
        "application": application,
        "application_visible": applications_visible_to(request.user).filter(pk=application.pk).exists(),
        "evaluations": evaluation.of_contract(contract),
        "performance": evaluation.record_of(contract),
        "progress": progress,
        "records": delivery.records_of(contract),
        "can_import": contract.state == Contract.State.ACTIVE and standing.staff,
        "import_errors": import_errors or [],
        "actions": _actions(contract, detail, standing, progress),
        "post": post or {},
    }
    return render(request, "contracts/contract_detail.html", context, status=400 if import_errors else status)


def _actions(contract: Contract, detail: dict[str, Any], standing: selectors.Standing, progress: Any) -> dict[str, Any]:
    """What the reader may do on the contract now (the services decide again when it is done)."""
    active = contract.state == Contract.State.ACTIVE
    milestones: list[Milestone] = detail["milestones"]
    open_reports = [m for m in milestones if m.state in (Milestone.State.PENDING, Milestone.State.REJECTED)]
    actions: dict[str, Any] = {
        "sign": standing.manager and contract.state == Contract.State.DRAFT,
        "report": open_reports[0] if standing.manager and active and open_reports else None,
        "review": [m for m in milestones if m.state == Milestone.State.SUBMITTED] if standing.purchaser else [],
        "pay": [
            (row, forms.new_payment_key()) for row in detail["tranches"] if row.tranche.state == Tranche.State.PAYABLE
        ]
        if standing.payer
        else [],
        "request": standing.manager and active,
        "terminate": standing.purchaser and contract.state in (Contract.State.DRAFT, Contract.State.ACTIVE),
        "decide": [c for c in detail["changes"] if c.state == ChangeRequest.State.REQUESTED]
        if standing.purchaser
        else [],
        "record": standing.staff and active,
        "spend": standing.manager and active,
    }
    # the budget lines with what is left unspent on each (the progress already read what was spent)
    actions["lines"] = (
        [selectors.LineLeft(row.line, row.spent, row.line.amount - row.spent) for row in progress.lines]
        if actions["request"]
        else []
    )
    actions["any"] = any(actions[k] for k in ("sign", "report", "review", "pay", "request", "terminate", "decide"))
    return actions


def _redraw(request: HttpRequest, status: int, pk: int) -> HttpResponse:
    """The contract's page again after a refusal (`pk` is the contract's)."""
    return _contract_page(request, _visible(request, pk), post=request.POST, status=status)


def _redraw_for(model: type[Milestone] | type[Tranche] | type[ChangeRequest]) -> Redraw:
    """The page of the contract that the milestone, tranche or change request `pk` belongs to."""

    def redraw(request: HttpRequest, status: int, pk: int) -> HttpResponse:
        found = model.objects.filter(contract__in=selectors.visible_to(request.user), pk=pk).values("contract_id")
        contract_id = found.first()
        if contract_id is None:
            raise Http404
        return _redraw(request, status, contract_id["contract_id"])

    return redraw


def _back(contract: Contract, anchor: str = "actions") -> HttpResponse:
    return redirect(reverse("contract-detail", args=[contract.pk]) + f"#{anchor}")


@login_required
@require_POST
@redrawn_by(_redraw)
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency's manager countersigns the purchaser's draft, which starts the contract."""
    contract = _visible(request, pk)
    services.sign_contract(request.user, contract)
    messages.success(request, _("The contract is signed and running."))
    return _back(contract)


def _milestone(request: HttpRequest, pk: int) -> Milestone:
    return get_object_or_404(
        Milestone.objects.select_related("contract").filter(contract__in=selectors.visible_to(request.user)), pk=pk
    )


@login_required
@require_POST
@redrawn_by(_redraw_for(Milestone))
def milestone_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency's manager hands in the report of a milestone."""
    milestone = _milestone(request, pk)
    contract = _visible(request, milestone.contract_id)
    services.submit_milestone(request.user, milestone, forms.text(request.POST, "report"))
    messages.success(request, _("The report was handed in; the purchaser reviews it."))
    return _back(contract)


@login_required
@require_POST
@redrawn_by(_redraw_for(Milestone))
def milestone_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The purchaser's officer accepts a milestone report (releasing its tranche) or rejects it, saying why."""
    milestone = _milestone(request, pk)
    contract = _visible(request, milestone.contract_id)
    accept = forms.accepts(request.POST)
    services.review_milestone(request.user, milestone, accept=accept, reason=forms.text(request.POST, "review_reason"))
    if accept:
        messages.success(request, _("The report was accepted; its tranche can be paid."))
    else:
        messages.success(request, _("The report was rejected; the agency sees why and hands it in again."))
    return _back(contract)


@login_required
@require_POST
@redrawn_by(_redraw_for(Tranche))
def tranche_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """The purchaser or its department pays a payable tranche. The form's idempotency key makes a second
    sending of the same form find the payment already made instead of paying again."""
    tranche = get_object_or_404(
        Tranche.objects.select_related("contract").filter(contract__in=selectors.visible_to(request.user)), pk=pk
    )
    contract = _visible(request, tranche.contract_id)
    key = forms.text(request.POST, "idempotency_key")
    earlier = selectors.payment_with_key(key)
    payment = services.pay_tranche(request.user, tranche, idempotency_key=key)
    if earlier is not None and earlier.pk == payment.pk:
        messages.info(
            request,
            _("This form was already sent: tranche %(n)d was paid on %(d)s, and nothing more was paid.")
            % {"n": tranche.position, "d": payment.paid_on.isoformat()},
        )
    else:
        messages.success(
            request,
            _("Tranche %(n)d was paid: %(a)s.") % {"n": tranche.position, "a": format_cny(payment.amount)},
        )
    return _back(contract, "tranches")


@login_required
@require_POST
@redrawn_by(_redraw)
def change_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency asks to move money between lines, for a later end date, or to terminate with a settlement
    (the purchaser's officer may terminate too, which applies at once)."""
    contract = _visible(request, pk)
    kind, arguments = forms.change_from(request.POST, contract)
    if kind == ChangeRequest.Kind.REALLOCATION:
        change = services.request_reallocation(request.user, contract, **arguments)
    elif kind == ChangeRequest.Kind.EXTENSION:
        change = services.request_extension(request.user, contract, **arguments)
    else:
        change = services.request_termination(request.user, contract, **arguments)
    change.refresh_from_db()
    if change.state == ChangeRequest.State.APPLIED:
        messages.success(request, _("The change was applied at once: it needs no approval."))
    else:
        messages.success(request, _("The change was requested; the purchaser decides on it."))
    return _back(contract, "changes")


@login_required
@require_POST
@redrawn_by(_redraw_for(ChangeRequest))
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The purchaser's officer approves a requested change (applying it) or rejects it, saying why."""
    change = get_object_or_404(
        ChangeRequest.objects.select_related("contract").filter(contract__in=selectors.visible_to(request.user)),
        pk=pk,
    )
    contract = _visible(request, change.contract_id)
    approve = forms.approves(request.POST)
    note = forms.text(request.POST, "note")
    if approve:
        services.approve_change(request.user, change, note=note)
    else:
        services.reject_change(request.user, change, reason=note)
    if approve:
        messages.success(request, _("The change was approved and applied."))
    else:
        messages.success(request, _("The change was rejected; the reason is on record."))
    return _back(contract, "changes")


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
        problem = _("Choose what the file holds and the file to upload.")
        return _contract_page(request, contract, import_errors=[problem])
    run = delivery_services.import_service_records if kind == "records" else delivery_services.import_expenditures
    try:
        count = run(request.user, contract, upload, upload.name or "")
    except imports.ImportRefused as refused_import:
        return _contract_page(request, contract, import_errors=[str(e) for e in refused_import.errors])
    except RuleViolation as problem:
        return _contract_page(request, contract, import_errors=list(problem.messages))
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
