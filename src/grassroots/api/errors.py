"""One error body for every refusal of the API (see `schemas.ErrorOut`), whichever layer refuses:

- 401 `unauthorized`: no token, or an unknown or revoked one;
- 403 `forbidden`: the services' `Forbidden` (role and relation to the object);
- 404 `not_found`: no such object, or none the caller may see;
- 422 `invalid`: the request does not fit its schema (each field's problem in `errors`);
- 400 `rule_violation`: a rule of the mechanism (`RuleViolation`, a bad amount);
- 409 `conflict`: the object's state does not allow the move (`IllegalTransition`);
- 429 `throttled`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaError

from grassroots.core.errors import IllegalTransition


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
        if isinstance(exc, IllegalTransition):
            for p in problems:
                p["type"] = "conflict"
            return respond(request, 409, body(detail, "conflict", problems))
        return respond(request, 400, body(detail, "rule_violation", problems))

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(request, 429, body(_("Too many requests: try again later."), "throttled"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status_code, "error")
        return respond(request, exc.status_code, body(str(exc), code))
