"""Small helpers shared by every app's permission checks (the rules themselves live in each service)."""

from __future__ import annotations

from typing import Any

from .errors import Forbidden


def require(condition: bool, message: str) -> None:
    """Refuse with `message` unless `condition` holds."""
    if not condition:
        raise Forbidden(message)


def is_staff(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_superuser", False))
