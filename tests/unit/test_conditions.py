"""Break conditions: every form parses to what it says, prints back to itself, and every mistake says where."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnet.conditions import (
    Both,
    Compare,
    ConditionError,
    Either,
    Flag,
    Not,
    Quantity,
    check_matrices,
    evaluate,
    holds_where,
    leaves,
    matrices,
    parse_condition,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("nan", Flag("nan")),
    ("loss_up", Flag("loss_up")),
    ("loss < 0.05", Compare(Quantity("loss"), "<", 0.05)),
    ("test_loss<=1e-3", Compare(Quantity("test_loss"), "<=", 1e-3)),
    ("acc >= .9", Compare(Quantity("acc"), ">=", 0.9)),
    ("test_acc > 0.5", Compare(Quantity("test_acc"), ">", 0.5)),
    ("epoch == 40", Compare(Quantity("epoch"), "==", 40.0)),
    ("epoch != 3", Compare(Quantity("epoch"), "!=", 3.0)),
    ("norm(dW2) > 10", Compare(Quantity("norm", "dW2"), ">", 10.0)),
    ("norm(∂L/∂W₂) > 10", Compare(Quantity("norm", "dW2"), ">", 10.0)),
    ("norm(dW₂) > 10", Compare(Quantity("norm", "dW2"), ">", 10.0)),
    ("norm( dL_dyhat ) > 1", Compare(Quantity("norm", "dL/dŷ"), ">", 1.0)),
    ("norm(W2_new) > inf", Compare(Quantity("norm", "W2'"), ">", math.inf)),
    ("norm(mhatW1) > 2", Compare(Quantity("norm", "m̂W1"), ">", 2.0)),
    ("ratio(W1) > 0.01", Compare(Quantity("ratio", "W1"), ">", 0.01)),
    ("ratio(b3) < -1", Compare(Quantity("ratio", "b3"), "<", -1.0)),
    ("not nan", Not(Flag("nan"))),
])
def test_every_form_parses_to_what_it_says(text, expected):
    assert parse_condition(text) == expected


def test_and_binds_tighter_than_or_and_parentheses_override_it():
    a, b, c = Flag("nan"), Flag("loss_up"), Compare(Quantity("epoch"), "==", 3.0)
    assert parse_condition("nan or loss_up and epoch == 3") == Either((a, Both((b, c))))
    assert parse_condition("(nan or loss_up) and epoch == 3") == Both((Either((a, b)), c))
    assert parse_condition("not nan and loss_up") == Both((Not(a), b))
    assert parse_condition("nan or loss_up or epoch == 3") == Either((a, b, c))
    assert str(parse_condition("(nan or loss_up) and epoch == 3")) == "(nan or loss_up) and epoch == 3"


@pytest.mark.parametrize(("text", "column", "words"), [
    ("", 1, "empty condition"),
    ("loss", 5, "expected a comparison"),
    ("loss <", 7, "expected a number"),
    ("loss < x", 8, "expected a number, not 'x'"),
    ("los < 1", 1, "unknown name 'los'"),
    ("__import__('os')", 1, "unknown name '__import__'"),
    ("__import__('os').system('true')", 1, "unknown name '__import__'"),
    ("loss < 1; import os", 9, "unexpected ';'"),
    ("norm(dW2", 6, "expected a matrix name and ')'"),
    ("norm dW2 > 1", 6, "norm needs a matrix in parentheses"),
    ("ratio(dW2) > 1", 7, "ratio reads a weight or a bias"),
    ("(nan", 5, "expected ')' to close the '(' at column 1"),
    ("nan nan", 5, "unexpected 'nan' after a whole condition"),
    ("nan and", 8, "ends too soon"),
    ("1 < loss", 1, "expected a condition, not '1'"),
    ("loss ~ 1", 6, "unexpected '~'"),
    ("loss < 1 2", 10, "unexpected '2'"),
    ("loss = 1", 6, "unexpected '='"),
    ("nan)", 4, "unexpected ')'"),
])
def test_a_bad_condition_says_what_and_where_in_one_line(text, column, words):
    with pytest.raises(ConditionError) as raised:
        parse_condition(text)
    assert raised.value.column == column and words in raised.value.message
    assert "\n" not in str(raised.value) and f"column {column}" in str(raised.value)


def test_a_matrix_the_network_does_not_have_is_named_with_its_place():
    names = {"W1", "b1", "dW1", "db1", "dX1", "W2", "dW2", "Z1", "loss"}
    text = "loss < 1 or norm(dW9) > 2"
    condition = parse_condition(text)
    check_matrices(parse_condition("norm(dW2) > 1"), names, "norm(dW2) > 1")
    with pytest.raises(ConditionError) as raised:
        check_matrices(condition, names, text)
    assert raised.value.column == text.index("dW9") + 1 and "no matrix 'dW9'" in raised.value.message
    assert matrices(parse_condition("norm(dW1) > 1 and ratio(W2) > 2 or norm(dW1) < 3")) == ["dW1", "W2"]


def test_evaluation_treats_a_measure_not_taken_as_never_holding():
    condition = parse_condition("test_loss < 1 or not (acc >= 0.5)")
    values = {"test_loss": None, "acc": 0.7}
    assert not evaluate(condition, lambda leaf: values[str(leaf.quantity)])
    values["acc"] = math.nan
    assert evaluate(condition, lambda leaf: values[str(leaf.quantity)])  # not (NaN ≥ 0.5): NaN compares false


# --- print and parse again: stable ------------------------------------------------------------------------------

_numbers = st.one_of(st.floats(allow_nan=False, width=64), st.integers(-10**6, 10**6).map(float))
_quantities = st.one_of(
    st.sampled_from(["loss", "test_loss", "acc", "test_acc", "epoch"]).map(Quantity),
    st.sampled_from(["dW1", "db2", "dX2", "W1'", "dL/dŷ", "Z1", "m̂W1"]).map(lambda name: Quantity("norm", name)),
    st.sampled_from(["W1", "b2", "W3"]).map(lambda name: Quantity("ratio", name)),
)
_leaves = st.one_of(
    st.sampled_from(["nan", "loss_up"]).map(Flag),
    st.builds(Compare, _quantities, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _numbers),
)
_conditions = st.recursive(_leaves, lambda inner: st.one_of(
    inner.map(Not),
    st.lists(inner, min_size=2, max_size=3).map(lambda parts: Both(tuple(parts))),
    st.lists(inner, min_size=2, max_size=3).map(lambda parts: Either(tuple(parts))),
), max_leaves=8)


@given(_conditions)
def test_printing_a_condition_and_reading_it_again_is_stable(condition):
    text = str(condition)
    again = parse_condition(text)
    assert str(again) == text
    assert str(parse_condition(str(again))) == text
    assert _truth_table(again) == _truth_table(condition)


def _truth_table(condition) -> list[bool]:
    """The condition's value over a few fixed readings: printing may regroup, but never change the meaning."""
    tables = []
    for seed in range(4):
        def value(leaf, seed=seed):
            if isinstance(leaf, Flag):
                return (hash(leaf.name) + seed) % 2 == 0
            return float((seed * 7 + len(str(leaf.quantity))) % 5 - 2) * 10 ** (seed - 2)
        tables.append(evaluate(condition, value))
    return tables


