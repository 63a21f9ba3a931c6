"""Where a person asks to go, typed: an epoch, or an epoch and one of its batches.

The training screen's "open which epoch?" prompt and the command palette read the same words, so what works in one
works in the other. Batches are counted from 1, as the status line counts them ("epoch 3 · batch 2/32").
"""

from __future__ import annotations

import re

_PLACE = re.compile(r"^\s*(?:epoch\s*|e\s*)?(\d{1,7})(?:\s*(?:[/,·.]|\s)\s*(?:batch\s*|b\s*)?(\d{1,7}))?\s*$",
                    re.IGNORECASE)


def parse_epoch_batch(text: str) -> tuple[int, int] | None:
    """(epoch, batch index from 0) for "3", "epoch 3", "epoch 3 batch 2", "3/2", "3 2" or "e3 b2"; None for
    anything else, and for batch 0 (there is none: they are counted from 1)."""
    match = _PLACE.match(text)
    if match is None:
        return None
    epoch, batch = int(match.group(1)), match.group(2)
    if batch is None:
        return epoch, 0
    return None if int(batch) == 0 else (epoch, int(batch) - 1)
