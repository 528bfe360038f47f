"""The one NinjaAPI instance: each app's `api.py` router is added here; OpenAPI at /api/openapi.json, docs at
/api/docs (Swagger UI served from django-ninja's own static files, no CDN).

Reads of public objects need no token; writes take `Authorization: Bearer <token>` (see `auth.py`). Lists are
paged with `limit`/`offset` (`pagination.py`), and every error has one body (`errors.py`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from . import errors


class GrassrootsApi(NinjaAPI):
    """A NinjaAPI whose every answer under /api/ is JSON: each URL pattern's own refusals (405, the root's 404) go
    through `errors.json_errors`, and a last pattern answers any other path with the 404 body."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = errors.json_errors(self, pattern.callback)

        @csrf_exempt  # a POST to a path that does not exist is a 404, not a CSRF refusal
        def unknown(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return errors.unknown_path(self, request)

        urls.append(re_path(r"^.*$", unknown, name="unknown-path"))
        return urls


api = GrassrootsApi(
    title="Grassroots API",
    version="1",
    description="Government-purchased public services: programs, calls, applications, reviews, awards, "
    "contracts, delivery, evaluations and open data. Public objects are read without a token; writes act as "
    "the owner of an API token (`Authorization: Bearer grt_…`) through the same services and rules as the pages. "
    "Lists take `limit` and `offset`; every error answers `{detail, code, errors}`.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

errors.install(api)


def _mount() -> None:
    """Each stage's router, in the order of the mechanism."""
    from grassroots.applications.api import router as applications
    from grassroots.awards.api import router as awards
    from grassroots.contracts.api import router as contracts
    from grassroots.delivery.api import router as delivery
    from grassroots.disclosure.api import router as ocds
    from grassroots.evaluation.api import router as evaluation
    from grassroots.funding.api import router as funding
    from grassroots.governance.api import router as governance
    from grassroots.orgs.api import router as orgs
    from grassroots.review.api import router as review

    for router in (funding, applications, review, awards, contracts, delivery, evaluation, orgs):
        api.add_router("", router)
    api.add_router("/ocds/", ocds)
    api.add_router("/governance/", governance)


_mount()
