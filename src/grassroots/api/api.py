"""The one NinjaAPI instance: each app's `api.py` router is added here; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from grassroots.disclosure.api import router as ocds_router
from grassroots.governance.api import router as governance_router

api = NinjaAPI(
    title="Grassroots API",
    version="1",
    description="Government-purchased public services: programs, calls, applications, reviews, awards, "
    "contracts, delivery, evaluations and open data.",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

api.add_router("/ocds/", ocds_router)
api.add_router("/governance/", governance_router)
