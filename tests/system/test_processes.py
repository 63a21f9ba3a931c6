"""The command line as a real process: exit codes, one-line errors without a traceback, a reader that leaves early."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import write

DIVERGED = re.compile(r"backprop-tui: diverged at epoch (\d+) \(loss = ([^)]+)\): lower the learning rate\n")


def test_the_real_process_exits_2_with_one_line_and_no_traceback(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,x\n4,5\n")
    result = subprocess.run([sys.executable, "-m", "backprop_tui", "train", "--data", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"backprop-tui: error: {path}: line 3, column 'b': 'x' is not a number; if 'b' holds "
                             f"class labels, read it as labels (--labels)\n")


def test_divergence_in_a_real_process_is_one_line_exit_3_and_no_numpy_warning():
    result = subprocess.run([sys.executable, "-m", "backprop_tui", "train", "--lr", "5"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    match = DIVERGED.fullmatch(result.stderr)
    assert match, result.stderr
    assert "Warning" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    epoch, loss = int(match[1]), match[2]
    last_row = result.stdout.splitlines()[-1].split()
    assert last_row[0] == str(epoch) and float(last_row[1]) == pytest.approx(float(loss), rel=1e-3)


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`backprop-tui trace --format json | head -c 100`: the pipe closes before everything is written."""
    process = subprocess.Popen([sys.executable, "-m", "backprop_tui", "trace", "--format", "json", "--samples", "50"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) == 1
    assert stderr == ""


def test_ctrl_c_ends_a_long_trace_with_exit_130_and_one_line():
    process = subprocess.Popen([sys.executable, "-m", "backprop_tui", "trace", "--epoch", "999999"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # a real person's Ctrl+C comes after a while: the run is deep in its epochs by then
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and out == ""
    assert err.endswith("backprop-tui: interrupted\n") and "Traceback" not in err


def test_an_npz_path_that_cannot_be_written_is_one_line_in_a_real_process(tmp_path):
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "iteration.npz"
    result = subprocess.run([sys.executable, "-m", "backprop_tui", "trace", "--format", "npz", "--out", str(target)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"backprop-tui: error: --out {target}: {tmp_path / 'file'} is not a folder\n"
