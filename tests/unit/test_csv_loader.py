"""The CSV loader on good tables and on every bad input it must refuse with one clear line."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchnet.data import DataError, load_csv
from tests.helpers import write

SIZE = [1000.0, 1500.0, 2000.0, 2500.0, 1200.0]
ROOMS = [2.0, 3.0, 3.0, 4.0, 2.0]
CITY = ["Oslo", "Bergen", "Oslo", "Oslo", "Tromsø"]
PRICE = [200.0, 310.0, 390.0, 520.0, 235.5]


def table(delimiter: str = ",", newline: str = "\n") -> str:
    lines = [delimiter.join(("size", "rooms", "city", "price"))]
    for row in zip(SIZE, ROOMS, CITY, PRICE):
        lines.append(delimiter.join(f"{value:g}" if isinstance(value, float) else value for value in row))
    return newline.join(lines) + newline


def standardized(values: list[float]) -> np.ndarray:
    """Mean 0, std 1 the plain way, as an independent reference."""
    column = np.asarray(values, dtype=np.float64)
    return (column - column.mean()) / column.std()


def assert_standardized(X: np.ndarray) -> None:
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)


GOOD = {
    "comma": table(),
    "semicolon": table(";"),
    "tab": table("\t"),
    "utf-8 BOM": "\ufeff" + table(),
    "CRLF": table(newline="\r\n"),
    "BOM and CRLF and semicolons": "\ufeff" + table(";", "\r\n"),
    "quoted fields": table().replace("Bergen", '"Bergen, west"').replace("1500", '"1500"').replace(
        "size", '"size"', 1),
    "quoted field with a newline": table().replace("Bergen", '"Bergen\nwest"'),
    "trailing blank lines": table() + "\n\n  \n",
    "blank lines before the header": "\n  \n" + table(";"),
    "spaces around cells": table().replace(",", " , "),
}


@pytest.mark.parametrize("case", list(GOOD))
def test_good_tables_skip_text_standardize_features_and_keep_the_target_scaler(tmp_path, case):
    dataset = load_csv(write(tmp_path, GOOD[case]))
    assert dataset.feature_names == ("size", "rooms")  # city holds no numbers: skipped, not an error
    assert dataset.skipped_columns == ("city",)
    assert dataset.notes == ("column 'city' has no numbers, so it is not a feature",)
    assert dataset.target_name == "price" and dataset.n_samples == 5
    assert dataset.X.dtype == np.float64 and dataset.y.shape == (5, 1)
    assert_standardized(dataset.X)
    np.testing.assert_allclose(dataset.X, np.column_stack([standardized(SIZE), standardized(ROOMS)]), atol=1e-12)
    np.testing.assert_allclose(dataset.y[:, 0], standardized(PRICE), atol=1e-12)
    np.testing.assert_allclose(dataset.target_scaler.inverse(dataset.y)[:, 0], PRICE, rtol=1e-13)
    np.testing.assert_allclose(dataset.feature_scaler.inverse(dataset.X), np.column_stack([SIZE, ROOMS]), rtol=1e-13)
    np.testing.assert_allclose(dataset.target_scaler.mean, [np.mean(PRICE)], rtol=1e-13)
    np.testing.assert_allclose(dataset.target_scaler.std, [np.std(PRICE)], rtol=1e-13)


def test_the_target_defaults_to_the_last_column_and_can_be_named(tmp_path):
    path = write(tmp_path, table())
    default, explicit = load_csv(path), load_csv(path, target="price")
    assert default.target_name == explicit.target_name == "price"
    np.testing.assert_array_equal(default.X, explicit.X)
    np.testing.assert_array_equal(default.y, explicit.y)

    by_size = load_csv(path, target="size")
    assert by_size.target_name == "size" and by_size.feature_names == ("rooms", "price")
    assert_standardized(by_size.X)
    np.testing.assert_allclose(by_size.target_scaler.inverse(by_size.y)[:, 0], SIZE, rtol=1e-13)
    np.testing.assert_allclose(by_size.X[:, 1], standardized(PRICE), atol=1e-12)
    assert by_size.source == str(path)


# name: (file content, --target, fragments the one-line message must contain)
BAD_TABLES: dict[str, tuple[str | bytes, str | None, tuple[str, ...]]] = {
    "empty file": ("", None, ("the file is empty",)),
    "whitespace only": ("  \n\t\n\r\n", None, ("the file is empty",)),
    "BOM only": ("\ufeff\n", None, ("the file is empty",)),
    "only delimiters": (",,\n,,\n", None, ("no values, only delimiters",)),
    "NUL bytes": (b"a,b\n1,\x002\n3,4\n", None, ("not a text file", "NUL")),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, ("not UTF-8 text",)),
    "not UTF-8": (b"a,b\n1,2\nM\xfcnchen,3\n", None, ("line 3: not UTF-8 text (byte 0xfc)",)),
    "not UTF-8 after a BOM": (b"\xef\xbb\xbfa,b\n\xff,1\n", None, ("line 2: not UTF-8 text (byte 0xff)",)),
    "no header": ("1,2\n3,4\n5,6\n", None, ("line 1", "no header row", "all numbers")),
    "missing target": ("a,b,c\n1,2,3\n4,5,6\n", "price", ("no column named 'price'", "(columns: a, b, c)")),
    "non-numeric cell": ("a,b\n1,2\n3,4\n5,x\n6,7\n", None, ("line 4, column 'b': 'x' is not a number",)),
    "non-numeric after blank lines, CRLF": ("a,b\r\n1,2\r\n\r\n3,4\r\n\r\nfive,6\r\n", None,
                                            ("line 6, column 'a': 'five' is not a number",)),
    "missing cell": ("a,b,c\n1,2,3\n4,,6\n7,8,9\n", None, ("line 3, column 'b': missing value",)),
    "missing cell in a text column beside numbers": ("a,b\n1,2\n3,\n4,5\n", None,
                                                     ("line 3, column 'b': missing value",)),
    "nan cell": ("a,b\n1,2\nnan,3\n4,5\n", None, ("line 3, column 'a': 'nan' is not a finite number",)),
    "inf cell": ("a,b\n1,2\n3,4\n5,-inf\n", None, ("line 4, column 'b': '-inf' is not a finite number",)),
    "overflowing cell": ("a,b\n1,2\n1e999,4\n5,6\n", None, ("line 3, column 'a': '1e999' is not a finite number",)),
    "constant feature": ("a,b,c\n1,7,2\n3,7,4\n5,7,6\n", None, ("column 'b' is constant",)),
    "constant target": ("a,b\n1,7\n3,7\n5,7\n", None, ("column 'b' is constant",)),
    "single data row": ("a,b\n1,2\n", None, ("only one data row", "at least 2")),
    "header only": ("a,b\n", None, ("no data rows below the header",)),
    "ragged row, too many": ("a,b\n1,2\n3,4,5\n6,7\n", None, ("line 3: 3 fields, but the header has 2",)),
    "ragged row, too few": ("a,b,c\n1,2,3\n4,5,6\n7,8\n", None, ("line 4: 2 fields, but the header has 3",)),
    "duplicate column names": ("a,b,a,c\n1,2,3,4\n5,6,7,8\n", None, ("duplicate column name 'a'",)),
    "unnamed column": ("a,,c\n1,2,3\n4,5,6\n", None, ("line 1: column 2 has no name",)),
    "target of text labels, one class": ("a,b\n1,x\n2,x\n", None, ("target column 'b' holds one class ('x')",)),
    "no feature columns left": ("city,price\nOslo,1\nBergen,2\n", None,
                                ("no numeric feature columns besides the target 'price'",)),
    "broken quoting": ('a,b\n1,2\n3,"4"x\n5,6\n', None, ("line 3:",)),
    "newline inside a bad cell": ('a,b\n1,2\n3,"x\ny"\n4,5\n', None, ("column 'b': 'x\\ny' is not a number",)),
    "newline inside a column name": ('a,"b\nc"\n1,2\n3,2\n', None, ("column 'b\\nc' is constant",)),
}


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_bad_tables_give_one_line_naming_the_file_and_the_problem(tmp_path, case):
    content, target, fragments = BAD_TABLES[case]
    with pytest.raises(DataError) as error:
        load_csv(write(tmp_path, content), target)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'houses.csv'}: ")
    for fragment in fragments:
        assert fragment in message
    assert message.isprintable()  # no newline, carriage return or other invisible character


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError) as error:
        load_csv(tmp_path / "nope.csv")
    assert str(error.value) == f"{tmp_path / 'nope.csv'}: no such file"
    with pytest.raises(DataError) as error:
        load_csv(tmp_path)
    assert str(error.value) == f"{tmp_path}: is a directory, not a CSV file"


def test_unreadable_file(tmp_path):
    path = write(tmp_path, table())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("this user (root?) can read a chmod-000 file")
        with pytest.raises(DataError) as error:
            load_csv(path)
        assert str(error.value) == f"{path}: permission denied"
    finally:
        path.chmod(0o600)


def test_a_path_with_a_newline_still_gives_one_line(tmp_path):
    with pytest.raises(DataError) as error:
        load_csv(tmp_path / "two\nlines.csv")
    assert str(error.value) == f"{tmp_path}/two\\nlines.csv: no such file"


def strictly(load):
    """Run `load` with every NumPy floating-point event and every warning turned into an error."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return load()


