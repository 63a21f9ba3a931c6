"""SIGINT or SIGTERM during a training run: a clean exit, the terminal restored, the session saved.

A real process in a pseudo-terminal, as a person's terminal would run it.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from backprop_tui.session_file import load_session


def read_until(fd: int, needle: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_exits_cleanly_and_saves_the_session(tmp_path, number):
    session = tmp_path / "room.toml"
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    process = subprocess.Popen(
        [sys.executable, "-m", "backprop_tui", "--session", str(session), "--speed", "2", "--out", str(tmp_path)],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True, start_new_session=True,
    )
    os.close(follower)
    try:
        assert b"forward.1" in read_until(leader, b"forward.1", 60)
        os.write(leader, b"\x1b[C")  # → to phase 2
        assert b"phase 2/18" in read_until(leader, b"phase 2/18", 30)
        os.write(leader, b"e")  # a paced run: it is still going when the signal comes
        assert b"Training" in read_until(leader, b"Training", 30)
        process.send_signal(number)
        tail = read_until(leader, b"\x1b[?1049l", 30)
        assert process.wait(timeout=30) == 0
        assert b"\x1b[?1049l" in tail  # left the alternate screen: the terminal is restored
        assert b"Traceback" not in tail
        assert load_session(session).phase == "forward.2"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
