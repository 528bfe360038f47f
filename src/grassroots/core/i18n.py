"""Showing stored `Message` data in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext

from .messages import Message


def render_message(stored: Any) -> str:
    """A message ({"message", "params"} as stored, or a live `Message`) in the active language; plain text is
    shown as it is."""
    if isinstance(stored, Message):
        stored = stored.as_data()
    if isinstance(stored, dict) and "message" in stored:
        raw = stored.get("params") or {}
        # Parameters that are themselves catalogue entries (a tie such as "employee") are translated too.
        params = {k: gettext(v) if isinstance(v, str) and v else v for k, v in raw.items()}
        template = gettext(stored["message"])
        try:
            return template % params if params else template
        except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
            return stored["message"] % raw if raw else stored["message"]
    return str(stored)


def message_data(text: Any) -> Any:
    """What to store for a message: its template and parameters when it has them, else the text."""
    as_data = getattr(text, "as_data", None)
    return as_data() if callable(as_data) else str(text)


def in_language(obj: Any, attr: str = "name") -> str:
    """`obj.<attr>` in the reader's language: `<attr>_en` when reading English and it is filled in (names and
    titles are entered in Chinese, with an optional English version)."""
    if obj is None:
        return ""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{attr}_en", "")
        if english:
            return str(english)
    value = getattr(obj, attr, None)
    return str(obj) if value is None else str(value)