# --- many iterations at once: the same answer as one at a time -------------------------------------------------------

_values = st.one_of(st.none(), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0]), _numbers)


@given(_conditions, st.integers(1, 6), st.data())
def test_holding_over_many_iterations_at_once_agrees_with_each_iteration_on_its_own(condition, rows, data):
    arrays: dict[int, object] = {}
    for leaf in leaves(condition):  # each leaf one value for every row, or one each (never None inside an array)
        if isinstance(leaf, Flag):
            arrays[id(leaf)] = data.draw(st.one_of(st.booleans(), st.lists(st.booleans(), min_size=rows,
                                                                           max_size=rows).map(np.array)))
        else:
            arrays[id(leaf)] = data.draw(st.one_of(_values, st.lists(
                _values.filter(lambda value: value is not None), min_size=rows, max_size=rows).map(np.array)))
        if isinstance(leaf, Compare) and data.draw(st.booleans()):  # values on the threshold itself
            arrays[id(leaf)] = np.full(rows, leaf.value)
    held = holds_where(condition, lambda leaf: arrays[id(leaf)], rows)
    assert held.shape == (rows,) and held.dtype == bool
    for row in range(rows):
        def value(leaf, row=row):
            shared = arrays[id(leaf)]
            return shared[row].item() if isinstance(shared, np.ndarray) else shared

        assert bool(held[row]) == evaluate(condition, value), (str(condition), row)


@pytest.mark.parametrize("text", ["norm(dW1) != 1", "not norm(dW1) != 1", "norm(dW1) > 1 or epoch == 2",
                                  "nan and norm(dW1) <= 1"])
def test_a_value_not_measured_holds_for_no_comparison_over_many_iterations_either(text):
    condition = parse_condition(text)
    norms, flags = np.array([math.nan, 1.0, 2.0, -math.inf]), np.array([True, False, True, True])

    def value(leaf, row=None):
        shared = flags if isinstance(leaf, Flag) else norms if leaf.quantity.matrix else 2.0
        return shared if row is None or not isinstance(shared, np.ndarray) else shared[row].item()

    expected = [evaluate(condition, lambda leaf, row=row: value(leaf, row)) for row in range(4)]
    assert holds_where(condition, value, 4).tolist() == expected
