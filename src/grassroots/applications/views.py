"""Pages of joint applications: the application as each reader may see it; the lead agency's manager
writing a draft on an open call (with live budget totals checked against the program's rules), editing it,
linking the residents' needs it answers, submitting it and withdrawing it.

Views are thin: every write goes through `applications.services`; a refusal is shown on the page it came
from, with what was typed kept, and answered 400 (a broken rule) or 403 (a role that does not allow it).
An application or call the user may not see is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.contracts import selectors as contracts
from grassroots.core.errors import Forbidden, RuleViolation
from grassroots.core.i18n import render_message
from grassroots.core.keys import ids
from grassroots.funding.models import Call
from grassroots.funding.selectors import calls_visible_to
from grassroots.needs import selectors as needs
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, Role
from grassroots.orgs.selectors import acts_for, communities_of, social_workers_of
from grassroots.review import selectors as review
from grassroots.web.refusals import refused

from . import forms, selectors, services
from .models import Application


def _application(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "call", "call__program", "call__issuer", "lead_agency", "category"
        ),
        pk=pk,
    )


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An application as `request.user` may see it; a 404 to anyone the visibility rule leaves out."""
    return _application_page(request, _application(request, pk))


def _application_page(
    request: HttpRequest, application: Application, post: Any = None, status: int = 200
) -> HttpResponse:
    detail = selectors.application_detail(application)
    manager = acts_for(request.user, application.lead_agency, Role.MANAGER)
    linking = application.state == Application.State.DRAFT and manager
    linked = {n.pk for n in detail["needs"]}
    shows_team = selectors.shows_team(request.user, application)
    context = {
        "application": application,
        **detail,
        "team": detail["team"] if shows_team else [],  # people are never published: only those concerned
        "shows_team": shows_team,
        "call_visible": calls_visible_to(request.user).filter(pk=application.call_id).exists(),
        "shows_scores": selectors.shows_scores(request.user, application),
        "reviews": review.of_application(request.user, application),
        "contract": contracts.visible_to(request.user).filter(award__application=application).first(),
        "needs_visible": set(
            needs.communities_visible_to(request.user)
            .filter(pk__in={n.community_id for n in detail["needs"]})
            .values_list("pk", flat=True)
        ),
        "linking": linking,
        "standing": list(needs.standing_in(detail["communities"])) if linking else [],
        "checked": set(ids(post.getlist("needs"))) if post is not None else linked,
        "manager": manager,
        "missing": services.completeness(application) if linking else [],
        "budget": selectors.budget_check_of(application) if linking else None,
        "withdrawable": manager and _withdrawable(application),
        "reason": str(post.get("reason", "")) if post is not None else "",
    }
    return render(request, "applications/application_detail.html", context, status=status)


def _withdrawable(application: Application) -> bool:
    return application.state in (
        Application.State.DRAFT,
        Application.State.SUBMITTED,
        Application.State.ELIGIBLE,
    ) and application.call.state in (Call.State.OPEN, Call.State.REVIEW)


@login_required
@require_POST
def application_needs(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead agency's manager says which residents' needs a draft answers."""
    application = _application(request, pk)
    chosen = list(Need.objects.filter(pk__in=ids(request.POST.getlist("needs"))))
    try:
        services.link_needs(request.user, application, chosen)
    except (RuleViolation, PermissionDenied) as problem:
        return _application_page(request, application, request.POST, refused(request, problem))
    messages.success(
        request,
        ngettext(
            "The application now answers %(n)s residents' need.",
            "The application now answers %(n)s residents' needs.",
            len(chosen),
        )
        % {"n": len(chosen)},
    )
    return redirect(reverse("application-detail", args=[application.pk]) + "#needs")


@login_required
@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead agency's manager hands a complete draft in; what is missing is listed on the page first."""
    application = _application(request, pk)
    try:
        services.submit(request.user, application)
    except (RuleViolation, PermissionDenied) as problem:
        return _application_page(request, application, request.POST, refused(request, problem))
    messages.success(request, _("The application was submitted. The call's officers screen it when the call closes."))
    return redirect("application-detail", pk=application.pk)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead agency's manager withdraws the application before awards are made, saying why."""
    application = _application(request, pk)
    try:
        services.withdraw(request.user, application, forms.reason_from(request.POST))
    except (RuleViolation, PermissionDenied) as problem:
        return _application_page(request, application, request.POST, refused(request, problem))
    messages.success(request, _("The application was withdrawn; the reason is on record."))
    return redirect("application-detail", pk=application.pk)


# --- writing a draft ----------------------------------------------------------------------------------------


def _call(request: HttpRequest, pk: int) -> Call:
    return get_object_or_404(calls_visible_to(request.user).select_related("program", "issuer"), pk=pk)


def _agencies(request: HttpRequest) -> list[Organization]:
    agencies = list(selectors.agencies_managed_by(request.user))
    if not agencies:
        raise Forbidden(_("Only a manager of a social-work agency writes applications."))
    return agencies


@login_required
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest, pk: int) -> HttpResponse:
    """An agency's manager writes a joint application on an open call; it is saved as a draft."""
    call = _call(request, pk)
    agencies = _agencies(request)
    if request.method == "POST":
        typed = forms.typed_from(request.POST)
        if request.POST.get("action") == "rows":
            return _form_page(request, call, None, agencies, typed.padded(forms.MORE_ROWS))
        try:
            application = services.create_draft(request.user, call=call, **forms.application_from(typed, call))
        except (RuleViolation, PermissionDenied) as problem:
            return _form_page(request, call, None, agencies, typed.padded(), refused(request, problem))
        return _saved(request, application, _("The draft was saved."))
    if call.state != Call.State.OPEN:
        messages.error(request, _("The call “%(c)s” is not open for applications.") % {"c": call})
        return redirect("call-detail", pk=call.pk)
    return _form_page(request, call, None, agencies, forms.blank(call, agencies))


