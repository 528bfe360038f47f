"""Token authentication of the write endpoints: `Authorization: Bearer <token>` (see `services.issue_token`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from . import selectors, services


class TokenAuth(HttpBearer):
    """The user an active API token stands for; the endpoint then acts as that user through the services."""

    openapi_description = "An API token (grt_…), created on the API tokens page or with `grassroots manage api_token`."

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        row = selectors.active_token(token.strip())
        if row is None:
            return None
        services.mark_used(row)
        request.user = row.owner
        return row.owner


token_auth = TokenAuth()


def actor(request: HttpRequest) -> Any:
    """The user an authenticated operation acts as (what `TokenAuth.authenticate` returned)."""
    return getattr(request, "auth", None)
