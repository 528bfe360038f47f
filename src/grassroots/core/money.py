"""Money is a `Decimal` in CNY with two places, never a float.

`money()` is the one door through which amounts enter the system; `MoneyField` the one column type.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext as _

from .errors import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount a column holds (14 digits, two after the point).
MAX_AMOUNT = Decimal("999999999999.99")


def money(value: Any) -> Decimal:
    """Parse an amount (str, int or Decimal; floats are refused) into CNY with two places."""
    if isinstance(value, float):
        raise ValidationError(_("Amounts must be given as decimal text, not as a float: %(v)r") % {"v": value})
    if isinstance(value, bool):
        raise ValidationError(_("“%(v)s” is not an amount of money.") % {"v": value})
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("“%(v)s” is not an amount of money.") % {"v": value}) from None
    if not amount.is_finite():
        raise ValidationError(_("“%(v)s” is not an amount of money.") % {"v": value})
    # The size is checked first: quantizing a huge exponent (1e30) would overflow the decimal context.
    if abs(amount) > MAX_AMOUNT:
        raise ValidationError(_("The amount %(v)s is too large.") % {"v": value})
    if amount != amount.quantize(CENT):
        raise ValidationError(_("An amount has at most two decimal places: %(v)s") % {"v": value})
    return amount.quantize(CENT)


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (a share, a scaled tranche) half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal | None]) -> Decimal:
    """Sum amounts exactly; `None` (an empty aggregate) counts as zero."""
    result = ZERO
    for amount in amounts:
        if amount is not None:
            result += amount
    return result.quantize(CENT)


def sum_of(rows: Any, field: str) -> Decimal:
    """Exact total of a money column of a queryset, summed here: SQLite's SUM adds decimals as floats."""
    return total(rows.values_list(field, flat=True))


def split(amount: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Split `amount` by percentages summing to 100, the last part taking the rounding remainder.

    The parts always add up to the amount exactly, so tranches never drift from the contract sum.
    """
    if sum(percents, Decimal(0)) != Decimal(100) or any(p < 0 for p in percents):
        raise ValidationError(_("The shares must add up to 100%."))
    parts = [round_money(amount * p / 100) for p in percents[:-1]]
    parts.append(amount - sum(parts, ZERO))
    if amount >= 0 and parts[-1] < 0:  # rounding up many small parts overshot: take the cents back from them
        parts = [(amount * p / 100).quantize(CENT, rounding=ROUND_DOWN) for p in percents[:-1]]
        parts.append(amount - sum(parts, ZERO))
    return parts


def format_cny(amount: Decimal | None) -> str:
    """Format for display: ¥1,234.50."""
    if amount is None:
        return "—"
    return f"¥{amount:,.2f}"


class MoneyField(models.DecimalField):
    """A non-negative CNY amount with two places."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", ZERO)
        validators = list(kwargs.pop("validators", []))
        validators.append(MinValueValidator(ZERO))
        kwargs["validators"] = validators
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        for key, default in (("max_digits", 14), ("decimal_places", 2)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs
