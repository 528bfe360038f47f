"""Ids that people type or post (a form's choice, a list's filter): whole numbers a database key can hold.

Anything else — text, a negative number, a number no key column can hold — is not an id, so a form
treats it like no choice and a list ignores it, instead of the database failing on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The largest value of a 64-bit signed key column (PostgreSQL bigint, SQLite INTEGER).
LARGEST = 2**63 - 1
#: The most ids one form field is read for.
MAX_ITEMS = 500


def key(value: Any) -> int | None:
    """The id `value` names, or None."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= LARGEST else None


def ids(values: Iterable[Any], limit: int = MAX_ITEMS) -> list[int]:
    """The ids among posted values (anything else is ignored), at most `limit` of them."""
    found = (key(value) for value in list(values)[:limit])
    return [number for number in found if number is not None]
