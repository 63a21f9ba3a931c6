"""What a network predicts over the whole input plane: the decision regions of a 2-feature classifier.

A grid of points covers the (standardized) plane the data lie in, with a margin, and one forward pass of the
network's own operations gives each point's class, by the rule accuracy counts with (`predicted_classes`: the
highest output, ties to the lowest class, −1 for a row holding NaN). Cells are square in the plane, so a circle
of points stays round: the spread that needs more room sets the scale, and the other axis is centred.
Row 0 of the grid is the top of the picture, the largest x2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scratchnet.data import Scaler
from scratchnet.labels import predicted_classes
from scratchnet.network import DenseNetwork

MARGIN = 0.1
"""The share of the data's widest spread left empty on each side, so no point sits on the picture's edge."""


@dataclass(frozen=True)
class RegionGrid:
    """Each cell's predicted class, over a rows × cols grid of the plane (x1 across, x2 up)."""

    x1: np.ndarray
    """The x1 of each column's centre, left to right."""
    x2: np.ndarray
    """The x2 of each row's centre, top to bottom (decreasing)."""
    classes: np.ndarray
    """rows × cols class indices; −1 where the network's output held NaN."""
    step: float
    """The side of a cell, the same across and up."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape[0], self.classes.shape[1]

    @property
    def points(self) -> np.ndarray:
        """The cell centres as rows of (x1, x2), row by row from the top: what the network was given."""
        return grid_points(self.x1, self.x2)

    def locate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of the cell each point of X (N×2) falls in, clipped to the grid."""
        X = np.asarray(X, dtype=np.float64)
        rows, cols = self.shape
        with np.errstate(invalid="ignore"):
            column = np.floor((X[:, 0] - self.x1[0]) / self.step + 0.5)
            row = np.floor((self.x2[0] - X[:, 1]) / self.step + 0.5)
        column = np.clip(np.nan_to_num(column, nan=-1), 0, cols - 1).astype(np.intp)
        row = np.clip(np.nan_to_num(row, nan=-1), 0, rows - 1).astype(np.intp)
        return row, column


def grid_points(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Every (x1, x2) pair as rows of an N×2 matrix, row of the grid by row."""
    across, up = np.meshgrid(x1, x2)
    return np.column_stack([across.ravel(), up.ravel()])


def plane_grid(X: np.ndarray, rows: int, cols: int, margin: float = MARGIN) -> tuple[np.ndarray, np.ndarray, float]:
    """(x1 of each column, x2 of each row from the top, the cells' side): square cells covering X's finite
    points and a margin.

    The step is the larger of the two that would fit each axis's spread (margins included) into its side of the
    grid, so both fit; the axis with room to spare is centred on its data."""
    if rows < 1 or cols < 1:
        raise ValueError(f"a grid needs at least one row and one column, not {rows}×{cols}")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision regions need 2 features (N×2), not shape {X.shape}")
    finite = X[np.isfinite(X).all(axis=1)]
    low, high = (finite.min(axis=0), finite.max(axis=0)) if len(finite) else (np.full(2, -1.0), np.full(2, 1.0))
    spread = float(max(high[0] - low[0], high[1] - low[1])) or 2.0
    low, high = low - margin * spread, high + margin * spread
    step = max((high[0] - low[0]) / cols, (high[1] - low[1]) / rows)
    centre = (low + high) / 2
    x1 = centre[0] + (np.arange(cols) - (cols - 1) / 2) * step
    x2 = centre[1] - (np.arange(rows) - (rows - 1) / 2) * step
    return x1, x2, float(step)


def decision_regions(network: DenseNetwork, parameters: Sequence[tuple[np.ndarray, np.ndarray]], X: np.ndarray,
                     rows: int, cols: int, margin: float = MARGIN) -> RegionGrid:
    """The class `network` with `parameters` predicts at the centre of each cell of a rows × cols grid over X's
    plane: one forward pass over rows·cols points (a 96 × 160 grid is 15,360 points), in the parameters' dtype."""
    x1, x2, step = plane_grid(X, rows, cols, margin)
    dtype = parameters[0][0].dtype
    with np.errstate(all="ignore"):
        scores = network.predict(grid_points(x1, x2).astype(dtype), parameters)
    return RegionGrid(x1, x2, predicted_classes(scores).reshape(rows, cols), step)


def predicted_against_true(network: DenseNetwork, parameters: Sequence[tuple[np.ndarray, np.ndarray]],
                           X: np.ndarray, y: np.ndarray, scaler: Scaler) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, true) for each row of a one-output regression, in the target's own units (dollars for the
    houses): what a predicted-against-true picture plots."""
    with np.errstate(all="ignore"):
        predicted = scaler.inverse(network.predict(X, parameters))
    return predicted[:, 0], scaler.inverse(y)[:, 0]
