"""How a page answers a service's refusal: the reasons as messages, the status to answer with, and the form's
page drawn again with what was typed kept.

A view whose page can be drawn again from its URL alone declares it with `@redrawn_by(...)` and calls its
services plainly; a view whose page needs what the form parsed (typed rows, a chosen object) catches the
refusal itself and passes `refused(...)`'s status to its page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation

#: Draws a form's page again after a refusal: (request, status, the view's own arguments) → the page.
Redraw = Callable[..., HttpResponse]


def refused(request: HttpRequest, problem: RuleViolation | PermissionDenied) -> int:
    """Show a service's refusal as error messages; 403 for a permission, 400 for a broken rule."""
    if isinstance(problem, PermissionDenied):
        messages.error(request, str(problem) or _("Your roles do not allow this."))
        return 403
    for text in problem.messages:
        messages.error(request, text)
    return 400


def redrawn_by(redraw: Redraw) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A form's POST view whose services may refuse: the refusal becomes messages, and `redraw(request, status,
    *args, **kwargs)` draws the page again, reading its objects afresh (a refused service rolled its writes back,
    but may have changed objects in memory first)."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except (RuleViolation, PermissionDenied) as problem:
                return redraw(request, refused(request, problem), *args, **kwargs)

        return answered

    return wrap


def done(request: HttpRequest, text: str, url: str) -> HttpResponse:
    """A form did what it was asked: say so, and go where the user sees the result (post/redirect/get)."""
    messages.success(request, text)
    return redirect(url)
