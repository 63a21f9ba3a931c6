"""Seeds, the default run's loss curve, and the one divergence rule."""

import math

import numpy as np

from backprop_tui.config import RunConfig, build_run
from scratchnet import diverged, divergence_message, train


def test_same_seed_same_run_and_samples_do_not_change_the_weights():
    a, b = build_run(RunConfig(seed=5)), build_run(RunConfig(seed=5))
    assert np.array_equal(a.dataset.X, b.dataset.X)
    small = build_run(RunConfig(seed=5, samples=10))
    for (w1, b1), (w2, b2) in zip(a.initial_parameters, small.initial_parameters):
        assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
    other = build_run(RunConfig(seed=6))
    assert not np.array_equal(a.initial_parameters[0][0], other.initial_parameters[0][0])


def test_weights_start_uniform_in_minus_one_one():
    run = build_run(RunConfig(hidden=(64, 64), seed=1))
    values = np.concatenate([np.ravel(a) for pair in run.initial_parameters for a in pair])
    assert values.min() >= -1 and values.max() < 1 and values.min() < -0.9 and values.max() > 0.9


def test_default_run_reproduces_the_article_in_shape():
    run = build_run(RunConfig())
    losses = train(run.network, run.dataset.X, run.dataset.y, 0.01, 125).losses
    assert len(losses) == 125
    assert losses[0] > 1 and losses[120] < 0.01
    assert all(later <= earlier * 1.0001 for earlier, later in zip(losses[20::20], losses[40::20]))


def test_data_is_standardized_and_the_scaler_recovers_dollars():
    dataset = build_run(RunConfig(samples=500)).dataset
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-12)
    raw = dataset.feature_scaler.inverse(dataset.X)
    assert 500 <= raw[:, 0].min() and raw[:, 0].max() <= 3500
    assert set(np.round(raw[:, 1]).astype(int)) <= {1, 2, 3, 4, 5}
    price = dataset.target_scaler.inverse(dataset.y)[:, 0]
    predicted = raw @ np.array([600, 5, 15, 12])
    residual = price - predicted
    assert 20_000 < residual.std() < 40_000


def test_divergence_rule():
    assert diverged(math.inf, 1.0) and diverged(math.nan, 1.0)
    assert diverged(2e6, 1.0) and not diverged(9e5, 1.0)
    assert not diverged(5.0, 0.0)
    assert divergence_message(4, math.inf) == "diverged at epoch 4 (loss = inf): lower the learning rate"


def test_training_stops_at_divergence_without_warnings(recwarn):
    run = build_run(RunConfig(learning_rate=5.0))
    history = train(run.network, run.dataset.X, run.dataset.y, 5.0, 125)
    assert history.diverged_at is not None and history.diverged_at < 125
    assert len(history.losses) == history.diverged_at + 1
    assert diverged(history.losses[-1], history.losses[0])
    assert len(recwarn) == 0
