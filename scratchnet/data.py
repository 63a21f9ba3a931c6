"""The data the network learns: the article's generated house prices, or a user's CSV.

Both come out standardized (mean 0, std 1 per column) with their scalers kept, so
the screen can show a value in dollars or square feet as well as in the units the
network sees. A CSV whose target holds class labels is classification: its y is the
one-hot matrix (N×K, the classes in sorted order) and `class_names` names the columns.
The generated classification sets are in `datasets.py`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet.labels import one_hot
from scratchnet.seeding import split_rows

HOUSE_FEATURES = ("size_sqft", "bedrooms", "age_years", "distance_km")
HOUSE_UNITS = ("sq ft", "bedrooms", "years", "km")
HOUSE_COEFFICIENTS = (600.0, 5.0, 15.0, 12.0)
MAX_CLASSES = 50
"""More different labels than this in a target column is not a classification we show: likely the wrong column."""
DEFAULT_NOISE = 30_000.0
"""Standard deviation of the price noise, in dollars: large enough that the loss has
a visible floor, small enough that it falls below 0.01 within 120 epochs."""


class DataError(ValueError):
    """A one-line reason the data cannot be used; the CLI prints it and exits 2.

    The message quotes cells, column names and paths from the user's file, which may
    hold a newline (inside a quoted field) or other invisible characters: those are
    shown escaped, as `\\n`, so the message stays one visible line.
    """

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


@dataclass(frozen=True)
class Scaler:
    mean: np.ndarray
    std: np.ndarray

    def inverse(self, standardized: np.ndarray) -> np.ndarray:
        """Back to the original units (dollars, square feet, ...)."""
        return np.asarray(standardized, dtype=np.float64) * self.std + self.mean

    @classmethod
    def identity(cls, columns: int) -> Scaler:
        """Mean 0, std 1: a one-hot target is not standardized, its values are already its own units."""
        return cls(mean=np.zeros(columns), std=np.ones(columns))


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    feature_units: tuple[str, ...]
    target_name: str
    target_unit: str
    feature_scaler: Scaler
    target_scaler: Scaler
    source: str
    """Where the data came from, for the status line: a file path or a description."""
    true_coefficients: tuple[float, ...] | None = None
    """For generated data: the generator's coefficients, in raw units."""
    constant_features: tuple[str, ...] = ()
    """Generated features that drew the same value for every sample (a few samples can): each
    standardizes to 0 with scale 1, so the network sees a column of zeros."""
    notes: tuple[str, ...] = ()
    """Sentences a person should read about this data, such as why a feature is all zeros."""
    skipped_columns: tuple[str, ...] = ()
    """A CSV's columns with no number in them (a city's name, say): not features; `notes` says so."""
    class_names: tuple[str, ...] | None = None
    """Classification: the name of each column of the one-hot y, in sorted order. None: regression
    (y is a standardized number and `target_scaler` turns it back into the target's units). For
    classification `target_scaler` is the identity and `target_unit` is empty: there are no dollars."""
    rows: np.ndarray | None = None
    """The original data row of each row of X; None: every row, in order (nothing held out)."""
    test_X: np.ndarray | None = None
    """Held-out rows (`HoldOut`), standardized with the scaler of the training rows; None: nothing held out."""
    test_y: np.ndarray | None = None
    test_rows: np.ndarray | None = None
    """The original data row of each held-out row."""

    @property
    def n_samples(self) -> int:
        """Rows trained on (the held-out rows are apart)."""
        return self.X.shape[0]

    @property
    def is_classification(self) -> bool:
        return self.class_names is not None

    @property
    def held_out(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(X, y) of the held-out rows, or None."""
        return None if self.test_X is None or self.test_y is None else (self.test_X, self.test_y)

    def original_rows(self) -> np.ndarray:
        """The original data row of each row of X."""
        return np.arange(self.X.shape[0]) if self.rows is None else self.rows

    def astype(self, dtype: np.dtype | str) -> Dataset:
        from dataclasses import replace

        return replace(self, X=self.X.astype(dtype), y=self.y.astype(dtype),
                       test_X=None if self.test_X is None else self.test_X.astype(dtype),
                       test_y=None if self.test_y is None else self.test_y.astype(dtype))

    def split(self, training: np.ndarray, held_out: np.ndarray) -> Dataset:
        """The training rows as X and y, the held-out rows apart (both already standardized as they should be)."""
        from dataclasses import replace

        return replace(self, X=self.X[training], y=self.y[training], rows=training, test_X=self.X[held_out],
                       test_y=self.y[held_out], test_rows=held_out)

    def raw_value(self, row: int, column: int, target: bool = False) -> tuple[str, str, float, float, float]:
        """(name, unit, raw value, mean, std) of one standardized entry of X (or y).

        A one-hot entry of y is its own raw value (mean 0, std 1), named as the indicator it is:
        `[class = ring]`.
        """
        scaler = self.target_scaler if target else self.feature_scaler
        name = self.target_name if target else self.feature_names[column]
        if target and self.class_names is not None:
            name = f"[{self.target_name} = {self.class_names[column]}]"
        unit = self.target_unit if target else self.feature_units[column]
        z = float((self.y if target else self.X)[row, column])
        mean, std = float(scaler.mean[column]), float(scaler.std[column])
        return name, unit, z * std + mean, mean, std

    def standardized_coefficients(self) -> np.ndarray | None:
        """The generator's coefficients as the network sees them: Δy_std per Δx_std."""
        if self.true_coefficients is None:
            return None
        raw = np.asarray(self.true_coefficients)
        spread = np.where(np.isin(self.feature_names, self.constant_features), 0.0, self.feature_scaler.std)
        return raw * spread / self.target_scaler.std[0]


@dataclass(frozen=True)
class HoldOut:
    """A seeded share of the rows kept out of training: ⌈f·N⌉ rows drawn by child 3 of `SeedSequence(seed)`.
    Standardization is fitted on the training rows alone, as if the held-out rows had never been seen."""

    fraction: float
    seed: int

    def rows(self, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """(training rows, held-out rows), each in data order; DataError when fewer than 2 rows would train."""
        training, held_out = split_rows(self.seed, samples, self.fraction)
        if training.size < 2:
            raise DataError(f"--test-fraction {self.fraction:g} of {samples} samples leaves {training.size} to train "
                            "on; at least 2 are needed (use more samples or a smaller fraction)")
        return training, held_out


def standardize(raw: np.ndarray, names: tuple[str, ...], constant_ok: bool = False,
                fit_rows: np.ndarray | None = None) -> tuple[np.ndarray, Scaler]:
    """Columns to mean 0, std 1, without overflowing on columns near 1e300.

    Each column is first divided by its largest magnitude, so the squares inside
    the standard deviation stay finite; the scaler folds that factor back in.

    A constant column has no spread to divide by: in a user's table it is an error
    (it cannot be what they meant to learn from), but with `constant_ok` (generated
    data, where two samples may simply draw the same number of bedrooms) it becomes
    0 with mean = its value and scale 1, so the scaler still gives the value back.

    `fit_rows`: the rows whose mean and spread are used (the training rows, when some are held out);
    every row is standardized with them. None: all rows.
    """
    raw = np.asarray(raw, dtype=np.float64)
    with np.errstate(under="ignore"):  # a value ~1e-300 beside ~1e200 may become 0: harmless
        if constant_ok:
            fitted = raw if fit_rows is None else raw[fit_rows]
            constant = np.all(fitted == fitted[0], axis=0) & np.all(np.isfinite(raw), axis=0)
            if constant.any():
                return _standardize_varying(raw, names, constant, fit_rows)
        return _standardize(raw, names, fit_rows)


def constant_columns(raw: np.ndarray, fit_rows: np.ndarray | None = None) -> np.ndarray:
    """Which columns hold one value in every row (of `fit_rows`, when given)."""
    fitted = raw if fit_rows is None else raw[fit_rows]
    return np.all(fitted == fitted[0], axis=0)


def _standardize_varying(raw: np.ndarray, names: tuple[str, ...], constant: np.ndarray,
                         fit_rows: np.ndarray | None) -> tuple[np.ndarray, Scaler]:
    """Constant columns to 0 (scale 1; a held-out row to its difference from that value), the others exactly as
    `_standardize` does them."""
    standardized = np.zeros_like(raw)
    mean, std = (raw if fit_rows is None else raw[fit_rows])[0].copy(), np.ones(raw.shape[1])
    if fit_rows is not None:
        standardized[:, constant] = raw[:, constant] - mean[constant]
    varying = ~constant
    if varying.any():
        names_varying = tuple(name for name, keep in zip(names, varying) if keep)
        standardized[:, varying], scaler = _standardize(raw[:, varying], names_varying, fit_rows)
        mean[varying], std[varying] = scaler.mean, scaler.std
    return standardized, Scaler(mean=mean, std=std)


def _standardize(raw: np.ndarray, names: tuple[str, ...], fit_rows: np.ndarray | None = None) -> tuple[np.ndarray, Scaler]:
    where = "" if fit_rows is None else f" on the {len(fit_rows)} training rows"
    for column, name in enumerate(names):
        values = raw[:, column]
        if not np.all(np.isfinite(values)):
            raise DataError(f"column '{name}' has a non-finite value (NaN or inf)")
        fitted = values if fit_rows is None else values[fit_rows]
        if np.all(fitted == fitted[0]):
            raise DataError(f"column '{name}' is constant{where}, so it cannot be standardized")
    magnitude = np.max(np.abs(raw), axis=0)
    scaled = raw / magnitude
    fitted_scaled = scaled if fit_rows is None else scaled[fit_rows]
    mean = fitted_scaled.mean(axis=0)
    std = fitted_scaled.std(axis=0)
    for column, name in enumerate(names):
        if not std[column] > 0 or not np.isfinite(std[column] * magnitude[column]) or std[column] * magnitude[column] == 0:
            raise DataError(f"column '{name}' varies too little{where} to be standardized in float64")
    return (scaled - mean) / std, Scaler(mean=mean * magnitude, std=std * magnitude)


class NoiseOverflow(DataError):
    """The price noise is so large that a noise draw passes float64's largest number."""

    def __init__(self, noise: float, largest_draw: float, samples: int) -> None:
        largest_float = float(np.finfo(np.float64).max)
        self.noise = noise
        self.bound = largest_float / largest_draw
        """The largest noise these draws survive: noise · largest_draw stays finite below it."""
        self.bound_text = round_down(self.bound)
        """The bound to two significant digits, rounded down: safe to use as written."""
        self.reason = (f"the largest of the {samples:,} noise draws is {largest_draw:.3g} standard deviations, and "
                       f"{largest_draw:.3g} × {noise:g} is past float64's largest number ({largest_float:.2g})")
        super().__init__(f"a price noise of {noise:g} dollars makes prices overflow: {self.reason}; with this seed "
                         f"and sample count the noise can be at most {self.bound_text}")


def round_down(value: float) -> str:
    """`value` to two significant digits, never above it: a bound that is safe to use as written."""
    exponent = int(np.floor(np.log10(value)))
    mantissa = int(np.floor(value / 10.0 ** (exponent - 1)))
    while mantissa > 10 and float(f"{mantissa / 10:.1f}e{exponent}") > value:
        mantissa -= 1
    return f"{mantissa / 10:.1f}e{exponent:+d}"


def make_house_prices(samples: int, noise: float, rng: np.random.Generator, holdout: HoldOut | None = None) -> Dataset:
    """The article's data: y = 600·size + 5·bedrooms + 15·age + 12·distance + noise.

    Raises NoiseOverflow when `noise` times a normal draw passes float64's largest
    number. A feature that draws one value for every sample (two samples with the
    same number of bedrooms) becomes a column of zeros, and `notes` says so.
    `holdout`: rows kept apart (drawn after the data, from their own stream; the scaler fitted without them).
    """
    size = rng.uniform(500.0, 3500.0, samples)
    bedrooms = rng.integers(1, 6, samples).astype(np.float64)
    age = rng.uniform(0.0, 50.0, samples)
    distance = rng.uniform(0.0, 30.0, samples)
    raw_X = np.column_stack([size, bedrooms, age, distance])
    noise_dollars = rng.standard_normal(samples)  # times the noise below: what rng.normal(0.0, noise) draws
    largest_draw = max(float(noise_dollars.max()), -float(noise_dollars.min()))
    with np.errstate(over="ignore"):
        if not np.isfinite(noise * largest_draw):  # then some noise · draw overflows: no larger one is finite
            raise NoiseOverflow(noise, largest_draw, samples)
        np.multiply(noise, noise_dollars, out=noise_dollars)
    price = raw_X @ np.asarray(HOUSE_COEFFICIENTS) + noise_dollars
    del noise_dollars  # not kept through standardizing: the peak memory stays that of the draws
    training, held_out = (None, None) if holdout is None else holdout.rows(samples)
    X, feature_scaler = standardize(raw_X, HOUSE_FEATURES, constant_ok=True, fit_rows=training)
    y, target_scaler = standardize(price[:, None], ("price",), fit_rows=training)
    fitted = raw_X if training is None else raw_X[training]
    constant = tuple(name for name, same in zip(HOUSE_FEATURES, constant_columns(fitted)) if same)
    kept = f"{samples} samples" if training is None else f"{training.size} training samples"
    notes = tuple(
        f"{name} is {fitted[0, HOUSE_FEATURES.index(name)]:g} in all {kept}, so it standardizes to 0 "
        f"(scale 1) and the network cannot learn from it; more samples would vary it"
        for name in constant
    )
    source = "house prices (generated" + "".join(f"; {name} constant" for name in constant) + ")"
    dataset = Dataset(
        X=X, y=y,
        feature_names=HOUSE_FEATURES, feature_units=HOUSE_UNITS,
        target_name="price", target_unit="$",
        feature_scaler=feature_scaler, target_scaler=target_scaler,
        source=source,
        true_coefficients=HOUSE_COEFFICIENTS,
        constant_features=constant,
        notes=notes,
    )
    return dataset if training is None or held_out is None else dataset.split(training, held_out)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _delimiter(header_line: str) -> str:
    """Comma unless the header clearly uses semicolons or tabs instead."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] > 0 else ","


def load_csv(path: str | Path, target: str | None = None, labels: bool = False, holdout: HoldOut | None = None) -> Dataset:
    """A user's table: `target` (default: the last column) against every other numeric column.

    A column with no number in it at all (a city name, say) is not a feature and is
    skipped; in any other column, a missing or non-numeric cell is an error that
    names the file, line and column.

    A target with no number in it holds class labels: classification, the labels one-hot
    in sorted order. With `labels`, the target holds class labels whatever they look like:
    whole numbers (sorted as numbers) or text. A class needs a name in every row, at least
    two classes, and at most MAX_CLASSES of them.

    `holdout`: rows kept apart, drawn from the row count; the scaler is fitted on the other rows.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        byte = error.object[error.start]
        raise DataError(f"{path}: line {line}: not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    if "\x00" in text:
        raise DataError(f"{path}: not a text file (it contains NUL bytes)")
    if not text.strip():
        raise DataError(f"{path}: the file is empty")

    first_line = next(line for line in text.splitlines() if line.strip())  # the header, past blank lines
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise DataError(f"{path}: line {reader.line_num}: {error}") from None
    rows = [(line, [cell.strip() for cell in row]) for line, row in rows if any(cell.strip() for cell in row)]

    if not rows:
        raise DataError(f"{path}: the file has no values, only delimiters")
    header_line, header = rows[0]
    if all(_number(cell) is not None for cell in header):
        raise DataError(f"{path}: line {header_line}: no header row (the first row is all numbers)")
    for column, name in enumerate(header, 1):
        if not name:
            raise DataError(f"{path}: line {header_line}: column {column} has no name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataError(f"{path}: line {header_line}: duplicate column name '{duplicates[0]}'")
    body = rows[1:]
    if not body:
        raise DataError(f"{path}: no data rows below the header")
    for line, row in body:
        if len(row) != len(header):
            raise DataError(f"{path}: line {line}: {len(row)} fields, but the header has {len(header)}")
    if len(body) < 2:
        raise DataError(f"{path}: only one data row; at least 2 samples are needed")

    target = header[-1] if target is None else target
    if target not in header:
        raise DataError(f"{path}: no column named '{target}' (columns: {', '.join(header)})")

    columns: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    classes: tuple[tuple[str, ...], np.ndarray] | None = None
    for column, name in enumerate(header):
        cells = [row[column] for _, row in body]
        numbers = [_number(cell) for cell in cells]
        if name == target and (labels or all(number is None for number in numbers)):
            classes = _classes(path, target, body, cells, numbers)
            continue
        if all(number is None for number in numbers):
            skipped.append(name)
            continue
        for (line, _), cell, number in zip(body, cells, numbers):
            if cell == "":
                raise DataError(f"{path}: line {line}, column '{name}': missing value")
            if number is None:
                hint = f"; if '{name}' holds class labels, read it as labels (--labels)" if name == target else ""
                raise DataError(f"{path}: line {line}, column '{name}': '{cell}' is not a number{hint}")
            if not np.isfinite(number):
                raise DataError(f"{path}: line {line}, column '{name}': '{cell}' is not a finite number")
        columns[name] = np.asarray(numbers, dtype=np.float64)

    features = tuple(name for name in columns if name != target)
    if not features:
        raise DataError(f"{path}: no numeric feature columns besides the target '{target}'")
    try:
        training, held_out = (None, None) if holdout is None else holdout.rows(len(body))
        X, feature_scaler = standardize(np.column_stack([columns[name] for name in features]), features,
                                        fit_rows=training)
        if classes is None:
            y, target_scaler = standardize(columns[target][:, None], (target,), fit_rows=training)
        else:
            y, target_scaler = one_hot(classes[1], len(classes[0])), Scaler.identity(len(classes[0]))
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    dataset = Dataset(
        X=X, y=y,
        feature_names=features, feature_units=("",) * len(features),
        target_name=target, target_unit="",
        feature_scaler=feature_scaler, target_scaler=target_scaler,
        source=str(path),
        skipped_columns=tuple(skipped),
        notes=(_skipped_note(skipped),) if skipped else (),
        class_names=None if classes is None else classes[0],
    )
    return dataset if training is None or held_out is None else dataset.split(training, held_out)


def _classes(path: Path, target: str, body: list[tuple[int, list[str]]], cells: list[str],
             numbers: list[float | None]) -> tuple[tuple[str, ...], np.ndarray]:
    """The class names (sorted) and each row's class index, from a target column of labels.

    Whole numbers sort as numbers (2 before 10) and are named as written without a fraction
    (`1.0` is class 1); if any label is not a number, all of them are text, sorted as text.
    """
    for (line, _), cell in zip(body, cells):
        if cell == "":
            raise DataError(f"{path}: line {line}, column '{target}': empty label; every row needs a class")
    names = cells
    if all(number is not None for number in numbers):
        names = []
        for (line, _), cell, number in zip(body, cells, numbers):
            if number is None or not np.isfinite(number) or not float(number).is_integer():
                raise DataError(f"{path}: line {line}, column '{target}': '{cell}' is not a whole number, so it "
                                f"cannot be a class label")
            names.append(str(int(number)))
        distinct = sorted(set(names), key=int)
    else:
        distinct = sorted(set(names))
    if len(distinct) == 1:
        raise DataError(f"{path}: target column '{target}' holds one class ('{distinct[0]}') in all {len(cells)} "
                        f"rows; classification needs at least 2")
    if len(distinct) > MAX_CLASSES:
        raise DataError(f"{path}: target column '{target}' holds {len(distinct)} different labels, more than the "
                        f"{MAX_CLASSES} classes allowed: likely the wrong column (name the target with --target)")
    index = {name: position for position, name in enumerate(distinct)}
    return tuple(distinct), np.fromiter((index[name] for name in names), dtype=np.intp, count=len(names))


def _skipped_note(names: list[str]) -> str:
    quoted = ", ".join(f"'{name}'" for name in names)
    if len(names) == 1:
        return f"column {quoted} has no numbers, so it is not a feature"
    return f"columns {quoted} have no numbers, so they are not features"
