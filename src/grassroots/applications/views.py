"""Pages of joint applications: the application as each reader may see it, and the lead agency's
manager linking the residents' needs a draft answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from grassroots.contracts import selectors as contracts
from grassroots.core.errors import RuleViolation
from grassroots.funding.selectors import calls_visible_to
from grassroots.needs import forms as need_forms
from grassroots.needs import selectors as needs
from grassroots.needs.models import Need
from grassroots.orgs.models import Role
from grassroots.orgs.selectors import acts_for
from grassroots.review import selectors as review
from grassroots.web.refusals import refused

from . import selectors, services
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
    linking = application.state == Application.State.DRAFT and acts_for(
        request.user, application.lead_agency, Role.MANAGER
    )
    linked = {n.pk for n in detail["needs"]}
    context = {
        "application": application,
        **detail,
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
        "checked": set(need_forms.ids(post.getlist("needs"))) if post is not None else linked,
    }
    return render(request, "applications/application_detail.html", context, status=status)


@login_required
@require_POST
def application_needs(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead agency's manager says which residents' needs a draft answers."""
    application = _application(request, pk)
    chosen = list(Need.objects.filter(pk__in=need_forms.ids(request.POST.getlist("needs"))))
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
