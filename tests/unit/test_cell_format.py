"""How numbers are written: worked calculations whose written operands give the written result by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.cell_format import format_value, reproducing


def by_hand(texts: list[str]) -> float:
    raw, mean, std = (float(t.replace(",", "").replace("−", "-")) for t in texts)
    return (raw - mean) / std


def test_four_digits_that_would_not_reproduce_get_more():
    raw, mean, std = 3329.4, 1980.9, 876.64
    shown = format_value((raw - mean) / std).strip()
    assert shown == "1.5383"
    texts = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, shown)
    assert texts == ["3,329.4", "1,980.9", "876.64"]  # 3,329 − 1,981 over 876.6 would give 1.5378
    assert format_value(by_hand(texts)).strip() == shown


def test_digits_stay_at_four_when_four_reproduce():
    assert reproducing((3000.0, 2000.0, 500.0), lambda r, m, s: (r - m) / s, "2.0000") == ["3,000", "2,000", "500"]


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(1e-3, 1e6))
def test_a_hand_calculation_from_the_written_operands_gives_the_written_result(raw, mean, std):
    shown = format_value((raw - mean) / std).strip()
    texts = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, shown)
    assert format_value(by_hand(texts)).strip() == shown
