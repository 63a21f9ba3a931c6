"""What both loss plots draw, without a picture: ticks, the log taken once, thinning, missing losses, styles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_tui.loss_curves import CurveKind, LossSeries, prepare, styles_for, thin
from backprop_tui.plot_scale import epoch_ticks, linear_ticks, log_ticks, loss_axis


def test_linear_ticks_are_round_and_inside_the_range():
    assert linear_ticks(0.0536, 8.25, 5) == ([2.0, 4.0, 6.0, 8.0], ["2", "4", "6", "8"])
    values, labels = linear_ticks(0.0033, 0.0041, 5)
    assert labels == ["0.0034", "0.0036", "0.0038", "0.0040"] and all(0.0033 <= v <= 0.0041 for v in values)


def test_linear_ticks_near_the_largest_float_do_not_overflow():
    values, labels = linear_ticks(1e308, 1.79e308, 5)
    assert all(math.isfinite(v) for v in values) and labels[0] == "1.0e+308"


def test_log_ticks_are_powers_of_ten_then_multiples_then_round_losses():
    assert log_ticks(-2.5, 0.88, 5) == ([-2.0, -1.0, 0.0], ["10⁻²", "10⁻¹", "10⁰"])
    assert log_ticks(-1.9, 0.95, 5)[1] == ["3×10⁻²", "10⁻¹", "3×10⁻¹", "10⁰", "3×10⁰"]
    assert log_ticks(-30, 300, 5)[1] == ["10⁰", "10¹⁰⁰", "10²⁰⁰", "10³⁰⁰"]
    positions, labels = log_ticks(math.log10(0.0033), math.log10(0.0041), 5)
    assert labels == ["0.0034", "0.0036", "0.0038", "0.0040"]
    assert positions == pytest.approx([math.log10(float(label)) for label in labels])


def test_epoch_ticks_are_whole_epochs():
    assert epoch_ticks(0, 124, 7)[1] == ["0", "20", "40", "60", "80", "100", "120"]
    assert epoch_ticks(3, 9_999, 6)[1] == ["2,000", "4,000", "6,000", "8,000"]
    assert epoch_ticks(0, 1, 6)[0] == [0.0, 1.0]


def test_a_linear_loss_axis_starts_at_zero_unless_the_losses_settled_far_from_it():
    assert loss_axis(np.array([7.5, 0.0033]), False, 5).low == 0.0
    assert loss_axis(np.array([0.0041, 0.0033]), False, 5).low == 0.0033


def test_the_log_is_taken_once_and_preparing_again_gives_the_same_picture():
    losses = [10.0, 1.0, 0.1, 0.01]
    first = prepare([LossSeries("training", losses)], log_scale=True, columns=100)
    again = prepare([LossSeries("training", losses)], log_scale=True, columns=100)
    (epochs, heights), = first.curves[0].runs
    assert heights == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])  # evenly spaced decades, top to bottom
    assert np.array_equal(heights, again.curves[0].runs[0][1]) and first.y == again.y
    assert losses == [10.0, 1.0, 0.1, 0.01]


def test_thinning_keeps_both_ends_and_every_column_extreme_in_order():
    rng = np.random.default_rng(0)
    heights = rng.random(10_000)
    heights[4_321] = 9.0
    epochs = np.arange(10_000, dtype=np.float64)
    kept_x, kept_y = thin(epochs, heights, 0.0, 9_999.0, 200)
    assert len(kept_x) <= 2 * 200 + 2
    assert kept_x[0] == 0 and kept_x[-1] == 9_999 and np.all(np.diff(kept_x) > 0)
    assert 4_321 in kept_x and kept_y.max() == 9.0 and kept_y.min() == heights.min()


def test_missing_losses_cut_the_curve_and_are_counted_with_their_first_epoch():
    losses = [3.0, 2.0, math.nan, 1.5, 1.0, math.inf, 0.5, 0.0, -1.0, 0.25]
    linear = prepare([LossSeries("training", losses)], log_scale=False, columns=50)
    curve = linear.curves[0]
    assert [list(run[0]) for run in curve.runs] == [[0, 1], [3, 4], [6, 7, 8, 9]]
    assert (curve.missing.not_finite, curve.missing.not_positive, curve.missing.first_epoch) == (2, 0, 2)
    assert list(curve.missing.epochs) == [2, 5]
    log = prepare([LossSeries("training", losses)], log_scale=True, columns=50).curves[0]
    assert (log.missing.not_finite, log.missing.not_positive) == (2, 2)
    assert [list(run[0]) for run in log.runs] == [[0, 1], [3, 4]] and 6 in log.dots[0] and 9 in log.dots[0]


def test_a_curve_cut_into_many_pieces_is_still_a_bounded_drawing():
    losses = [math.nan if epoch % 2 else 1.0 + epoch for epoch in range(5_001)]
    frame = prepare([LossSeries("training", losses)], log_scale=False, columns=100)
    assert len(frame.curves[0].runs) <= 64 and frame.curves[0].missing.not_finite == 2_500
    assert len(frame.curves[0].missing.epochs) <= 100
    assert frame.summary == "✗ not drawn: training 2,500 NaN/inf from epoch 1"


def test_every_kind_has_its_own_style_and_a_fourth_branch_is_refused():
    kinds = [CurveKind.TRAINING, CurveKind.HELD_OUT, CurveKind.RUNNING, *[CurveKind.BRANCH] * 3]
    styles = styles_for([LossSeries(str(n), [1.0], kind=kind) for n, kind in enumerate(kinds)])
    assert len({style.glyph for style in styles}) == len({style.shape for style in styles}) == 6
    assert len({style.dash for style in styles}) == 6
    with pytest.raises(ValueError, match="at most 3 branches"):
        styles_for([LossSeries(str(n), [1.0], kind=CurveKind.BRANCH) for n in range(4)])


def test_a_branch_starts_at_its_own_epoch():
    frame = prepare([LossSeries("training", [1.0] * 10), LossSeries("η = 0.1", [2.0] * 5, 20, CurveKind.BRANCH)],
                    log_scale=False, columns=50)
    assert frame.x.high == 24 and list(frame.curves[1].runs[0][0]) == [20, 21, 22, 23, 24]
