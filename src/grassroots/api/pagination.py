"""One way to page a list: `limit` and `offset` in the query, `count`, `next` and `previous` beside the items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

#: Rows per page unless `limit` says otherwise, and the most a page holds.
PER_PAGE = 25
MAX_LIMIT = 100
#: The farthest offset accepted (beyond any real list, and within what every database takes).
MAX_OFFSET = 10**9


class Paged(PaginationBase):
    """`?limit=25&offset=50` → {"count": 312, "limit": 25, "offset": 50, "next": "…offset=75", "previous": "…offset=25",
    "items": [...]}; `next`/`previous` are the same request's path and query with the offset moved, or null."""

    class Input(Schema):
        limit: int = Field(PER_PAGE, ge=1, le=MAX_LIMIT, description="Items per page (at most 100).")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")

    class Output(Schema):
        count: int
        limit: int
        offset: int
        next: str | None
        previous: str | None
        items: list[Any]

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any) -> Any:
        limit, offset = pagination.limit, pagination.offset
        count = self._items_count(queryset)
        return {
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": _moved(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _moved(request, limit, max(0, offset - limit)) if offset > 0 else None,
            "items": queryset[offset : offset + limit],
        }


def _moved(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return f"{request.path}?{query.urlencode()}"
