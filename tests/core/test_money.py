"""Money enters through `money()` (Decimal CNY, two places, never a float) and is split exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.core.errors import ValidationError
from grassroots.core.money import MAX_AMOUNT, format_cny, money, round_money, split, total

D = Decimal


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("100", D("100.00")),
        ("100.5", D("100.50")),
        ("1,234.56", D("1234.56")),
        (" ¥1,234.50 ", D("1234.50")),
        ("￥8", D("8.00")),
        (12, D("12.00")),
        (D("0.10"), D("0.10")),
        ("1E+2", D("100.00")),
        ("999999999999.99", MAX_AMOUNT),
        ("-5", D("-5.00")),
    ],
)
def test_amounts_are_parsed_to_two_places(given_value: object, expected: Decimal) -> None:
    amount = money(given_value)
    assert amount == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("value", [1.5, 0.1, 100.0])
def test_floats_are_refused(value: float) -> None:
    with pytest.raises(ValidationError, match="not as a float"):
        money(value)


@pytest.mark.parametrize("value", ["1.234", "0.001", D("12.345"), "1e-30"])
def test_more_than_two_places_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="two decimal places"):
        money(value)


@pytest.mark.parametrize("value", ["", "abc", "12 yuan", "1.2.3", None, "NaN", "Infinity", "-inf", [], True])
def test_garbage_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="not an amount"):
        money(value)


@pytest.mark.parametrize("value", ["1000000000000", "1e20", "1e30", "-1E+400"])
def test_amounts_beyond_a_column_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="too large"):
        money(value)


def test_round_money_rounds_half_up_to_the_cent() -> None:
    assert round_money(D("0.005")) == D("0.01")
    assert round_money(D("0.0049")) == D("0.00")
    assert round_money(D("37037.034")) == D("37037.03")


def test_total_sums_exactly_and_counts_none_as_zero() -> None:
    assert total([D("0.10")] * 10) == D("1.00")
    assert total([None, D("2.50"), None]) == D("2.50")
    assert total([]) == D("0.00")


def test_split_gives_the_remainder_to_the_last_part() -> None:
    assert split(D("123456.78"), [D(30), D(40), D(30)]) == [D("37037.03"), D("49382.71"), D("37037.04")]
    assert split(D("100.00"), [D(100)]) == [D("100.00")]
    assert split(D("0.01"), [D(50), D(50)]) == [D("0.01"), D("0.00")]


def test_split_wants_shares_adding_up_to_100() -> None:
    with pytest.raises(ValidationError, match="100%"):
        split(D("100.00"), [D(30), D(30)])


def test_format_cny() -> None:
    assert format_cny(D("1234.5")) == "¥1,234.50"
    assert format_cny(None) == "—"


cents = st.integers(min_value=0, max_value=10**13).map(lambda c: D(c) / 100)
shares = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8).map(
    lambda weights: [D(w) * 100 / sum(weights) for w in weights]
)


@given(cents, shares)
def test_split_parts_always_sum_to_the_total(amount: Decimal, percents: list[Decimal]) -> None:
    percents[-1] = D(100) - sum(percents[:-1], D(0))  # make the shares add up to exactly 100
    parts = split(amount, percents)
    assert len(parts) == len(percents)
    assert sum(parts, D(0)) == amount
    assert all(p == p.quantize(D("0.01")) for p in parts)


@given(cents)
def test_the_usual_tranche_schedule_splits_into_non_negative_parts(amount: Decimal) -> None:
    parts = split(amount, [D(30), D(40), D(30)])
    assert sum(parts, D(0)) == amount
    assert all(p >= 0 for p in parts)
    assert all(abs(p - amount * s / 100) < D("0.02") for p, s in zip(parts, (30, 40, 30), strict=True))


@given(st.decimals(min_value=-(10**12) + 1, max_value=10**12 - 1, places=2, allow_nan=False, allow_infinity=False))
def test_any_two_place_amount_round_trips_through_text(amount: Decimal) -> None:
    assert money(str(amount)) == amount
    assert money(f"{amount:,}") == amount


def test_split_never_gives_a_negative_part() -> None:
    from grassroots.core.money import split

    parts = split(Decimal("0.03"), [Decimal("25")] * 4)
    assert sum(parts) == Decimal("0.03") and all(p >= 0 for p in parts)
