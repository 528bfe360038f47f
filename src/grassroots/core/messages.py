"""Sentences that pure modules (no Django) produce for people, kept translatable.

A `Message` is an English `str` (so it prints, compares and logs as usual) that also remembers its
template and parameters. Services store `as_data()`; pages call `core.i18n.render_message()` to show
it in the reader's language. Templates are marked with `gettext_noop` so `makemessages` finds them.
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a template for translation without translating it now (and without importing Django)."""
    return message


class Message(str):
    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = {k: str(v) for k, v in params.items()}
        return text

    def as_data(self) -> dict[str, Any]:
        return {"message": self.template, "params": self.params}
