"""Launch to first frame as a person sees it: a real process in a pseudo-terminal.

The clock starts before the interpreter is spawned and stops when the terminal has
received the first frame with content (for the debugger, the status line of phase 1;
for the bare app, a row of the table's values). Imports, building the data and the
tape, composing and painting all count, as they do for someone typing the command.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
ROOT = Path(__file__).resolve().parent.parent


def first_frame(argv: list[str], marker: bytes, size: tuple[int, int] = (160, 48), timeout: float = 30.0) -> float:
    """Seconds from spawning argv until `marker` shows in the terminal's text (escape codes stripped)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])}
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
                return time.perf_counter() - started
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


def launch_times(runs: int = 7) -> tuple[list[float], list[float]]:
    """(bare app, debugger) seconds, taking turns."""
    bare_argv = [sys.executable, str(ROOT / "benchmarks" / "bare_app.py")]
    app_argv = [sys.executable, "-m", "backprop_tui"]
    bare, app = [], []
    for _ in range(runs):
        bare.append(first_frame(bare_argv, b"0."))
        app.append(first_frame(app_argv, b"phase 1/"))
    return bare, app


if __name__ == "__main__":
    import statistics

    bare, app = launch_times()
    b, a = statistics.median(bare), statistics.median(app)
    print(f"launch to first frame (process in a pty, medians of {len(bare)}): "
          f"bare {b * 1000:.0f} ms, debugger {a * 1000:.0f} ms, {a / b:.2f}×")
