"""Read-only pages of the funding stage."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from grassroots.applications import selectors as applications
from grassroots.awards import selectors as awards

from . import selectors


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A call as `request.user` may see it: a draft is a 404 to anyone but its officers."""
    call = get_object_or_404(selectors.calls_visible_to(request.user).select_related("program", "issuer"), pk=pk)
    award_list = awards.public_list(call)
    context = {
        "call": call,
        **selectors.call_detail(call),
        "applications": applications.of_call(request.user, call),
        "award_list": award_list,
        "awards": awards.awards_on(award_list) if award_list else [],
        "visible_applications": set(
            applications.visible_to(request.user).filter(call=call).values_list("pk", flat=True)
        ),
    }
    return render(request, "funding/call_detail.html", context)
