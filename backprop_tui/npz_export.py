"""`trace --format npz`: every matrix of one iteration in NumPy's .npz format, keyed by the ASCII names.

The names are those typed everywhere else (`dL_dyhat`, `W2_new`, `mhatW1`), so `np.load(path)["dW2"]` reads what the
debugger shows as ∂L/∂W₂. Each array is written as the tape holds it, in the run's dtype. No Textual here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop_tui.atomic import write_atomic_with
from backprop_tui.usage import UsageError
from scratchnet import Tape
from scratchnet.debugger.names import ascii_name


def tape_arrays(tape: Tape) -> dict[str, np.ndarray]:
    """Each matrix of the iteration once, by its ASCII name, in the order the phases first show them."""
    arrays: dict[str, np.ndarray] = {}
    for phase in tape:
        for name, array in (*phase.inputs.items(), *phase.outputs.items()):
            arrays.setdefault(ascii_name(name), np.asarray(array))
    return arrays


def default_name(tape: Tape) -> str:
    """backprop-epoch3.npz, or backprop-epoch3-iteration2.npz when the epoch has several batches."""
    batch = f"-iteration{tape.iteration}" if tape.iterations > 1 else ""
    return f"backprop-epoch{tape.epoch}{batch}.npz"


@dataclass(frozen=True)
class Target:
    """Where the file goes: a folder, and a file name there (None: `default_name` of the tape)."""

    folder: Path
    name: str | None = None

    def path(self, tape: Tape) -> Path:
        return self.folder / (self.name or default_name(tape))


def target_of(out: str | None) -> Target:
    """`--out`: a FILE.npz (its folder must exist), or a folder, created if need be (default: here). Checked before
    the run, so a path that cannot be written costs no training."""
    path = Path(out if out is not None else ".")
    if path.suffix == ".npz" and not path.is_dir():
        folder = path.parent
        if not folder.is_dir():
            raise UsageError(f"--out {out}: {folder} " + ("is not a folder" if folder.exists() else "does not exist"))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--out {out}: its folder {folder} is not one this user can write to")
        return Target(folder, path.name)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out {out}: exists and is not a folder (name a FILE.npz, or a folder)") from None
    except OSError as error:
        raise UsageError(f"--out {out}: cannot be created ({error.strerror or error})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: not a folder this user can write to")
    return Target(path)


def write_npz(tape: Tape, target: Target) -> Path:
    """The tape's matrices into the target's file, whole or not at all (an existing file is replaced)."""
    path = target.path(tape)
    arrays = tape_arrays(tape)
    try:
        return write_atomic_with(path, lambda handle: np.savez(handle, allow_pickle=False, **arrays))
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
