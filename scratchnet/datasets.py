"""The built-in data sets: the article's house prices (`data.py`) and five seeded 2-feature
classification sets in the spirit of TensorFlow Playground's.

Each classification set draws its points in a box of about [−1, 1]², adds Gaussian noise of standard
deviation `noise` to both coordinates (so `--noise` is the spread of the points, in those units), and is
then standardized like the house prices. Classes are as balanced as the sample count allows (the first
classes take one extra sample when it does not divide), the rows come shuffled, and every draw is from
the one data stream the caller passes (`make_rngs(seed)[0]`), in a fixed order.

| name   | classes                | the points                                                             | samples | noise |
|--------|------------------------|------------------------------------------------------------------------|---------|-------|
| circle | disc, ring             | a disc of radius 0.5 inside a ring from radius 0.7 to 1                | 500     | 0.05  |
| xor    | opposite, same         | uniform in the four quadrants, 0.1 off the axes; same: x1, x2 agree in sign | 500 | 0.05  |
| gauss  | lower, upper           | two round blobs around (−1, −1) and (1, 1); the noise is their spread  | 500     | 0.5   |
| moons  | lower, upper           | two interleaved half circles of radius 1 (scikit-learn's moons)        | 500     | 0.1   |
| spiral | arm1, arm2, arm3       | three arms, r uniform in [0, 1], angle = arm·2π/3 + 4r (CS231n's spiral) | 600   | 0.05  |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratchnet.data import (
    DEFAULT_NOISE,
    DataError,
    Dataset,
    HoldOut,
    Scaler,
    constant_columns,
    make_house_prices,
    standardize,
)
from scratchnet.labels import one_hot

POINT_FEATURES = ("x1", "x2")
TARGET_NAME = "class"
XOR_PADDING = 0.1
"""How far xor's points stay off the axes before noise, so the quadrant of each is clear."""
SPIRAL_TURN = 4.0
"""Radians an arm turns from the centre to radius 1 (CS231n's spiral)."""

Shape = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""(class index per sample, rng) → the N×2 points before noise."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    classes: tuple[str, ...] | None
    """The class names in sorted order (their one-hot columns); None for the regression (houses)."""
    samples: int
    """The default sample count."""
    noise: float
    """The default noise: dollars of price noise for houses, the points' spread for the others."""
    features: int
    about: str


def _circle(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    radius = rng.uniform(0.0, 1.0, labels.size)
    angle = rng.uniform(0.0, 2 * np.pi, labels.size)
    radius = np.where(labels == 0, 0.5 * radius, 0.7 + 0.3 * radius)  # disc: [0, 0.5); ring: [0.7, 1)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _xor(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    magnitude = rng.uniform(XOR_PADDING, 1.0, (labels.size, 2))
    sign = rng.integers(0, 2, labels.size) * 2.0 - 1.0
    same = labels == 1
    return magnitude * np.column_stack([sign, np.where(same, sign, -sign)])


def _gauss(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    centre = np.where(labels == 1, 1.0, -1.0)  # upper (1, 1), lower (−1, −1): the noise spreads them
    return np.column_stack([centre, centre])


def _moons(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0.0, np.pi, labels.size)
    upper = labels == 1
    return np.column_stack([np.where(upper, np.cos(t), 1.0 - np.cos(t)),
                            np.where(upper, np.sin(t), 0.5 - np.sin(t))])


def _spiral(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    radius = rng.uniform(0.0, 1.0, labels.size)
    angle = labels * (2 * np.pi / 3) + SPIRAL_TURN * radius
    return np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])


_SHAPES: dict[str, Shape] = {"circle": _circle, "xor": _xor, "gauss": _gauss, "moons": _moons, "spiral": _spiral}

DATASETS: dict[str, DatasetSpec] = {
    "houses": DatasetSpec("houses", None, 1000, DEFAULT_NOISE, 4,
                          "the article's house prices: regression on 4 features"),
    "circle": DatasetSpec("circle", ("disc", "ring"), 500, 0.05, 2, "a disc inside a ring"),
    "xor": DatasetSpec("xor", ("opposite", "same"), 500, 0.05, 2,
                       "the four quadrants: do x1 and x2 have the same sign?"),
    "gauss": DatasetSpec("gauss", ("lower", "upper"), 500, 0.5, 2, "two Gaussian blobs"),
    "moons": DatasetSpec("moons", ("lower", "upper"), 500, 0.1, 2, "two interleaved half circles"),
    "spiral": DatasetSpec("spiral", ("arm1", "arm2", "arm3"), 600, 0.05, 2, "three spiral arms"),
}
DATASET_NAMES = tuple(DATASETS)


def class_counts(samples: int, classes: int) -> list[int]:
    """As equal as `samples` allows; the first classes take the remainder, one each."""
    return [samples // classes + (k < samples % classes) for k in range(classes)]


def make_classes(name: str, samples: int, noise: float, rng: np.random.Generator,
                 holdout: HoldOut | None = None) -> Dataset:
    """A seeded 2-feature classification set (see the table above), standardized, y one-hot N×K.

    Raises DataError for fewer samples than classes, and for a noise so large the points overflow.
    `holdout`: rows kept apart (the scaler fitted without them).
    """
    spec = DATASETS[name]
    if spec.classes is None:
        raise ValueError(f"{name} is not a classification data set")
    k = len(spec.classes)
    if samples < k:
        raise DataError(f"{name} has {k} classes, so it needs at least {k} samples (got {samples})")
    labels = rng.permutation(np.repeat(np.arange(k), class_counts(samples, k)))
    raw = _SHAPES[name](labels, rng)
    draws = rng.standard_normal((samples, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        np.multiply(noise, draws, out=draws)
        np.add(raw, draws, out=raw)
    del draws
    if not np.all(np.isfinite(raw)):
        raise DataError(f"a noise of {noise:g} makes the {name} points overflow float64")
    training, held_out = (None, None) if holdout is None else holdout.rows(samples)
    X, feature_scaler = standardize(raw, POINT_FEATURES, constant_ok=True, fit_rows=training)
    fitted = raw if training is None else raw[training]
    constant = tuple(feature for feature, same in zip(POINT_FEATURES, constant_columns(fitted)) if same)
    kept = f"{samples} samples" if training is None else f"{training.size} training samples"
    notes = tuple(f"{feature} is {fitted[0, POINT_FEATURES.index(feature)]:g} in all {kept}, so it "
                  f"standardizes to 0 (scale 1) and the network cannot learn from it" for feature in constant)
    dataset = Dataset(
        X=X, y=one_hot(labels, k),
        feature_names=POINT_FEATURES, feature_units=("", ""),
        target_name=TARGET_NAME, target_unit="",
        feature_scaler=feature_scaler, target_scaler=Scaler.identity(k),
        source=f"{name} (generated, {k} classes)",
        constant_features=constant,
        notes=notes,
        class_names=spec.classes,
    )
    return dataset if training is None or held_out is None else dataset.split(training, held_out)


def make_dataset(name: str, samples: int, noise: float, rng: np.random.Generator,
                 holdout: HoldOut | None = None) -> Dataset:
    """Any built-in data set by name: `houses` (the article's regression) or a classification set; `holdout`:
    rows kept apart from training."""
    if name not in DATASETS:
        raise DataError(f"no data set named {name!r} (known: {', '.join(DATASET_NAMES)})")
    if name == "houses":
        return make_house_prices(samples, noise, rng, holdout)
    return make_classes(name, samples, noise, rng, holdout)
