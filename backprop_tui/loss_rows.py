"""Which epochs a loss table shows, the same on the command line and on the training screen."""

from __future__ import annotations


def loss_rows(losses: list[float], every: int) -> list[tuple[int, float]]:
    """Every `every`-th epoch, like the article's table, plus the last epoch run."""
    rows = [(epoch, losses[epoch]) for epoch in range(0, len(losses), every)]
    if losses and rows[-1][0] != len(losses) - 1:
        rows.append((len(losses) - 1, losses[-1]))
    return rows
