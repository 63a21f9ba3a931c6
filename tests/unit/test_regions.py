"""Decision regions: a grid of square cells over the data's plane, each holding the class the network's own forward
pass predicts at its centre; and predicted against true for a regression, in the target's units."""

from __future__ import annotations

import numpy as np
import pytest

from backprop_tui.config import RunConfig, build_run
from scratchnet import run_epochs
from scratchnet.regions import MARGIN, decision_regions, plane_grid, predicted_against_true


@pytest.fixture(scope="module")
def spiral():
    run = build_run(RunConfig(dataset="spiral", hidden=(8, 8), activations=("relu", "tanh"), samples=90))
    run_epochs(run.network, run.dataset.X, run.dataset.y, 0.5, 0, 30)
    return run


def test_the_grid_has_the_shape_asked_for_with_square_cells_row_0_on_top(spiral):
    X = spiral.dataset.X
    grid = decision_regions(spiral.network, spiral.network.parameters, X, 30, 50)
    assert grid.shape == (30, 50) and grid.classes.shape == (30, 50) and grid.points.shape == (1500, 2)
    assert np.allclose(np.diff(grid.x1), grid.step) and np.allclose(np.diff(grid.x2), -grid.step)
    margin = MARGIN * max(np.ptp(X[:, 0]), np.ptp(X[:, 1])) - 1e-9  # every point a margin in from the grid's edges
    half = grid.step / 2
    assert X[:, 0].min() - (grid.x1[0] - half) >= margin and (grid.x1[-1] + half) - X[:, 0].max() >= margin
    assert (grid.x2[0] + half) - X[:, 1].max() >= margin and X[:, 1].min() - (grid.x2[-1] - half) >= margin


def test_each_cell_holds_the_class_the_network_predicts_at_its_centre(spiral):
    parameters = spiral.network.parameters
    grid = decision_regions(spiral.network, parameters, spiral.dataset.X, 12, 20)
    scores = spiral.network.predict(grid.points, parameters)
    assert np.array_equal(grid.classes.ravel(), scores.argmax(axis=1))
    assert set(np.unique(grid.classes)) <= {0, 1, 2} and len(np.unique(grid.classes)) > 1  # a trained spiral splits


def test_other_parameters_give_their_own_regions_and_leave_the_network_alone(spiral):
    network, X = spiral.network, spiral.dataset.X
    before = [w.copy() for w, _ in network.parameters]
    initial = decision_regions(network, spiral.initial_parameters, X, 12, 20)
    scores = network.predict(initial.points, spiral.initial_parameters)
    assert np.array_equal(initial.classes.ravel(), scores.argmax(axis=1))
    assert all(np.array_equal(w, b) for (w, _), b in zip(network.parameters, before))


def test_a_point_is_located_in_the_cell_whose_centre_is_nearest(spiral):
    grid = decision_regions(spiral.network, spiral.network.parameters, spiral.dataset.X, 24, 40)
    rows, cols = grid.locate(grid.points)
    assert np.array_equal(rows, np.repeat(np.arange(24), 40)) and np.array_equal(cols, np.tile(np.arange(40), 24))
    rows, cols = grid.locate(spiral.dataset.X)
    X = spiral.dataset.X
    assert np.all(np.abs(grid.x1[cols] - X[:, 0]) <= grid.step / 2 + 1e-12)
    assert np.all(np.abs(grid.x2[rows] - X[:, 1]) <= grid.step / 2 + 1e-12)


def test_nan_parameters_predict_no_class(spiral):
    broken = [(np.full_like(w, np.nan), b) for w, b in spiral.network.parameters]
    assert np.all(decision_regions(spiral.network, broken, spiral.dataset.X, 4, 6).classes == -1)


def test_the_plane_needs_two_features_and_a_grid():
    with pytest.raises(ValueError, match="2 features"):
        plane_grid(np.zeros((5, 3)), 4, 4)
    with pytest.raises(ValueError, match="at least one row"):
        plane_grid(np.zeros((5, 2)), 0, 4)
    x1, x2, step = plane_grid(np.array([[0.0, 0.0], [np.nan, 1.0]]), 3, 3)  # one finite point: still a grid
    assert len(x1) == len(x2) == 3 and step > 0


def test_predicted_against_true_is_in_the_targets_units():
    run = build_run(RunConfig(samples=50))
    network, data = run.network, run.dataset
    predicted, true = predicted_against_true(network, network.parameters, data.X, data.y, data.target_scaler)
    scale, mean = data.target_scaler.std[0], data.target_scaler.mean[0]
    assert np.allclose(true, data.y[:, 0] * scale + mean)
    assert np.allclose(predicted, network.predict(data.X)[:, 0] * scale + mean)
