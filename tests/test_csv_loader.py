"""The CSV loader on good tables and on every bad input it must refuse with one clear line."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchnet.data import DataError, load_csv


def write(tmp_path, text: str | bytes, name: str = "houses.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


GOOD = "size,rooms,city,price\n1000,2,Oslo,200\n1500,3,Bergen,310\n2000,3,Oslo,390\n2500,4,Oslo,520\n"


def test_a_good_table_standardizes_features_and_keeps_the_target_scaler(tmp_path):
    dataset = load_csv(write(tmp_path, GOOD))
    assert dataset.feature_names == ("size", "rooms") and dataset.target_name == "price"  # city is text: skipped
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(dataset.target_scaler.inverse(dataset.y)[:, 0], [200, 310, 390, 520])
    np.testing.assert_allclose(dataset.feature_scaler.inverse(dataset.X)[:, 0], [1000, 1500, 2000, 2500])


def test_target_can_be_named(tmp_path):
    dataset = load_csv(write(tmp_path, GOOD), target="size")
    assert dataset.target_name == "size" and dataset.feature_names == ("rooms", "price")


@pytest.mark.parametrize("text", [
    GOOD.replace(",", ";"),
    GOOD.replace(",", "\t"),
    "\ufeff" + GOOD,
    GOOD.replace("\n", "\r\n"),
    GOOD.replace("Bergen", '"Bergen, west"'),
    GOOD + "\n\n\n",
])
def test_delimiters_bom_crlf_quotes_and_trailing_blank_lines(tmp_path, text):
    dataset = load_csv(write(tmp_path, text))
    assert dataset.feature_names == ("size", "rooms") and dataset.n_samples == 4


BAD = {
    "empty": ("", "empty"),
    "blank": ("  \n\n", "empty"),
    "nul": (b"a,b\n1,\x002\n", "NUL"),
    "not utf-8": (b"a,b\n\xff\xfe,2\n", "UTF-8"),
    "no header": ("1,2\n3,4\n5,6\n", "no header"),
    "no target": ("a,b\n1,2\n3,4\n", "no column named 'price'"),
    "non-numeric": ("a,b\n1,2\n3,x\n4,5\n", "line 3, column 'b': 'x' is not a number"),
    "missing": ("a,b\n1,2\n3,\n4,5\n", "line 3, column 'b': missing value"),
    "nan": ("a,b\n1,2\nnan,3\n4,5\n", "line 3, column 'a': 'nan' is not a finite number"),
    "inf": ("a,b\n1,2\n3,inf\n4,5\n", "'inf' is not a finite number"),
    "constant": ("a,b,c\n1,7,2\n3,7,4\n5,7,6\n", "column 'b' is constant"),
    "single row": ("a,b\n1,2\n", "only one data row"),
    "header only": ("a,b\n", "no data rows"),
    "ragged": ("a,b\n1,2\n3,4,5\n", "line 3: 3 fields, but the header has 2"),
    "duplicate": ("a,a,b\n1,2,3\n4,5,6\n", "duplicate column name 'a'"),
    "text target": ("a,b\n1,x\n2,y\n", "target column 'b' has no numbers"),
    "no features": ("a,b\nx,1\ny,2\n", "no numeric feature columns"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_tables_give_one_line_naming_the_problem(tmp_path, case):
    text, expected = BAD[case]
    target = "price" if case == "no target" else None
    with pytest.raises(DataError) as error:
        load_csv(write(tmp_path, text), target)
    message = str(error.value)
    assert expected in message and "\n" not in message and "houses.csv" in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod-000 file")
def test_unreadable_file(tmp_path):
    path = write(tmp_path, GOOD)
    path.chmod(0)
    with pytest.raises(DataError, match="permission denied"):
        load_csv(path)


def test_extreme_columns_standardize_without_overflow(tmp_path):
    text = "huge,tiny,y\n1e200,1e-300,1\n-3e200,3e-300,2\n2e200,-2e-300,4\n"
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        dataset = load_csv(write(tmp_path, text))
    assert np.all(np.isfinite(dataset.X))
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(dataset.feature_scaler.inverse(dataset.X)[:, 0], [1e200, -3e200, 2e200], rtol=1e-12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.text(alphabet=st.sampled_from('ab1.;,"\t\r\n -e9xé\ufeff'), max_size=120))
def test_any_bytes_load_or_give_a_data_error(tmp_path, content):
    path = write(tmp_path, content, "fuzz.csv")
    try:
        dataset = load_csv(path)
    except DataError as error:
        assert "\n" not in str(error)
    else:
        assert np.all(np.isfinite(dataset.X)) and np.all(np.isfinite(dataset.y))
