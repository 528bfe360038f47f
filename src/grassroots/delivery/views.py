"""Pages of delivery: recording a service (with a photo or sign-in sheet), booking an expenditure (with its
receipt), and a social worker's own service records.

Views are thin: every write goes through `delivery.services`; a record and its evidence are written together
or not at all. A refusal is shown on the form with what was typed kept, answered 400 (a broken rule) or 403
(a role that does not allow it); a contract the user may not see is a 404.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from grassroots.applications.models import BudgetHead
from grassroots.contracts import selectors as contracts
from grassroots.contracts.models import Contract
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.core.keys import ids
from grassroots.core.money import format_cny
from grassroots.core.permissions import is_staff
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for, orgs_where, person_of, social_workers_of
from grassroots.web.refusals import refused

from . import forms, selectors, services
from .models import ServiceRecord

#: Service records listed per page of "my service records".
PER_PAGE = 50


def _contract(request: HttpRequest, pk: int) -> Contract:
    return get_object_or_404(
        contracts.visible_to(request.user).select_related("agency", "purchaser", "award__application"), pk=pk
    )


def _inactive(request: HttpRequest, contract: Contract) -> HttpResponse | None:
    """Back to the contract page, saying why, when the contract is not running."""
    if contract.state == Contract.State.ACTIVE:
        return None
    messages.error(request, _("The contract %(n)s is not active.") % {"n": contract.number})
    return redirect("contract-detail", pk=contract.pk)


# --- a service record ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A social worker or manager of the contract's agency records a service delivered, with optional evidence."""
    contract = _contract(request, pk)
    if not acts_for(request.user, contract.agency, Role.MANAGER, Role.SOCIAL_WORKER):
        raise Forbidden(_("Only staff of %(org)s record its services.") % {"org": contract.agency.local_name})
    if request.method == "POST":
        upload = request.FILES.get("evidence")
        try:
            with transaction.atomic():
                item = services.record_service(request.user, contract, **forms.record_from(request.POST))
                if upload is not None:
                    services.attach_to_record(request.user, item, upload, forms.evidence_kind(request.POST))
        except (RuleViolation, PermissionDenied) as problem:
            return _record_page(request, contract, request.POST, refused(request, problem))
        messages.success(request, _("The service “%(t)s” was recorded.") % {"t": item.title})
        if request.POST.get("action") == "another":
            return redirect("record-create", pk=contract.pk)
        return redirect(reverse("contract-detail", args=[contract.pk]) + "#records")
    return _inactive(request, contract) or _record_page(request, contract)


def _record_page(request: HttpRequest, contract: Contract, post: Any = None, status: int = 200) -> HttpResponse:
    me = person_of(request.user)
    workers = list(social_workers_of(contract.agency).order_by("name", "pk"))
    if post is not None:
        checked = set(ids(post.getlist("social_workers")))
    else:
        checked = {me.pk} if me is not None and any(w.pk == me.pk for w in workers) else set()
    context = {
        "contract": contract,
        "workers": forms.worker_rows(workers, selectors.team_of(contract), checked),
        "kinds": forms.SERVICE_KINDS,
        "evidence_kinds": forms.RECORD_EVIDENCE,
        "post": post or {},
        "today": forms.default_day(contract, timezone.localdate()).isoformat(),
    }
    return render(request, "delivery/record_form.html", context, status=status)


@login_required
@require_GET
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One service record with who delivered it and its evidence, for whoever may see its contract."""
    record = get_object_or_404(
        selectors.records_visible_to(request.user).select_related("contract__award__application", "recorded_by"),
        pk=pk,
    )
    context = {"record": record, **selectors.record_detail(record)}
    return render(request, "delivery/record_detail.html", context)


@login_required
@require_GET
def expenditure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One expenditure with its budget line and receipt, for whoever may see its contract."""
    spent = get_object_or_404(
        selectors.expenditures_visible_to(request.user).select_related(
            "contract__award__application", "line", "recorded_by"
        ),
        pk=pk,
    )
    context = {
        "spent": spent,
        "head": dict(BudgetHead.choices).get(spent.line.head, spent.line.head),
        "attachments": list(spent.attachments.order_by("uploaded_at", "pk")),
    }
    return render(request, "delivery/expenditure_detail.html", context)


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """The evidence file itself, to whoever may see its record or expenditure; refused if it no longer matches
    the fingerprint taken at upload (an evidence file must be what was handed in)."""
    attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
    try:
        with attachment.file.open("rb") as stored:
            content = stored.read()
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is missing from the storage.")) from None
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        return HttpResponse(
            _("The stored file no longer matches the fingerprint taken when it was uploaded."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content, content_type=attachment.content_type)
    as_download = not attachment.content_type.startswith("image/")  # photos open in the browser
    response["Content-Disposition"] = content_disposition_header(as_download, attachment.name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- an expenditure -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def expenditure_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The agency's manager books money spent against a budget line, with the receipt's number and file."""
    contract = _contract(request, pk)
    if not acts_for(request.user, contract.agency, Role.MANAGER):
        raise Forbidden(_("Only a manager of %(org)s books expenditures.") % {"org": contract.agency.local_name})
    if request.method == "POST":
        upload = request.FILES.get("receipt_file")
        try:
            with transaction.atomic():
                spent = services.record_expenditure(
                    request.user, contract, **forms.expenditure_from(request.POST, contract)
                )
                if upload is not None:
                    services.attach_receipt(request.user, spent, upload)
        except (RuleViolation, PermissionDenied) as problem:
            return _expenditure_page(request, contract, request.POST, refused(request, problem))
        messages.success(
            request,
            _("%(a)s was booked on “%(l)s”.") % {"a": format_cny(spent.amount), "l": spent.line.description},
        )
        if request.POST.get("action") == "another":
            return redirect("expenditure-create", pk=contract.pk)
        return redirect(reverse("contract-detail", args=[contract.pk]) + "#progress")
    return _inactive(request, contract) or _expenditure_page(request, contract)


def _expenditure_page(request: HttpRequest, contract: Contract, post: Any = None, status: int = 200) -> HttpResponse:
    context = {
        "contract": contract,
        "lines": contracts.lines_left(contract),
        "post": post or {},
        "today": forms.default_day(contract, timezone.localdate()).isoformat(),
    }
    return render(request, "delivery/expenditure_form.html", context, status=status)


# --- my service records -------------------------------------------------------------------------------------


@login_required
@require_GET
def records_mine(request: HttpRequest) -> HttpResponse:
    """The service records a social worker delivered or recorded, newest first, and where to record more."""
    if not (is_staff(request.user) or orgs_where(request.user, Role.MANAGER, Role.SOCIAL_WORKER).exists()):
        raise Forbidden(_("Only staff of a social-work agency record services."))
    me = person_of(request.user)
    records = selectors.records_by(me) if me is not None else ServiceRecord.objects.none()
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "contracts": list(selectors.recording_contracts(request.user).select_related("agency")),
    }
    return render(request, "delivery/records_mine.html", context)
