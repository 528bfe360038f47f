"""Unified social credit codes (GB 32100-2015): shape, alphabet and check character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.core.errors import ValidationError
from grassroots.core.uscc import ALPHABET, check_character, make_uscc, validate_uscc

REAL_EXAMPLE = "91350100M000100Y43"  # the standard's own worked example


@pytest.mark.parametrize(
    "code",
    [
        REAL_EXAMPLE,
        make_uscc("5", "2", "310104", "MJ0000001"),
        make_uscc("1", "1", "350102", "GR0000001"),
        make_uscc("9", "1", "440300", "MA5DXY123"),
    ],
)
def test_valid_codes_pass_and_come_back_normalised(code: str) -> None:
    assert validate_uscc(code) == code
    assert validate_uscc(f"  {code.lower()} ") == code


def test_the_check_character_of_the_real_example() -> None:
    assert check_character(REAL_EXAMPLE[:17]) == "3"


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_a_code_of_the_wrong_length_is_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="18 characters"):
        validate_uscc(code)


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V", "-", "*"])
def test_letters_outside_the_alphabet_are_refused(bad: str) -> None:
    code = REAL_EXAMPLE[:10] + bad + REAL_EXAMPLE[11:]
    with pytest.raises(ValidationError, match="cannot have"):
        validate_uscc(code)


def test_a_division_code_with_letters_is_refused() -> None:
    with pytest.raises(ValidationError, match="division code"):
        validate_uscc("91A50100M000100Y43")


def test_a_wrong_check_character_is_refused_and_the_right_one_named() -> None:
    with pytest.raises(ValidationError, match="should be 3"):
        validate_uscc(REAL_EXAMPLE[:17] + "4")


def test_make_uscc_wants_seventeen_characters() -> None:
    with pytest.raises(ValueError):
        make_uscc("9", "1", "35010", "M000100Y4")


body = st.text(alphabet=ALPHABET, min_size=2, max_size=2).flatmap(
    lambda head: st.tuples(
        st.just(head),
        st.text(alphabet="0123456789", min_size=6, max_size=6),
        st.text(alphabet=ALPHABET, min_size=9, max_size=9),
    )
)


@given(body, st.sampled_from(ALPHABET))
def test_every_made_code_validates_and_every_other_check_character_fails(
    parts: tuple[str, str, str], other: str
) -> None:
    head, division, serial = parts
    code = make_uscc(head[0], head[1], division, serial)
    assert validate_uscc(code) == code
    if other != code[-1]:
        with pytest.raises(ValidationError):
            validate_uscc(code[:17] + other)


@given(body, st.integers(min_value=0, max_value=16), st.sampled_from(ALPHABET))
def test_a_single_mistyped_character_is_always_caught(parts: tuple[str, str, str], at: int, typo: str) -> None:
    head, division, serial = parts
    code = make_uscc(head[0], head[1], division, serial)
    if code[at] == typo:
        return
    mistyped = code[:at] + typo + code[at + 1 :]
    with pytest.raises(ValidationError):
        validate_uscc(mistyped)
