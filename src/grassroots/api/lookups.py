"""Finding the objects a write names: a 404 for what the caller may not even see, a 400 for a body that names
something that is not there (the service then checks role, relation and state)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from grassroots.core.errors import RuleViolation

M = TypeVar("M", bound=Model)


def all_of(rows: QuerySet[M], keys: Sequence[int], what: str) -> list[M]:
    """The rows with `keys`, in that order; refuses (400) when one of them does not exist."""
    found = rows.in_bulk(list(dict.fromkeys(keys)))
    missing = [k for k in keys if k not in found]
    if missing:
        raise RuleViolation(_("Unknown %(what)s: %(keys)s") % {"what": what, "keys": ", ".join(map(str, missing))})
    return [found[k] for k in keys]


def one_of(rows: QuerySet[M], key: Any, what: str, field: str = "pk") -> M:
    """The row whose `field` (the primary key unless named, e.g. a category's code) is `key`; refuses (400) when
    missing."""
    row = rows.filter(**{field: key}).first()
    if row is None:
        raise RuleViolation(_("Unknown %(what)s: %(keys)s") % {"what": what, "keys": key})
    return row


def keys(rows: Iterable[Any]) -> list[int]:
    return [row.pk for row in rows]
