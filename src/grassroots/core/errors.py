"""The errors the service layer raises, so views, API and CLI can answer each the same way.

Every one carries a message written for the user (translated through gettext) and is raised before
anything is written, or inside a transaction that it rolls back.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError


class RuleViolation(ValidationError):
    """A business rule of the mechanism refuses the request (budget, state, eligibility...)."""


class IllegalTransition(RuleViolation):
    """A stateful object was asked to move to a state its transition table does not allow."""


class KeyReused(RuleViolation):
    """An idempotency key sent again with a different request: a conflict (the API's 409, on its header)."""


class Forbidden(PermissionDenied):
    """The actor's roles and relation to the object do not allow the request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


__all__ = ["Forbidden", "IllegalTransition", "RuleViolation", "ValidationError"]
