"""The one NinjaAPI instance: each app's `api.py` router is added here; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Grassroots API",
    version="1",
    description="Government-purchased public services: programs, calls, applications, reviews, awards, "
    "contracts, delivery, evaluations and open data.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

from grassroots.disclosure.api import router as ocds_router  # noqa: E402 - routers are added once the API exists

api.add_router("/ocds/", ocds_router)
