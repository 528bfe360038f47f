"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters from a 31-letter alphabet (digits and capitals without I, O, Z, S, V): a
registration-authority code, an organization-type code, a six-digit administrative division code,
the nine-character organization code, and a check character computed with weights 3^i mod 31.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .errors import ValidationError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def check_character(first17: str) -> str:
    """The check character for the first seventeen characters of a code."""
    remainder = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True)) % 31
    return ALPHABET[(31 - remainder) % 31]


def validate_uscc(code: str) -> str:
    """Return the normalised code, or raise a ValidationError saying what is wrong with it."""
    normal = (code or "").strip().upper()
    if len(normal) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; “%(code)s” has %(n)d.")
            % {"code": code, "n": len(normal)}
        )
    if not _SHAPE.match(normal):
        raise ValidationError(
            _(
                "“%(code)s” contains characters a unified social credit code cannot have (I, O, Z, S, V "
                "or punctuation), or its division code is not six digits."
            )
            % {"code": code}
        )
    expected = check_character(normal[:17])
    if normal[17] != expected:
        raise ValidationError(
            _("The check character of “%(code)s” should be %(expected)s: the code is mistyped.")
            % {"code": code, "expected": expected}
        )
    return normal


def make_uscc(authority: str, kind: str, division: str, serial: str) -> str:
    """Build a valid code from its parts (used by the demo and by tests)."""
    body = f"{authority}{kind}{division}{serial}".upper()
    if len(body) != 17:
        raise ValueError("authority(1) + kind(1) + division(6) + serial(9) must make 17 characters")
    return body + check_character(body)


def uscc_validator(value: str) -> None:
    """Field validator form of `validate_uscc`."""
    validate_uscc(value)
