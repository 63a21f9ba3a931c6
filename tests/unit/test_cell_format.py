"""How numbers are written: worked calculations whose written operands give the written result by hand."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.cell_format import column_format, expansion_text, format_value, reproducing
from scratchnet import DenseNetwork, TapeRecorder
from scratchnet.debugger.explain import explain


def by_hand(texts: list[str]) -> Fraction:
    raw, mean, std = (Fraction(t.replace(",", "").replace("−", "-")) for t in texts)
    return (raw - mean) / std


def test_four_digits_that_would_not_reproduce_get_more():
    raw, mean, std = 3329.4, 1980.9, 876.64
    shown = format_value((raw - mean) / std).strip()
    assert shown == "1.5383"
    texts = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, shown)
    assert texts == ["3,329.4", "1,980.9", "876.64"]  # 3,329 − 1,981 over 876.6 would give 1.5378
    assert within_half_a_unit(by_hand(texts), shown)


def test_digits_stay_at_four_when_four_reproduce():
    assert reproducing((3000.0, 2000.0, 500.0), lambda r, m, s: (r - m) / s, "2.0000") == ["3,000", "2,000", "500"]


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(1e-3, 1e6))
def test_a_hand_calculation_from_the_written_operands_gives_the_written_result(raw, mean, std):
    shown = format_value((raw - mean) / std).strip()
    texts = reproducing((raw, mean, std), lambda r, m, s: (r - m) / s, shown)
    assert within_half_a_unit(by_hand(texts), shown)


def test_a_column_of_raw_values_has_one_format():
    values = np.array([316500.0, 92500.0, -300000.0, 12.5])
    texts = [column_format(values)(v) for v in values]
    assert texts == ["316500", "92500", "−300000", "12"]  # −300000.0 would not fit 8 characters
    small = np.array([1.5, -2.25, 10.0])
    assert [column_format(small)(v) for v in small] == ["1.5000", "−2.2500", "10.0000"]
    huge = np.array([3e12, -4.5e9, np.nan])
    assert [column_format(huge)(v) for v in huge] == ["3.0e+12", "−4.5e+09", "NaN"]
    assert all(len(column_format(values)(v)) <= 8 for v in values)


@st.composite
def small_tapes(draw):
    """Networks small enough that every expansion writes out all its operands (at most 4 terms)."""
    sizes = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(2, 4)))]
    rows = draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-2, 3))
    X = rng.normal(size=(rows, sizes[0])) * scale
    y = rng.normal(size=(rows, sizes[-1])) * scale
    recorder = TapeRecorder()
    DenseNetwork.initialise(sizes, rng).step(X, y, draw(st.sampled_from([0.01, 0.1, 0.003])), record=recorder)
    return recorder.tape


def worked_by_hand(text: str) -> Fraction:
    """The calculation between the formula and the total, worked exactly as written (· is ×, − is minus)."""
    body = text.split(" = ")[2].replace("·", "*").replace("−", "-")
    exact = re.sub(r"\d[\d.]*(?:e[+-]\d+)?", lambda m: f"F('{m.group(0)}')", body)
    return eval(exact, {"__builtins__": {}, "F": Fraction})  # our own digits and operators, nothing else


def within_half_a_unit(value: Fraction, shown: str) -> bool:
    """`shown` is `value` to its last digit: strictly less than half a unit of that digit away."""
    written = Decimal(shown.replace("−", "-"))
    return abs(value - Fraction(written)) < Fraction(5, 10) * Fraction(10) ** written.as_tuple().exponent


@settings(max_examples=25, deadline=None)
@given(small_tapes())
def test_every_written_out_expansion_reproduces_its_total_by_hand(tape):
    checked = set()
    for phase in tape:
        for name, array in phase.outputs.items():
            matrix = np.atleast_2d(array)
            for row, column in np.ndindex(matrix.shape):
                explanation = explain(tape, phase, name, row, column)
                if not explanation.complete:
                    continue
                text = expansion_text(explanation)
                shown = text.rsplit(" = ", 1)[1]
                assert within_half_a_unit(worked_by_hand(text), shown), text
                checked.add(phase.kind)
    assert checked == {"forward", "error", "loss", "loss_gradient", "weight", "bias", "input", "update"}
