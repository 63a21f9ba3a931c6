"""The two broadcasting lines of a dense layer, Z + b and Σᵢ Gᵢ, in forms that give the same bits faster.

NumPy runs `Z + b` (b one row, broadcast down N rows) and `np.sum(G, axis=0)` with an inner loop one row
long: for 100,000 rows of 8 columns that is 100,000 trips through NumPy's loop machinery, and those two lines
took about half of a full-batch epoch. What each entry gets is unchanged here:

- Z + b: Zᵢⱼ + bⱼ for every entry, however the rows are grouped. Viewing a block of rows as one long row and
  b repeated to that length makes the inner loop thousands of entries long.
- Σᵢ Gᵢ: for a G of two or more columns, `np.sum(G, axis=0)` adds the rows one after another, G₀ + G₁, then
  + G₂, …, and `np.einsum('ij->j', G)` adds them in that same order with far less overhead per row (the
  tests check the two agree bit for bit on many shapes, in float32 and float64). A single column is summed
  pairwise by `np.sum`, in a different order, so it stays `np.add.reduce`, which is what `np.sum` calls.
  Below a few hundred rows `np.add.reduce` is the quicker of the two.

The learner still reads `np.sum(...)`: the recorded path, whose lines the phases show, runs the article's
lines, and this path is checked to give the same numbers.
"""

from __future__ import annotations

import numpy as np

TILE = 4096
"""Entries in the long row `Z + b` is added in: b repeated TILE / columns times."""
EINSUM_FROM = 256
"""Rows from which the column sum goes through einsum."""


class BiasAdd:
    """Z ← Z + b in place, for a Z of `rows` × `columns` (C-ordered)."""

    def __init__(self, rows: int, columns: int, dtype: np.dtype) -> None:
        per_block = max(1, TILE // columns)
        self.blocks = rows // per_block if columns > 1 and rows >= 2 * per_block else 0
        self.body_rows = self.blocks * per_block
        self.repeated = np.empty((per_block, columns), dtype) if self.blocks else None
        """b copied onto every row of one block; as one row, the operand added to each block."""

    def __call__(self, Z: np.ndarray, b: np.ndarray) -> None:
        if self.repeated is None:
            np.add(Z, b, out=Z)
            return
        np.copyto(self.repeated, b)
        body = np.reshape(Z[:self.body_rows], (self.blocks, -1), copy=False)  # a view, or an error: never a copy
        np.add(body, self.repeated.reshape(1, -1), out=body)
        tail = Z[self.body_rows:]
        np.add(tail, b, out=tail)


def column_sum(G: np.ndarray, out: np.ndarray) -> None:
    """out (1 × k) ← Σᵢ Gᵢ, the same bits as `np.sum(G, axis=0, keepdims=True)`."""
    if G.shape[1] > 1 and G.shape[0] >= EINSUM_FROM:
        np.einsum("ij->j", G, out=out.reshape(-1))
    else:
        np.add.reduce(G, axis=0, out=out, keepdims=True)
