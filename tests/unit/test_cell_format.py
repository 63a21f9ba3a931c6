"""How numbers are written: worked calculations whose written operands give the written result by hand."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.cell_format import column_format, format_value, reproducing


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


def test_a_column_of_raw_values_has_one_format():
    values = np.array([316500.0, 92500.0, -300000.0, 12.5])
    texts = [column_format(values)(v) for v in values]
    assert texts == ["316500", "92500", "−300000", "12"]  # −300000.0 would not fit 8 characters
    small = np.array([1.5, -2.25, 10.0])
    assert [column_format(small)(v) for v in small] == ["1.5000", "−2.2500", "10.0000"]
    huge = np.array([3e12, -4.5e9, np.nan])
    assert [column_format(huge)(v) for v in huge] == ["3.0e+12", "−4.5e+09", "NaN"]
    assert all(len(column_format(values)(v)) <= 8 for v in values)
