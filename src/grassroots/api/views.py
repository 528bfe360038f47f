"""The page where a logged-in user creates and revokes their API tokens; a new token is shown once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grassroots.core.errors import RuleViolation
from grassroots.web.refusals import refused

from . import selectors, services


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    status, issued, name = 200, "", ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "issue":
                name = request.POST.get("name", "")
                _row, issued = services.issue_token(request.user, request.user, name)
                name = ""
            elif action == "revoke":
                token = get_object_or_404(selectors.tokens_of(request.user), pk=request.POST.get("token") or 0)
                services.revoke_token(request.user, token)
                messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
                return redirect("api-tokens")
        except (RuleViolation, PermissionDenied) as problem:
            status = refused(request, problem)
    context = {"tokens": list(selectors.tokens_of(request.user)), "issued": issued, "name": name}
    response = render(request, "api/tokens.html", context, status=status)
    if issued:
        response["Cache-Control"] = "no-store"  # the token appears on this page only, and only now
    return response
