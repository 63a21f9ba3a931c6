"""Session-file TOML round-trips through the standard library's reader, and errors point at lines."""

import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.toml_writer import decode_error, dumps, locate, where

keys = st.text(min_size=0, max_size=8)
scalars = st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.booleans())
arrays = st.recursive(st.lists(scalars, max_size=4), lambda inner: st.lists(inner, max_size=3), max_leaves=8)
leaves = st.dictionaries(keys, st.one_of(scalars, arrays), max_size=4)
documents = st.recursive(leaves, lambda children: st.dictionaries(
    keys, st.one_of(scalars, arrays, children, st.lists(children, min_size=1, max_size=3)), max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_round_trip(document):
    assert tomllib.loads(dumps(document)) == document


@pytest.mark.parametrize("text", ['say "hi"', "back\\slash", "tab\there", "new\nline", "cr\rlf", "\x00\x1f\x7f",
                                  "ŷ ∂L/∂W ünïcødé 🙂", "'''", '"""', "\u2028\u0085", ""])
def test_awkward_strings_and_keys(text):
    document = {text: text, "t": {text: [text, text]}, "arr": [{text: text}]}
    assert tomllib.loads(dumps(document)) == document


def test_keys_with_a_trailing_newline_are_quoted():
    assert dumps({"a\n": 1}) == '"a\\n" = 1\n'
    assert dumps({"bare-key_1": 1}) == "bare-key_1 = 1\n"


def test_layout_of_a_session_like_document():
    text = dumps({"version": 1, "data": {"source": "generated", "noise": 30000.0},
                  "pin": [{"matrix": "W2", "cell": [3, 1]}, {"matrix": "dL_dyhat", "cell": [0, 0]}], "skip": None})
    assert text == ('version = 1\n\n[data]\nsource = "generated"\nnoise = 30000.0\n\n'
                    '[[pin]]\nmatrix = "W2"\ncell = [\n    3,\n    1,\n]\n\n'
                    '[[pin]]\nmatrix = "dL_dyhat"\ncell = [\n    0,\n    0,\n]\n')


@pytest.mark.parametrize("value", [0.1, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 1e16, 123456789.123456789])
def test_floats_round_trip_exactly(value):
    back = tomllib.loads(dumps({"x": value}))["x"]
    assert back == value and math.copysign(1, back) == math.copysign(1, value)


def test_numpy_scalars_are_written_as_plain_numbers():
    assert tomllib.loads(dumps({"a": np.float64(0.01), "b": np.int64(3), "c": np.bool_(True)})) == \
        {"a": 0.01, "b": 3, "c": True}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), [1.0, float("nan")], "\ud800"])
def test_values_toml_cannot_hold_are_refused(value):
    with pytest.raises(ValueError):
        dumps({"x": value})


@pytest.mark.parametrize("value", [None, object(), {1, 2}])
def test_other_types_are_refused_inside_arrays(value):
    with pytest.raises(TypeError):
        dumps({"x": [value]})


def test_locate_finds_keys_inside_the_right_table():
    text = 'a = 1\n[data]\nsource = "csv"\n[[pin]]\ncell = [1]\n\n[[pin]]\n  "cell" = [2]\n'
    assert locate(text, None, "a") == (1, 1)
    assert locate(text, "data", "source") == (3, 1)
    assert locate(text, "data", None) == (2, 1)
    assert locate(text, "pin", "cell", 1) == (8, 3)
    assert locate(text, "pin", None, 1) == (7, 1)
    assert locate(text, "data", "cell") is None
    assert where("s.toml", (3, 1)) == "s.toml:3:1" and where("s.toml", None) == "s.toml"


def test_decode_error_keeps_tomllibs_line_and_column():
    text = "a = 1\n[table\n"
    with pytest.raises(tomllib.TOMLDecodeError) as error:
        tomllib.loads(text)
    position, message = decode_error(error.value, text)
    assert position == (2, 7) and "(at" not in message
