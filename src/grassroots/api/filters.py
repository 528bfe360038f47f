"""Query parameters the list endpoints share: a fiscal year, a key, words to search for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from django.db.models import Q
from ninja import Field

from .schemas import MAX_ID

Year = Annotated[int | None, Field(None, ge=1900, le=2200, description="Fiscal year.")]
Key = Annotated[int | None, Field(None, ge=1, le=MAX_ID)]


def words(text: str | None, fields: Sequence[str]) -> Q:
    """Every word (up to eight) in one of `fields`, as the lists' search box does."""
    condition = Q()
    for word in (text or "").split()[:8]:
        either = Q()
        for path in fields:
            either |= Q(**{f"{path}__icontains": word})
        condition &= either
    return condition
