"""The one NinjaAPI instance: each app's `api.py` router is added here; OpenAPI at /api/openapi.json, docs at
/api/docs (Swagger UI served from django-ninja's own static files, no CDN).

Reads of public objects need no token; writes take `Authorization: Bearer <token>` (see `auth.py`). Lists are
paged with `limit`/`offset` (`pagination.py`), and every error has one body (`errors.py`).
"""

from __future__ import annotations

from ninja import NinjaAPI

from . import errors

api = NinjaAPI(
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
