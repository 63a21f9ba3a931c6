"""`export-script DIR`: the run as a folder a learner runs with only Python and NumPy.

The folder holds `run.py` (written by `script_source.py`) and `data.npz`: the standardized training rows X and y,
the held-out rows test_X and test_y when there are any, the initial weights and biases W1, b1, W2, … (all at the
run's dtype, as backprop-tui built them), and the names of the features and the target. So run.py needs neither
scratchnet nor any data code, and its numbers are `backprop-tui train`'s bit for bit.

The folder may be new, empty, or hold anything else, except a run.py or data.npz that an earlier export did not
write: an export replaces only its own files (run.py starts with `script_source.MARKER`), never a learner's. Each
file is written whole or not at all (`atomic.py`); data.npz goes first, so a run.py is only ever beside the data
written with it, or beside newer data when the second write failed, which the one-line error then says.
No Textual here.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop_tui import memory
from backprop_tui.atomic import write_atomic, write_atomic_with
from backprop_tui.config import Run, RunConfig, build_run
from backprop_tui.script_source import MARKER, script_text
from backprop_tui.usage import UsageError

SCRIPT, DATA = "run.py", "data.npz"


def ours(path: Path) -> bool:
    """Whether `path` is a run.py an export wrote (its first line is the marker)."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(len(MARKER) + 2)
    except OSError:
        return False
    return first.rstrip(b"\r\n") == MARKER.encode("utf-8")


def check_folder(folder: Path) -> None:
    """Refuse, before anything is built, a folder the export cannot go into: a file, one we cannot write to, or one
    holding a run.py or data.npz that no export wrote."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: exists and is not a folder")
    if not folder.exists():
        return
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{folder}: not a folder this user can write to")
    script, data = folder / SCRIPT, folder / DATA
    if script.exists() and not ours(script):
        raise UsageError(f"{script} exists and was not written by export-script: choose another folder, or move it away")
    if data.exists() and not script.exists():
        raise UsageError(f"{data} exists without the run.py of an export: choose another folder, or move it away")


def data_arrays(run: Run) -> dict[str, np.ndarray]:
    """What data.npz holds, by name: the data, the initial parameters, the names."""
    dataset = run.dataset
    arrays = {"X": dataset.X, "y": dataset.y}
    if dataset.test_X is not None and dataset.test_y is not None:
        arrays |= {"test_X": dataset.test_X, "test_y": dataset.test_y}
    for number, (weight, bias) in enumerate(run.initial_parameters, 1):
        arrays |= {f"W{number}": weight, f"b{number}": bias}
    arrays |= {"feature_names": np.array(dataset.feature_names, dtype=str),
               "target_name": np.array(dataset.target_name, dtype=str)}
    return arrays


@dataclass(frozen=True)
class Exported:
    script: Path
    data: Path
    run: Run


def export_script(folder: Path, config: RunConfig) -> Exported:
    """Build the run and write its folder (created, with its parents, if need be). Raises UsageError for a folder
    it may not use and DataError for data that cannot be used, before writing anything."""
    check_folder(folder)
    run = build_run(config)
    for note in run.dataset.notes:
        print(f"backprop-tui: note: {note}", file=sys.stderr)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{folder}: cannot be created ({error.strerror or error})") from None
    arrays = data_arrays(run)
    data, script = folder / DATA, folder / SCRIPT
    try:
        write_atomic_with(data, lambda handle: np.savez(handle, allow_pickle=False, **arrays))
    except OSError as error:
        raise UsageError(f"cannot write {data}: {error.strerror or error}") from None
    try:
        write_atomic(script, script_text(run))
    except OSError as error:
        raise UsageError(f"cannot write {script} ({error.strerror or error}); {data} was written: export again") from None
    return Exported(script, data, run)


def run_export(args: argparse.Namespace, config: RunConfig) -> int:
    """`backprop-tui export-script DIR [run flags]`: write the folder, say what was written and how to run it."""
    if getattr(args, "breaks", None):
        raise UsageError("--break is not part of an exported script (it trains every epoch): use it with train")
    memory.check(config, "train")
    exported = export_script(Path(args.folder), config)
    run = exported.run
    held = "" if run.dataset.test_X is None else f" and {run.dataset.test_X.shape[0]} held-out rows"
    print(f"wrote {exported.script} and {exported.data} ({run.dataset.n_samples} training rows{held}, "
          f"{' → '.join(map(str, run.sizes))}, {run.config.dtype})")
    print(f"run it with only Python and NumPy:  python {exported.script} [--format text|json|csv] [--every K]")
    return 0
