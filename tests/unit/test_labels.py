"""One-hot targets and back, and accuracy: against hand computations and a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchnet.labels import accuracy, class_indices, labels_of, one_hot, predicted_classes


def test_one_hot_puts_a_single_one_in_the_column_of_each_class():
    encoded = one_hot([2, 0, 1, 2], 3)
    assert encoded.dtype == np.float64
    assert encoded.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert one_hot([1, 0], 2, "float32").dtype == np.float32


@pytest.mark.parametrize("indices, classes", [([0, 3], 3), ([-1, 0], 2), ([[0, 1]], 2)])
def test_one_hot_refuses_indices_outside_the_classes(indices, classes):
    with pytest.raises(ValueError):
        one_hot(indices, classes)


def test_back_from_one_hot_to_indices_and_names():
    y = one_hot([1, 0, 2, 1], 3)
    assert class_indices(y).tolist() == [1, 0, 2, 1]
    assert labels_of(y, ("cat", "dog", "emu")) == ["dog", "cat", "emu", "dog"]
    with pytest.raises(ValueError):
        labels_of(y, ("cat", "dog"))


def test_accuracy_against_a_hand_computation():
    y = one_hot([0, 1, 2, 1, 0], 3)
    scores = np.array([
        [0.7, 0.2, 0.1],    # predicts 0, true 0: right
        [0.1, 0.3, 0.6],    # predicts 2, true 1: wrong
        [-5.0, -4.0, 9.0],  # logits work as well as probabilities: predicts 2, true 2: right
        [0.4, 0.4, 0.2],    # a tie between 0 and 1 goes to 0; true 1: wrong
        [0.5, 0.5, 0.0],    # the same tie; true 0: right
    ])
    assert accuracy(scores, y) == 3 / 5
    assert predicted_classes(scores).tolist() == [0, 2, 2, 0, 0]


def test_a_row_with_nan_predicts_nothing_and_no_rows_is_nan():
    y = one_hot([0, 1], 2)
    assert accuracy(np.array([[np.nan, -1.0], [0.0, 1.0]]), y) == 0.5  # argmax alone would say class 0: right
    assert accuracy(np.array([[np.inf, 1.0], [-np.inf, np.inf]]), y) == 1.0  # infinities still order
    assert np.isnan(accuracy(np.zeros((0, 2)), np.zeros((0, 2))))


def test_accuracy_refuses_scores_of_another_shape():
    with pytest.raises(ValueError):
        accuracy(np.zeros((3, 2)), one_hot([0, 1], 2))


scores_and_classes = st.integers(1, 40).flatmap(lambda n: st.integers(2, 6).flatmap(lambda k: st.tuples(
    hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3, allow_nan=False)),
    hnp.arrays(np.intp, n, elements=st.integers(0, k - 1)),
)))


@given(scores_and_classes)
def test_accuracy_equals_a_plain_loop_with_lowest_index_ties(case):
    scores, truth = case
    right = 0
    for row, true_class in zip(scores.tolist(), truth.tolist()):
        best = 0
        for column, value in enumerate(row):
            if value > row[best]:  # strictly greater: an equal score later on never wins
                best = column
        right += best == true_class
    assert accuracy(scores, one_hot(truth, scores.shape[1])) == right / len(truth)


@given(scores_and_classes)
def test_accuracy_does_not_change_under_softmax_or_a_row_shift(case):
    scores, truth = case
    y = one_hot(truth, scores.shape[1])
    shifted = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    distinct = np.all(np.diff(np.sort(scores, axis=1), axis=1) > 1e-6)  # softmax may merge near-ties
    if distinct:
        assert accuracy(probabilities, y) == accuracy(scores, y)
    assert accuracy(y, y) == 1.0
