"""The generated house prices at every size the flags accept: tiny sample counts, extreme noise.

The default run's data are pinned to hashes taken before small data sets were made to work,
so making them work changed no one's numbers.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from backprop_tui.cli import main
from backprop_tui.config import RunConfig, build_run
from scratchnet import DataError, make_house_prices, make_rngs
from scratchnet.data import NoiseOverflow, standardize

DEFAULT_DATA_SHA256 = "d1c0ce779b9b8b34fb5c0bf8ad19a2dd1b50b65ead5bb7bc0df1ca6e423f2d49"
"""X, y and both scalers of `RunConfig()`, as bytes, computed from the code before this test existed."""
DEFAULT_FLOAT32_SHA256 = "f22fe05c8812efdd73ee8879d2e0669267e6e561bc10bd092214086b6a2e9bdf"
"""X then y of `RunConfig(dtype="float32")`, from the same code."""


def data_sha256(config: RunConfig) -> str:
    dataset = build_run(config).dataset
    digest = hashlib.sha256()
    for array in (dataset.X, dataset.y, dataset.feature_scaler.mean, dataset.feature_scaler.std,
                  dataset.target_scaler.mean, dataset.target_scaler.std):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def test_the_default_data_are_bit_identical_to_before():
    assert data_sha256(RunConfig()) == DEFAULT_DATA_SHA256
    dataset = build_run(RunConfig(dtype="float32")).dataset
    assert hashlib.sha256(dataset.X.tobytes() + dataset.y.tobytes()).hexdigest() == DEFAULT_FLOAT32_SHA256


@pytest.mark.parametrize("samples", [2, 3, 4, 5])
def test_every_seed_builds_a_run_at_the_smallest_sample_counts(samples):
    for seed in range(200):
        run = build_run(RunConfig(samples=samples, seed=seed))
        assert np.all(np.isfinite(run.dataset.X)) and np.all(np.isfinite(run.dataset.y))


def seed_with_constant_bedrooms() -> int:
    """A seed whose 2 generated houses have the same number of bedrooms (seed 0 does, today)."""
    for seed in range(100):
        data_rng, _ = make_rngs(seed)
        data_rng.uniform(500.0, 3500.0, 2)
        bedrooms = data_rng.integers(1, 6, 2)
        if bedrooms[0] == bedrooms[1]:
            return seed
    raise AssertionError("no seed in 0–99 draws equal bedrooms for 2 samples")


def test_a_constant_generated_feature_standardizes_to_zero_with_scale_one_and_a_note():
    seed = seed_with_constant_bedrooms()
    dataset = build_run(RunConfig(samples=2, seed=seed)).dataset
    column = dataset.feature_names.index("bedrooms")
    rooms = dataset.feature_scaler.mean[column]
    assert rooms in (1, 2, 3, 4, 5)
    assert np.array_equal(dataset.X[:, column], [0.0, 0.0]) and dataset.feature_scaler.std[column] == 1.0
    assert np.array_equal(dataset.feature_scaler.inverse(dataset.X)[:, column], [rooms, rooms])
    others = [c for c in range(4) if c != column]
    np.testing.assert_allclose(dataset.X[:, others].std(axis=0), 1.0, atol=1e-12)
    assert dataset.constant_features == ("bedrooms",)
    assert "bedrooms" in dataset.source
    (note,) = dataset.notes
    assert "bedrooms" in note and f"{rooms:g}" in note and "2 samples" in note
    assert dataset.standardized_coefficients()[column] == 0.0  # a feature that never varies explains nothing


def test_trace_on_two_samples_works_and_says_why_a_feature_is_zero(capsys):
    seed = seed_with_constant_bedrooms()
    assert main(["trace", "--samples", "2", "--seed", str(seed), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("{")
    assert err.startswith("backprop-tui: note: ") and "bedrooms" in err and err.count("\n") == 1
    assert main(["train", "--samples", "2", "--seed", str(seed), "--epochs", "3"]) == 0


def test_a_constant_column_stays_an_error_where_it_is_not_generated():
    with pytest.raises(DataError, match="column 'bedrooms' is constant"):
        standardize(np.array([[1.0, 3.0], [2.0, 3.0]]), ("size", "bedrooms"))


def test_noise_that_overflows_prices_names_the_flag_and_a_bound_that_works(capsys):
    assert main(["trace", "--noise", "1e308"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("backprop-tui: error: --noise 1e+308 makes prices overflow")
    assert "column" not in err
    bound = re.search(r"--noise at most ([0-9.e+]+)", err)
    assert bound is not None, err
    assert main(["trace", "--noise", bound.group(1), "--format", "json"]) == 0
    assert main(["trace", "--noise", str(2 * float(bound.group(1)))]) == 2
    assert "makes prices overflow" in capsys.readouterr().err


@pytest.mark.parametrize("samples", [2, 1000, 100_000])
def test_the_noise_bound_is_the_largest_float_over_the_largest_draw(samples):
    noise = float(np.finfo(np.float64).max)  # overflows as soon as one draw is past 1 standard deviation
    for seed in range(100):  # two draws may both stay within 1 standard deviation: then try the next seed
        try:
            make_house_prices(samples, noise, make_rngs(seed)[0])
        except NoiseOverflow as error:
            bound = error.bound
            break
    else:
        raise AssertionError(f"no seed in 0–99 overflows {samples} samples")
    data_rng, _ = make_rngs(seed)
    data_rng.uniform(500.0, 3500.0, samples)  # the features come first in the stream, then the noise
    data_rng.integers(1, 6, samples)
    data_rng.uniform(0.0, 50.0, samples)
    data_rng.uniform(0.0, 30.0, samples)
    largest = np.max(np.abs(data_rng.standard_normal(samples)))
    assert bound == pytest.approx(np.finfo(np.float64).max / largest, rel=1e-12)
    for below in (bound * (1 - 1e-9), bound / 10):
        assert np.all(np.isfinite(make_house_prices(samples, below, make_rngs(seed)[0]).y))


def test_noise_changes_no_price_it_did_not_overflow_before():
    """The noise is drawn as standard normals times the noise, which is what rng.normal(0, noise) computes."""
    for noise in (0.0, 1.0, 30_000.0, 1e300):
        for seed in (0, 7):
            data_rng, _ = make_rngs(seed)
            raw = np.column_stack([data_rng.uniform(500.0, 3500.0, 50), data_rng.integers(1, 6, 50).astype(float),
                                   data_rng.uniform(0.0, 50.0, 50), data_rng.uniform(0.0, 30.0, 50)])
            price = raw @ np.array([600.0, 5.0, 15.0, 12.0]) + data_rng.normal(0.0, noise, 50)
            dataset = make_house_prices(50, noise, make_rngs(seed)[0])
            assert np.array_equal(dataset.y, standardize(price[:, None], ("price",))[0])
