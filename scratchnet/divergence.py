"""The one rule for "training has blown up", shared by the command line and the app."""

from __future__ import annotations

import math

DIVERGENCE_FACTOR = 1e6


def diverged(loss: float, first_loss: float) -> bool:
    """Non-finite, or a million times the first epoch's loss."""
    if not math.isfinite(loss):
        return True
    return math.isfinite(first_loss) and first_loss > 0 and loss > DIVERGENCE_FACTOR * first_loss


def divergence_message(epoch: int, loss: float) -> str:
    return f"diverged at epoch {epoch} (loss = {loss:.4g}): lower the learning rate"
