"""How a page answers a service's refusal: the reasons as messages, and the status to answer with."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation


def refused(request: HttpRequest, problem: RuleViolation | PermissionDenied) -> int:
    """Show a service's refusal as error messages; 403 for a permission, 400 for a broken rule."""
    if isinstance(problem, PermissionDenied):
        messages.error(request, str(problem) or _("Your roles do not allow this."))
        return 403
    for text in problem.messages:
        messages.error(request, text)
    return 400
