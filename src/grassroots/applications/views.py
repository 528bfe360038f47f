"""Read-only pages of joint applications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from grassroots.contracts import selectors as contracts
from grassroots.funding.selectors import calls_visible_to
from grassroots.review import selectors as review

from . import selectors


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An application as `request.user` may see it; a 404 to anyone the visibility rule leaves out."""
    application = get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "call", "call__program", "call__issuer", "lead_agency", "category"
        ),
        pk=pk,
    )
    context = {
        "application": application,
        **selectors.application_detail(application),
        "call_visible": calls_visible_to(request.user).filter(pk=application.call_id).exists(),
        "shows_scores": selectors.shows_scores(request.user, application),
        "reviews": review.of_application(request.user, application),
        "contract": contracts.visible_to(request.user).filter(award__application=application).first(),
    }
    return render(request, "applications/application_detail.html", context)
