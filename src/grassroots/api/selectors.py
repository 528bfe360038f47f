"""Reads of API tokens: a user's own, and the user a presented token stands for."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken
from .services import TOKEN_PREFIX, digest


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A user's tokens, active ones first, newest first."""
    return ApiToken.objects.filter(owner=user).order_by("-revoked_at", "-created_at", "-pk")


def active_token(token: str) -> ApiToken | None:
    """The active token row a presented token matches, of an active login (None: unknown, revoked, malformed)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return (
        ApiToken.objects.filter(digest=digest(token), revoked_at__isnull=True, owner__is_active=True)
        .select_related("owner")
        .first()
    )
