"""Matrix stats against direct NumPy, the cache's sharing, and the colour levels and cell text at the edges."""

import gc
import math

import numpy as np

from backprop_tui.cell_format import CELL_WIDTH, format_value
from backprop_tui.heatmap import LEVELS, level
from scratchnet.debugger.stats import StatsCache, matrix_stats


def test_stats_match_numpy_on_finite_entries():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 7))
    a[3, 2], a[4, 4], a[5, 5] = np.nan, np.inf, -np.inf
    s = matrix_stats(a)
    finite = a[np.isfinite(a)]
    assert (s.n_nan, s.n_inf) == (1, 2)
    assert s.minimum == finite.min() and s.maximum == finite.max()
    assert math.isclose(s.mean, finite.mean()) and math.isclose(s.norm, np.linalg.norm(finite))
    assert s.max_abs == np.abs(finite).max()


def test_norm_of_huge_values_does_not_overflow():
    s = matrix_stats(np.array([[1e200, -1e200]]))
    assert math.isclose(s.norm, math.sqrt(2) * 1e200)


def test_cache_shares_one_entry_between_views_and_forgets_freed_arrays():
    cache = StatsCache()
    a = np.arange(12.0).reshape(3, 4)
    v1, v2 = a.view(), a.view()
    assert cache(v1) is cache(v2) and cache.computed == 1
    cache(a[1:])
    assert cache.computed == 2
    del a, v1, v2
    gc.collect()
    assert len(cache) == 0


def test_levels_are_symmetric_and_zero_for_non_finite():
    assert level(1.0, 1.0) == LEVELS and level(-1.0, 1.0) == -LEVELS
    assert level(0.0, 1.0) == 0 and level(np.nan, 1.0) == 0 and level(np.inf, 1.0) == 0
    assert level(0.01, 1.0) == 1


def test_cells_fit_their_width_and_keep_signs_and_tiny_values():
    for value in (0.0, -0.0, 1.5, -1.5, 123456789.0, -1e200, 1e-300, -5e-324, np.nan, np.inf, -np.inf, 0.00001):
        assert len(format_value(value)) <= CELL_WIDTH, value
    assert format_value(-0.0).startswith("−")
    assert format_value(1e-7) != "0.0000" and float(format_value(1e-7)) == 1e-7
    assert format_value(-1.23456) == "−1.2346"
    assert format_value(np.nan) == "NaN" and format_value(-np.inf) == "−∞"
