"""Ids typed or posted by people: only whole numbers a key column can hold are ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from grassroots.core.keys import LARGEST, ids, key


def test_what_is_an_id() -> None:
    assert key("42") == 42 and key(" 7 ") == 7 and key(LARGEST) == LARGEST
    for value in ("", "0", "-3", "1.5", "abc", "٣", "²", str(LARGEST + 1), "9" * 30, None):
        assert key(value) is None, value


def test_ids_keep_the_order_drop_the_rest_and_stop_at_the_limit() -> None:
    assert ids(["3", "x", "9" * 25, "1"]) == [3, 1]
    assert ids([str(n) for n in range(1, 20)], limit=5) == [1, 2, 3, 4, 5]


@given(st.text())
def test_no_text_breaks_it(text: str) -> None:
    found = key(text)
    assert found is None or 0 < found <= LARGEST
