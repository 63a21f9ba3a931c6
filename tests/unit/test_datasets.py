"""The generated classification sets: seeded, balanced, standardized, shaped as documented, one-hot."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.config import RunConfig, build_run
from scratchnet import DataError, make_house_prices, make_rngs
from scratchnet.datasets import DATASETS, class_counts, make_classes, make_dataset

CLASSIFICATION = [name for name, spec in DATASETS.items() if spec.classes is not None]
DOCUMENTED = {  # name: (classes, default samples, default noise), as the README and the module's table say
    "circle": (("disc", "ring"), 500, 0.05),
    "xor": (("opposite", "same"), 500, 0.05),
    "gauss": (("lower", "upper"), 500, 0.5),
    "moons": (("lower", "upper"), 500, 0.1),
    "spiral": (("arm1", "arm2", "arm3"), 600, 0.05),
}


def digest(dataset) -> str:
    sha = hashlib.sha256()
    for array in (dataset.X, dataset.y, dataset.feature_scaler.mean, dataset.feature_scaler.std):
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()


def draw(name: str, seed: int = 0, samples: int | None = None, noise: float | None = None):
    spec = DATASETS[name]
    return make_dataset(name, spec.samples if samples is None else samples, spec.noise if noise is None else noise,
                        make_rngs(seed)[0])


def raw_points(dataset) -> np.ndarray:
    return dataset.feature_scaler.inverse(dataset.X)


def test_the_documented_sets_are_the_classification_sets():
    assert CLASSIFICATION == list(DOCUMENTED)
    for name, (classes, samples, noise) in DOCUMENTED.items():
        spec = DATASETS[name]
        assert (spec.classes, spec.samples, spec.noise, spec.features) == (classes, samples, noise, 2)
        assert list(classes) == sorted(classes)  # the one-hot columns are the classes in sorted order
    assert DATASETS["houses"].classes is None and DATASETS["houses"].samples == 1000


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_same_seed_same_bytes_other_seed_other_bytes(name):
    assert digest(draw(name, seed=3)) == digest(draw(name, seed=3))
    assert digest(draw(name, seed=3)) != digest(draw(name, seed=4))


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_shapes_class_balance_one_hot_and_standardized(name):
    classes, samples, _ = DOCUMENTED[name]
    dataset = draw(name)
    k = len(classes)
    assert dataset.X.shape == (samples, 2) and dataset.y.shape == (samples, k)
    assert dataset.X.dtype == dataset.y.dtype == np.float64
    assert dataset.feature_names == ("x1", "x2") and dataset.class_names == classes and dataset.is_classification
    assert set(np.unique(dataset.y)) == {0.0, 1.0} and np.all(dataset.y.sum(axis=1) == 1)
    assert dataset.y.sum(axis=0).tolist() == [samples // k] * k
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-12)
    assert np.array_equal(dataset.target_scaler.inverse(dataset.y), dataset.y)  # one-hot: its own units
    assert dataset.standardized_coefficients() is None and dataset.notes == ()
    assert name in dataset.source and f"{k} classes" in dataset.source


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_the_rows_come_shuffled(name):
    labels = draw(name).y.argmax(axis=1)
    assert np.count_nonzero(np.diff(labels)) > len(labels) // 4  # not all of one class, then the next


def test_spiral_has_three_classes_the_others_two():
    assert draw("spiral").y.shape[1] == 3
    assert {draw(name).y.shape[1] for name in CLASSIFICATION if name != "spiral"} == {2}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CLASSIFICATION), st.integers(3, 400), st.integers(0, 2**32 - 1))
def test_any_size_and_seed_is_balanced_finite_and_standardized(name, samples, seed):
    dataset = draw(name, seed, samples)
    k = dataset.y.shape[1]
    assert dataset.y.sum(axis=0).tolist() == class_counts(samples, k)
    assert max(class_counts(samples, k)) - min(class_counts(samples, k)) <= 1
    assert np.all(np.isfinite(dataset.X))
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-9)


def test_class_counts_give_the_remainder_to_the_first_classes():
    assert class_counts(500, 2) == [250, 250]
    assert class_counts(7, 3) == [3, 2, 2]
    assert class_counts(3, 3) == [1, 1, 1]


# --- the shapes, drawn without noise ------------------------------------------------------------------


def classes_and_points(name: str, samples: int = 400):
    dataset = draw(name, seed=11, samples=samples, noise=0.0)
    return dataset.y.argmax(axis=1), raw_points(dataset)


def test_circle_is_a_disc_inside_a_ring():
    label, points = classes_and_points("circle")
    radius = np.hypot(points[:, 0], points[:, 1])
    assert radius[label == 0].max() < 0.5 + 1e-9
    assert radius[label == 1].min() >= 0.7 - 1e-9 and radius[label == 1].max() < 1 + 1e-9


def test_xor_is_the_sign_of_the_product_off_the_axes():
    label, points = classes_and_points("xor")
    assert np.array_equal(label == 1, points[:, 0] * points[:, 1] > 0)
    assert np.abs(points).min() >= 0.1 - 1e-9 and np.abs(points).max() < 1 + 1e-9


def test_gauss_without_noise_is_two_points_and_noise_is_their_spread():
    label, points = classes_and_points("gauss")
    np.testing.assert_allclose(points[label == 0], -1.0, atol=1e-9)
    np.testing.assert_allclose(points[label == 1], 1.0, atol=1e-9)
    noisy = draw("gauss", seed=5, samples=20_000, noise=0.5)
    label, points = noisy.y.argmax(axis=1), raw_points(noisy)
    np.testing.assert_allclose(points[label == 1].std(axis=0), 0.5, rtol=0.03)
    np.testing.assert_allclose(points[label == 1].mean(axis=0), 1.0, atol=0.02)


def test_moons_are_two_interleaved_half_circles():
    label, points = classes_and_points("moons")
    upper, lower = points[label == 1], points[label == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-9)
    assert upper[:, 1].min() >= -1e-9
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-9)
    assert lower[:, 1].max() <= 0.5 + 1e-9


def test_spiral_arms_turn_with_the_radius_a_third_of_a_turn_apart():
    label, points = classes_and_points("spiral", samples=600)
    radius = np.hypot(points[:, 0], points[:, 1])
    angle = np.arctan2(points[:, 0], points[:, 1])  # x = r·sin θ, y = r·cos θ
    expected = label * 2 * np.pi / 3 + 4.0 * radius
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0.0, atol=1e-7)
    assert radius.max() <= 1 + 1e-9


def test_noise_moves_the_points_by_about_its_size():
    for name in CLASSIFICATION:
        clean, noisy = raw_points(draw(name, 2, 5000, 0.0)), raw_points(draw(name, 2, 5000, 0.2))
        # The same draws before the noise (it comes last), so the difference is the noise alone.
        np.testing.assert_allclose((noisy - clean).std(axis=0), 0.2, rtol=0.06)


# --- through the run's configuration ---------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_a_run_takes_the_data_sets_defaults_and_the_data_stream(name):
    classes, samples, noise = DOCUMENTED[name]
    config = RunConfig(dataset=name, seed=9)
    assert (config.samples, config.noise) == (samples, noise)
    run = build_run(config)
    expected = make_classes(name, samples, noise, make_rngs(9)[0])
    assert digest(run.dataset) == digest(expected)
    assert run.sizes == (2, 8, 4, len(classes))
    float32 = build_run(RunConfig(dataset=name, dtype="float32")).dataset
    assert float32.X.dtype == float32.y.dtype == np.float32


def test_given_samples_and_noise_win_over_the_defaults():
    config = RunConfig(dataset="moons", samples=77, noise=0.3)
    assert (config.samples, config.noise) == (77, 0.3)
    assert build_run(config).dataset.n_samples == 77
    assert RunConfig() == RunConfig(dataset="houses", samples=1000, noise=30_000.0)


def test_houses_by_name_is_the_article_data():
    by_name = make_dataset("houses", 50, 30_000.0, make_rngs(1)[0])
    direct = make_house_prices(50, 30_000.0, make_rngs(1)[0])
    assert np.array_equal(by_name.X, direct.X) and np.array_equal(by_name.y, direct.y)
    assert by_name.class_names is None and not by_name.is_classification


def test_too_few_samples_for_the_classes_and_overflowing_noise_are_one_line():
    with pytest.raises(DataError, match=r"^spiral has 3 classes, so it needs at least 3 samples \(got 2\)$"):
        draw("spiral", samples=2)
    assert draw("circle", samples=2).y.tolist() in ([[1, 0], [0, 1]], [[0, 1], [1, 0]])
    with pytest.raises(DataError) as error:
        draw("moons", noise=1e308)
    assert str(error.value) == "a noise of 1e+308 makes the moons points overflow float64"
    with pytest.raises(DataError, match="no data set named 'rings'"):
        make_dataset("rings", 10, 0.1, make_rngs(0)[0])


def test_a_one_hot_target_shows_as_the_indicator_it_is():
    dataset = draw("circle")
    row = int(np.argmax(dataset.y[:, 1]))
    assert dataset.raw_value(row, 1, target=True) == ("[class = ring]", "", 1.0, 0.0, 1.0)
    assert dataset.raw_value(row, 0, target=True) == ("[class = disc]", "", 0.0, 0.0, 1.0)
