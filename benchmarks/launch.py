"""Launch to first frame as a person sees it: a real process in a pseudo-terminal.

The clock starts before the interpreter is spawned and stops when the terminal has
received the first frame with content (for the debugger, the status line of phase 1;
for the bare app, a row of the table's values). Imports, building the data and the
tape, composing and painting all count, as they do for someone typing the command.
Bytecode is cached (in a temporary PYTHONPYCACHEPREFIX) as it is after any first run:
a machine with PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module of
ours at each launch, about 40 ms that no installed copy pays.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

import _timing  # noqa: F401  (one BLAS thread in both apps: set before they start)

ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far, all its threads (Linux /proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame(argv: list[str], marker: bytes, size: tuple[int, int] = (160, 48),
                timeout: float = 30.0, pycache: str | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds from spawning argv until `marker` shows in the terminal's text (escape codes stripped).

    CPU time is what the step benchmark compares too: on a shared machine it varies far less than wall time."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
    if pycache is not None:  # bytecode cached as after any first run, even where the machine disables it
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env,
                               start_new_session=True, cwd=ROOT)
    os.close(follower)
    received = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([leader], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
            if marker in ANSI.sub(b"", received):
                return time.perf_counter() - started, cpu_seconds(process.pid)
        raise RuntimeError(f"no {marker!r} within {timeout} s from {argv}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            while process.poll() is None:  # keep draining so the app can write its goodbye and exit
                if select.select([leader], [], [], 0.05)[0]:
                    try:
                        os.read(leader, 65536)
                    except OSError:
                        break
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(leader)


def launch_times(runs: int = 15) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(bare app, debugger) (wall, CPU) seconds per run, taking turns."""
    bare_argv = [sys.executable, str(ROOT / "benchmarks" / "bare_app.py")]
    app_argv = [sys.executable, "-m", "backprop_tui"]
    bare, app = [], []
    with tempfile.TemporaryDirectory() as pycache:
        first_frame(bare_argv, b"0.", pycache=pycache)  # warm-up: compiles and caches the bytecode
        first_frame(app_argv, b"phase 1/", pycache=pycache)
        for _ in range(runs):
            bare.append(first_frame(bare_argv, b"0.", pycache=pycache))
            app.append(first_frame(app_argv, b"phase 1/", pycache=pycache))
    return bare, app


def report(bare: list[tuple[float, float]], app: list[tuple[float, float]]) -> str:
    lines = []
    for index, what in ((1, "CPU"), (0, "wall")):
        b = statistics.median(run[index] for run in bare)
        a = statistics.median(run[index] for run in app)
        lines.append(f"  {what:<5} bare {b * 1000:4.0f} ms, debugger {a * 1000:4.0f} ms, {a / b:.2f}×")
    return (f"launch to first frame, a process in a pty (imports, data, tape, compose, paint), "
            f"medians of {len(bare)} in turns:\n" + "\n".join(lines))


if __name__ == "__main__":
    print(report(*launch_times()))
