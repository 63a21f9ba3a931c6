"""The fast path: training iterations with nobody watching, the recorded path's numbers in reused buffers.

`step.py` runs an iteration and chooses between it and the network's own `step`; `chain.py`, `heads.py` and
`rules.py` hold the operations, loss heads and update rules it knows; `layout.py` lays every parameter out as
one flat vector; `sums.py` holds the two faster forms of a dense layer's broadcasting lines.
"""

from scratchnet.fast.step import FastStep, Stepping

__all__ = ["FastStep", "Stepping"]
