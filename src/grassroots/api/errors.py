"""One error body for every refusal of the API (see `schemas.ErrorOut`), whichever layer refuses:

- 401 `unauthorized`: no token, or an unknown or revoked one;
- 403 `forbidden`: the services' `Forbidden` (role and relation to the object);
- 404 `not_found`: no such object, or none the caller may see, or no such path under /api/;
- 405 `method_not_allowed`: the path takes other methods (listed in `Allow`);
- 422 `invalid`: the request does not fit its schema (each field's problem in `errors`), its body is not JSON,
  or its query parameters do not fit together (`BadQuery`);
- 400 `rule_violation`: a rule of the mechanism (`RuleViolation`, a bad amount);
- 409 `conflict`: the object's state does not allow the move (`IllegalTransition`), or an `Idempotency-Key` sent
  again with another request (`KeyReused`);
- 429 `throttled`;
- 500 `server_error`: a fault of ours (logged), never Django's HTML page.

`GrassrootsApi.urls` (in `api.py`) sends what no operation answers — an unknown path, a wrong method — here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaError

from grassroots.core.errors import IllegalTransition, KeyReused

logger = logging.getLogger("django.request")


class BadQuery(Exception):
    """Query parameters that each fit their schema but not together (e.g. both or neither of two): a 422 that
    names the parameters (`loc`: ["query", name])."""

    def __init__(self, message: str, *names: str) -> None:
        super().__init__(message)
        self.message = message
        self.names: Sequence[str] = names


def body(detail: str, code: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or []}


def _problems(exc: DjangoValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {"loc": ["body", field], "message": str(message), "type": "rule_violation"}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"loc": [], "message": str(message), "type": "rule_violation"} for message in exc.messages]


def _schema_problems(exc: SchemaError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        out.append({"loc": loc, "message": str(error.get("msg", "")), "type": str(error.get("type", "invalid"))})
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers on the one API instance."""

    def respond(request: HttpRequest, status: int, payload: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, payload, status=status)

    @api.exception_handler(SchemaError)
    def invalid(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        return respond(request, 422, body(_("The request is not valid."), "invalid", _schema_problems(exc)))

    @api.exception_handler(BadQuery)
    def bad_query(request: HttpRequest, exc: BadQuery) -> HttpResponse:
        problems = [{"loc": ["query", name], "message": exc.message, "type": "invalid"} for name in exc.names]
        return respond(request, 422, body(exc.message, "invalid", problems or None))

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            body(
                _("Authentication needed: send a valid API token as “Authorization: Bearer <token>”."), "unauthorized"
            ),
        )
        response["WWW-Authenticate"] = 'Bearer realm="grassroots"'
        return response

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        detail = str(exc) or _("Your roles do not allow this.")
        return respond(request, 403, body(detail, "forbidden", [{"loc": [], "message": detail, "type": "forbidden"}]))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, body(_("Not found."), "not_found"))

    @api.exception_handler(ObjectDoesNotExist)
    def missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return respond(request, 404, body(_("Not found."), "not_found"))

    @api.exception_handler(DjangoValidationError)
    def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        problems = _problems(exc)
        detail = "; ".join(p["message"] for p in problems) or _("The request breaks a rule.")
        if isinstance(exc, IllegalTransition | KeyReused):
            for p in problems:
                p["type"] = "conflict"
                if isinstance(exc, KeyReused):
                    p["loc"] = ["header", "Idempotency-Key"]
            return respond(request, 409, body(detail, "conflict", problems))
        return respond(request, 400, body(detail, "rule_violation", problems))

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(request, 429, body(_("Too many requests: try again later."), "throttled"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # django-ninja's refusal of a body it cannot parse (JSONDecodeError, UnicodeDecodeError).
            detail = _("The request body is not valid JSON.")
            return respond(
                request, 422, body(detail, "invalid", [{"loc": ["body"], "message": detail, "type": "json_invalid"}])
            )
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status_code, "error")
        return respond(request, exc.status_code, body(str(exc), code))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error(
            "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
        )
        return respond(request, 500, body(_("Something went wrong on our side; it has been logged."), "server_error"))


View = Callable[..., HttpResponse]


def json_errors(api: NinjaAPI, view: View) -> View:
    """`view` (one of the API's URL patterns), with the refusals django-ninja answers outside the operations — a
    method the path does not take (405, plain text) and a 404 raised by a view of its own (the API root, HTML)
    — in the one error body."""

    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return unknown_path(api, request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = api.create_response(
                request,
                body(
                    _("This path does not take the method %(method)s.") % {"method": request.method},
                    "method_not_allowed",
                ),
                status=405,
            )
            response["Allow"] = allowed
        return response

    return answered


def unknown_path(api: NinjaAPI, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/ that no operation has: a 404 in the one body, not the site's HTML page."""
    return api.create_response(request, body(_("No such path in the API."), "not_found"), status=404)
