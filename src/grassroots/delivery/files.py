"""Which uploaded files are accepted as evidence: checked by their content, not only their name (no Django)."""

from __future__ import annotations

from pathlib import PurePath

from grassroots.core.messages import Message, gettext_noop

#: Largest attachment accepted.
MAX_BYTES = 10 * 1024 * 1024

#: File type → (extensions, leading bytes).
SIGNATURES: dict[str, tuple[tuple[str, ...], bytes]] = {
    "image/jpeg": ((".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "image/png": ((".png",), b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ((".pdf",), b"%PDF-"),
}

#: What each kind of attachment may be.
ALLOWED: dict[str, tuple[str, ...]] = {
    "photo": ("image/jpeg", "image/png"),
    "sign_in": ("image/jpeg", "image/png", "application/pdf"),
    "receipt": ("image/jpeg", "image/png", "application/pdf"),
    "other": ("image/jpeg", "image/png", "application/pdf"),
}

EMPTY = gettext_noop("the file %(name)s is empty")
TOO_LARGE = gettext_noop("the file %(name)s is %(size)s MB; at most %(max)s MB are accepted")
UNKNOWN_KIND = gettext_noop("unknown kind of attachment %(kind)s")
NOT_ALLOWED = gettext_noop("%(name)s is not an accepted file for this attachment (accepted: %(types)s)")
MISLABELLED = gettext_noop("%(name)s does not contain what its name says (a %(ext)s file)")

_LABELS = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}


def sniff(head: bytes) -> str | None:
    """The file type its first bytes show, if it is one we know."""
    for content_type, (_ext, magic) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type
    return None


def check(name: str, size: int, head: bytes, kind: str, max_bytes: int = MAX_BYTES) -> tuple[str, Message | None]:
    """(content type, None) for an acceptable file, or ("", the reason it is refused)."""
    if kind not in ALLOWED:
        return "", Message(UNKNOWN_KIND, kind=kind)
    if size <= 0:
        return "", Message(EMPTY, name=name)
    if size > max_bytes:
        return "", Message(TOO_LARGE, name=name, size=f"{size / 1048576:.1f}", max=f"{max_bytes / 1048576:.0f}")
    found = sniff(head)
    types = ", ".join(_LABELS[t] for t in ALLOWED[kind])
    if found is None or found not in ALLOWED[kind]:
        return "", Message(NOT_ALLOWED, name=name, types=types)
    extension = PurePath(name).suffix.lower()
    if extension not in SIGNATURES[found][0]:
        return "", Message(MISLABELLED, name=name, ext=extension or "?")
    return found, None
