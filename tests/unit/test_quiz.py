"""The quiz's judge, without the app."""

from __future__ import annotations

import numpy as np

from backprop_tui.quiz import judge


def test_values_on_a_large_result_are_ignored_and_the_shape_is_scored():
    result = np.zeros((1000, 1))
    verdict = judge("1000×1; 5", result)
    assert verdict.right and "shape 1000×1 ✓" in verdict.message and "values ignored" in verdict.message
    wrong = judge("1000x4; 5", result)
    assert not wrong.right and "values ignored" in wrong.message and "not 1000x4" in wrong.message
    alone = judge("5", result)  # nothing left to score
    assert not alone.right and "values ignored" in alone.message and "1000×1" in alone.message