@login_required
@require_http_methods(["GET", "POST"])
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead agency's manager rewrites a draft."""
    application = _application(request, pk)
    call = application.call
    agencies = [application.lead_agency]
    if not acts_for(request.user, application.lead_agency, Role.MANAGER):
        raise Forbidden(
            _("Only a manager of %(org)s may write its applications.") % {"org": application.lead_agency.local_name}
        )
    if request.method == "POST":
        typed = forms.typed_from(request.POST)
        typed.lead_agency = str(application.lead_agency_id)
        if request.POST.get("action") == "rows":
            return _form_page(request, call, application, agencies, typed.padded(forms.MORE_ROWS))
        try:
            services.update_draft(request.user, application, **forms.application_from(typed, call, with_lead=False))
        except (RuleViolation, PermissionDenied) as problem:
            return _form_page(request, call, application, agencies, typed.padded(), refused(request, problem))
        return _saved(request, application, _("The draft was saved."))
    if application.state != Application.State.DRAFT:
        messages.error(request, _("Only a draft application is changed."))
        return redirect("application-detail", pk=application.pk)
    typed = forms.typed_of(application, selectors.application_detail(application))
    return _form_page(request, call, application, agencies, typed)


def _saved(request: HttpRequest, application: Application, done: str) -> HttpResponse:
    """After saving: say so, and warn of what the eligibility screening would find in the budget."""
    messages.success(request, done)
    for finding in selectors.budget_check_of(application).findings:
        messages.warning(
            request,
            _("The screening will find that %(finding)s.") % {"finding": render_message(finding.as_data())},
        )
    return redirect("application-detail", pk=application.pk)


def _form_page(
    request: HttpRequest,
    call: Call,
    application: Application | None,
    agencies: list[Organization],
    typed: forms.Typed,
    status: int = 200,
) -> HttpResponse:
    area = list(communities_of(call.issuer).order_by("name"))
    lines, matching, problems = forms.budget_rows(typed)
    context = {
        "call": call,
        "application": application,
        "agencies": agencies,
        "typed": typed,
        "categories": list(call.categories.order_by("code")),
        "communities": area,
        "teams": [
            (agency, forms.team_rows(typed, list(social_workers_of(agency).order_by("name", "pk"))))
            for agency in agencies
        ],
        "standing": list(needs.standing_in(area)),
        "check": selectors.budget_check(call, lines, matching),
        "problems": problems,
        "choices": forms.CHOICES,
        "action": reverse("application-edit", args=[application.pk])
        if application
        else reverse("application-create", args=[call.pk]),
    }
    return render(request, "applications/application_form.html", context, status=status)


@login_required
@require_POST
def application_totals(request: HttpRequest, pk: int) -> HttpResponse:
    """The budget's totals against the program's rules, for the form's live panel (htmx posts the form here)."""
    call = _call(request, pk)
    _agencies(request)
    lines, matching, problems = forms.budget_rows(forms.typed_from(request.POST))
    context = {"check": selectors.budget_check(call, lines, matching), "problems": problems, "call": call}
    return render(request, "applications/_totals.html", context)
