"""An exported script as a learner uses it: `backprop-tui export-script` as a real process, the folder moved
somewhere else, and `python run.py` printing what a real `backprop-tui train` prints, exit code and all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT


def backprop_tui(*argv: str) -> subprocess.CompletedProcess[str]:
    """The command as a real process, from the checkout (so it is this checkout's code that runs)."""
    return subprocess.run([sys.executable, "-m", "backprop_tui", *argv], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def python_run_py(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "run.py", *args], cwd=folder, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


@pytest.mark.parametrize(("flags", "runs", "code"), [
    (["--hidden", "8:relu,4", "--samples", "200", "--batch-size", "48", "--test-fraction", "0.1", "--epochs", "30"],
     [[], ["--every", "7"], ["--format", "csv"], ["--format", "json"]], 0),
    (["--lr", "5", "--hidden", "6:leaky_relu,4", "--samples", "300", "--epochs", "60"], [["--format", "json"], []], 3),
])
def test_a_moved_export_prints_what_train_prints(tmp_path, flags, runs, code):
    exported = backprop_tui("export-script", str(tmp_path / "made"), *flags)
    assert exported.returncode == 0 and exported.stderr == ""
    assert exported.stdout.startswith(f"wrote {tmp_path / 'made' / 'run.py'} and ")
    folder = Path(shutil.move(tmp_path / "made", tmp_path / "elsewhere"))  # it needs nothing from where it was made
    for args in runs:
        trained = backprop_tui("train", *args, *flags)
        script = python_run_py(folder, *args)
        assert (script.stdout, script.stderr, script.returncode) == (trained.stdout, trained.stderr, code)
