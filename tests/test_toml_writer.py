"""The small TOML writer round-trips through the standard library's reader."""

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.toml_writer import dumps

keys = st.text(min_size=1, max_size=8)
scalars = st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.booleans())
leaves = st.dictionaries(keys, st.one_of(scalars, st.lists(scalars, max_size=4)), max_size=4)
documents = st.recursive(leaves, lambda children: st.dictionaries(
    keys, st.one_of(scalars, children, st.lists(children, min_size=1, max_size=3)), max_size=4), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_round_trip(document):
    try:
        text = dumps(document)
    except ValueError:
        return
    assert tomllib.loads(text) == document


def test_non_finite_floats_are_refused():
    with pytest.raises(ValueError):
        dumps({"x": float("nan")})
