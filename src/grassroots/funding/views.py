"""Read-only pages of the funding stage."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from grassroots.applications import selectors as applications
from grassroots.awards import selectors as awards
from grassroots.needs import selectors as needs

from . import selectors
from .models import Call


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A call as `request.user` may see it: a draft is a 404 to anyone but its officers."""
    call = get_object_or_404(selectors.calls_visible_to(request.user).select_related("program", "issuer"), pk=pk)
    award_list = awards.public_list(call)
    detail = selectors.call_detail(call)
    # While applicants write, the needs residents prioritised in the communities the call covers.
    prioritised = list(needs.prioritised_in(call.issuer)) if call.state in (Call.State.DRAFT, Call.State.OPEN) else []
    categories = {c.pk for c in detail["categories"]}
    context = {
        "call": call,
        **detail,
        "applications": applications.of_call(request.user, call),
        "award_list": award_list,
        "awards": awards.awards_on(award_list) if award_list else [],
        "visible_applications": set(
            applications.visible_to(request.user).filter(call=call).values_list("pk", flat=True)
        ),
        "prioritised": [(n, n.category_id in categories) for n in prioritised],
        "needs_visible": set(
            needs.communities_visible_to(request.user)
            .filter(pk__in={n.community_id for n in [*prioritised, *detail["needs"]]})
            .values_list("pk", flat=True)
        ),
    }
    return render(request, "funding/call_detail.html", context)