def test_columns_near_1e200_and_1e_300_standardize_without_overflow(tmp_path):
    huge = [1e200, -3e200, 2e200, 1.5e200]
    tiny = [1e-300, 3e-300, -2e-300, 4e-300]
    target = [1.0, 2.0, 4.0, 3.0]
    text = "huge,tiny,y\n" + "".join(f"{h!r},{t!r},{y!r}\n" for h, t, y in zip(huge, tiny, target))
    dataset = strictly(lambda: load_csv(write(tmp_path, text)))
    assert np.all(np.isfinite(dataset.X)) and np.all(np.isfinite(dataset.y))
    assert_standardized(dataset.X)
    # the plain formula, on values divided by their scale first so it cannot overflow here either
    np.testing.assert_allclose(dataset.X[:, 0], standardized([h / 1e200 for h in huge]), atol=1e-12)
    np.testing.assert_allclose(dataset.X[:, 1], standardized([t / 1e-300 for t in tiny]), atol=1e-12)
    np.testing.assert_allclose(dataset.feature_scaler.inverse(dataset.X), np.column_stack([huge, tiny]), rtol=1e-12)
    np.testing.assert_allclose(dataset.target_scaler.inverse(dataset.y)[:, 0], target, rtol=1e-13)


def test_a_column_spanning_1e_200_to_1e200_does_not_underflow_into_an_error(tmp_path):
    text = "a,y\n1e200,1\n1e-200,2\n3e200,5\n-2e200,3\n"
    dataset = strictly(lambda: load_csv(write(tmp_path, text)))
    assert_standardized(dataset.X)
    np.testing.assert_allclose(dataset.X[:, 0], standardized([1.0, 0.0, 3.0, -2.0]), atol=1e-12)


def test_a_column_of_subnormal_numbers_is_refused_or_standardized_but_never_nan(tmp_path):
    text = "a,y\n1e-320,1\n0,2\n3e-320,5\n"
    dataset = strictly(lambda: load_csv(write(tmp_path, text)))
    assert np.all(np.isfinite(dataset.X))
    assert_standardized(dataset.X)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.text(alphabet=st.sampled_from('ab1.;,"\t\r\n -e9xé\ufeff'), max_size=120))
def test_any_bytes_load_or_give_a_one_line_data_error(tmp_path, content):
    path = write(tmp_path, content, "fuzz.csv")
    try:
        dataset = load_csv(path)
    except DataError as error:
        assert str(error).isprintable() and str(error).startswith(str(path))
    else:
        assert np.all(np.isfinite(dataset.X)) and np.all(np.isfinite(dataset.y))
        assert dataset.n_samples >= 2 and dataset.X.shape[1] >= 1
