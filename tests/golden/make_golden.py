"""Write the golden `trace --format json` files the contract test compares against.

Run only when a change to the phases is intended (never to make a failing contract test pass):
    python tests/golden/make_golden.py
Each file keeps every field of every phase; matrices are summarised (shape, sum, first and last value)
so the files stay small and a new BLAS may differ in the last bits without a false alarm.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np

from backprop_tui.cli import main

HERE = Path(__file__).parent

CONFIGS = {
    "default": [],
    "default_epoch_3": ["--epoch", "3"],
    "hidden_3_float32": ["--hidden", "3", "--samples", "5", "--dtype", "float32", "--epoch", "2", "--lr", "0.05"],
    "hidden_2_3_2_seed_7": ["--hidden", "2,3,2", "--samples", "4", "--seed", "7", "--epoch", "1"],
}


def summary(matrix: object) -> dict:
    array = np.array(matrix, dtype=np.float64)
    flat = array.reshape(-1)
    return {"shape": list(array.shape), "sum": float(np.nansum(flat)), "first": float(flat[0]),
            "last": float(flat[-1])}


def skeleton(argv: list[str]) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["trace", "--format", "json", *argv]) == 0
    document = json.loads(out.getvalue())
    for phase in document["phases"]:
        for side in ("inputs", "outputs"):
            phase[side] = {name: summary(matrix) for name, matrix in phase[side].items()}
    return document


if __name__ == "__main__":
    for name, argv in CONFIGS.items():
        (HERE / f"trace_{name}.json").write_text(json.dumps(skeleton(argv), indent=1, ensure_ascii=False) + "\n")
        print(name)
