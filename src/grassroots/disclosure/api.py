"""Open data over the API, public and read-only: OCDS 1.1.5 release and record packages of the public calls.

Packages are paginated by process (call): `page` and `page_size`; the total and the next and previous
pages are in the `X-Total-Count` and `Link` headers, since the body must stay an OCDS package (which is
why a page with no process is a 404, like an unknown ocid). Every parameter is bounded like the rest of the
API's (years, lengths, pages; no NUL, which PostgreSQL refuses): anything else is a 422 in the one error body.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field, StringConstraints

from grassroots.api.filters import Year
from grassroots.api.pagination import MAX_OFFSET
from grassroots.api.schemas import NO_NUL, READ_ERRORS

from . import export, selectors

router = Router(tags=["open data (OCDS)"], auth=None)

MAX_PAGE_SIZE = 100
#: The last page asked for: its first process is at most the API's farthest offset.
MAX_PAGE = MAX_OFFSET // MAX_PAGE_SIZE

#: An ocid or a call's reference (an imported ocid is kept in `OcdsLink.ocds_id`, 300 characters).
OcidText = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=NO_NUL)]


class PackageFilters(Schema):
    year: Year = Field(None, description="Only the calls of this fiscal year.")
    call: OcidText | None = Field(None, description="Only this call (its reference or ocid).")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Processes (calls) per page.")


def _package(document: dict[str, Any]) -> JsonResponse:
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


def _paginated(request: HttpRequest, path: str, filters: PackageFilters, build: Any) -> HttpResponse:
    calls = selectors.public_calls(year=filters.year, calls=[filters.call] if filters.call else ())
    total = calls.count()
    start = (filters.page - 1) * filters.page_size
    page = calls.filter(pk__in=list(calls.values_list("pk", flat=True)[start : start + filters.page_size]))
    if not page.exists():
        # An OCDS package holds at least one release or record, so an empty page is not a package.
        raise HttpError(404, _("No public contracting process is on this page."))
    query = {"year": filters.year, "call": filters.call, "page_size": filters.page_size}
    response = _package(build(page, export.api_url(path, **query, page=filters.page)))
    links = []
    if start + filters.page_size < total:
        links.append(f'<{export.api_url(path, **query, page=filters.page + 1)}>; rel="next"')
    if filters.page > 1:
        links.append(f'<{export.api_url(path, **query, page=filters.page - 1)}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    response["X-Total-Count"] = str(total)
    return response


@router.get(
    "/release-package", response={200: dict[str, Any], **READ_ERRORS}, summary="Release package of the public calls"
)
def release_package(request: HttpRequest, filters: Query[PackageFilters]) -> HttpResponse:
    return _paginated(request, "release-package", filters, export.release_package)


@router.get(
    "/record-package",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="Record package (with compiled releases) of the public calls",
)
def record_package(request: HttpRequest, filters: Query[PackageFilters]) -> HttpResponse:
    def build(calls: Any, uri: str) -> dict[str, Any]:
        return export.record_package(calls, uri, uri.replace("/record-package", "/release-package"))

    return _paginated(request, "record-package", filters, build)


def _one(ocid: str) -> Any:
    call = selectors.public_call(ocid)
    if call is None:
        raise HttpError(404, _("No public contracting process has the ocid %(ocid)s.") % {"ocid": ocid})
    return selectors.public_calls().filter(pk=call.pk)


@router.get(
    "/records/{ocid}",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="The record (with its compiled release) of one contracting process",
)
def record(request: HttpRequest, ocid: Annotated[OcidText, Path()]) -> HttpResponse:
    uri = export.api_url(f"records/{ocid}")
    return _package(export.record_package(_one(ocid), uri, export.releases_url(ocid)))


@router.get(
    "/releases/{ocid}",
    response={200: dict[str, Any], **READ_ERRORS},
    summary="Every release of one contracting process, as a release package",
)
def releases(request: HttpRequest, ocid: Annotated[OcidText, Path()]) -> HttpResponse:
    return _package(export.release_package(_one(ocid), export.releases_url(ocid)))
