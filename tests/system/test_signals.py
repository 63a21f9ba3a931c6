"""Signals to a real app process in a pseudo-terminal, as a person's terminal would run it.

SIGINT or SIGTERM during a training run: a clean exit, the terminal restored, the session saved.
SIGTERM and SIGHUP end the process within 2 s in every state: training running, paused or
diverged, a screen or the command palette open, a gradient check running, the event loop blocked
(there the graceful quit cannot run, and the watchdog ends it); a second signal ends it at once;
closing the terminal ends it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from backprop_tui.session_file import load_session
from backprop_tui.signals import BACKSTOP
from tests.helpers import ROOT


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


DEADLINE = 2.0
"""The promise: SIGTERM or SIGHUP ends the process within 2 s, whatever it is doing."""
LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"


def start(tmp_path: Path, *flags: str, controlling_terminal: bool = False) -> tuple[subprocess.Popen, int]:
    """The app in a new session on a fresh pty; with `controlling_terminal` the pty becomes the
    session's terminal, so closing it sends SIGHUP as a closing terminal window does."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "backprop_tui", "--out", str(tmp_path), *flags],
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True, start_new_session=True,
        preexec_fn=take_terminal if controlling_terminal else None,
    )
    os.close(follower)
    return process, leader


def wait_for(leader: int, needle: bytes, seconds: float = 60) -> None:
    seen = read_until(leader, needle, seconds)
    assert needle in seen, seen[-2000:]


def ended_by(process: subprocess.Popen, leader: int, number: int, again_after: float | None = None):
    """Send `number` (and, `again_after` seconds later, once more) while reading the terminal as a real
    one does (a terminal nobody reads fills up and blocks the app's writes); (exit code, seconds from
    the last signal to the exit, what the app wrote after the first signal)."""
    process.send_signal(number)
    sent = time.monotonic()
    again = again_after is not None
    tail = b""
    while process.poll() is None and time.monotonic() - sent < 30:
        if again and time.monotonic() - sent >= again_after:
            process.send_signal(number)
            sent, again = time.monotonic(), False
        ready, _, _ = select.select([leader], [], [], 0.01)
        if ready:
            try:
                tail += os.read(leader, 65536)
            except OSError:
                time.sleep(0.01)
    code = process.wait(timeout=5)
    elapsed = time.monotonic() - sent
    return code, elapsed, tail + read_until(leader, b"never printed", 0.3)


def stop(process: subprocess.Popen, leader: int) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    os.close(leader)


def assert_ended_in_time(code: int, elapsed: float, tail: bytes, number: int, graceful: bool = True) -> None:
    assert elapsed < DEADLINE, f"{signal.Signals(number).name} took {elapsed:.2f} s"
    # The graceful quit exits 0; the watchdog, if the quit did not finish in its 1.5 s, 128 + the signal.
    assert code in ((0, 128 + number) if graceful else (128 + number,))
    assert LEAVE_ALTERNATE_SCREEN in tail  # the terminal is restored either way
    assert b"Traceback" not in tail


def to_training(leader: int, *keys: bytes) -> None:
    wait_for(leader, b"forward.1")
    os.write(leader, b"e")
    wait_for(leader, b"Training")
    for key in keys:
        os.write(leader, key)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("state", ["training", "paused", "diverged", "help", "palette"])
def test_sigterm_and_sighup_end_the_app_within_two_seconds_in_every_state(tmp_path, state, number):
    flags = {"diverged": ("--lr", "5", "--speed", "max")}.get(state, ("--speed", "2"))
    process, leader = start(tmp_path, *flags)
    try:
        if state == "training":
            to_training(leader)
        elif state == "paused":
            to_training(leader, b" ")
            wait_for(leader, b"paused")
        elif state == "diverged":
            to_training(leader)
            wait_for(leader, b"diverged")
        elif state == "help":
            wait_for(leader, b"forward.1")
            os.write(leader, b"?")
            wait_for(leader, b"Esc closes")
        else:
            wait_for(leader, b"forward.1")
            os.write(leader, b"\x10")  # ctrl+p
            wait_for(leader, b"Search")
        assert_ended_in_time(*ended_by(process, leader, number), number)
    finally:
        stop(process, leader)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_gradient_check_on_a_big_run_ends_the_app_in_time(tmp_path, number):
    process, leader = start(tmp_path, "--samples", "200000")
    try:
        wait_for(leader, b"forward.1")
        os.write(leader, b"\x1b[F")  # End: update.3, phase 18
        wait_for(leader, b"phase 18/18")
        os.write(leader, b"\x1b[D\x1b[D\x1b[D")  # ← ← ←: backward.1.input, dX1 (200,000 × 4), 1,000 cells sampled
        wait_for(leader, b"phase 15/18")
        os.write(leader, b"c")
        wait_for(leader, b"checking")  # each cell runs the whole network forward twice over 200,000 rows
        assert_ended_in_time(*ended_by(process, leader, number), number)
    finally:
        stop(process, leader)


def blocked_session(tmp_path: Path) -> Path:
    """A session file that reopens epoch 100,000 of a 20,000-sample run: the app trains there on
    the event loop's thread before its first frame, so the loop is blocked for minutes."""
    path = tmp_path / "far.toml"
    path.write_text(
        'version = 1\n\n[data]\nsource = "generated"\nsamples = 20000\nnoise = 30000.0\n\n'
        '[network]\nhidden = [8, 4]\ndtype = "float64"\nseed = 0\n\n'
        '[training]\nlearning_rate = 0.01\nepochs = 125\n\n[view]\ntheme = "dark"\n\n'
        '[position]\nepoch = 100000\nphase = "forward.1"\ncell = [0, 0]\n'
    )
    return path


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_app_even_when_its_event_loop_is_blocked(tmp_path, number):
    process, leader = start(tmp_path, "--session", str(blocked_session(tmp_path)))
    try:
        wait_for(leader, b"\x1b[?1049h")  # the terminal is taken; reopening epoch 100,000 now runs
        time.sleep(1.0)
        assert process.poll() is None
        code, elapsed, tail = ended_by(process, leader, number)
        assert_ended_in_time(code, elapsed, tail, number, graceful=False)
    finally:
        stop(process, leader)


def test_a_second_signal_ends_the_app_at_once(tmp_path):
    process, leader = start(tmp_path, "--session", str(blocked_session(tmp_path)))
    try:
        wait_for(leader, b"\x1b[?1049h")
        time.sleep(1.0)
        code, elapsed, tail = ended_by(process, leader, signal.SIGTERM, again_after=0.2)
        assert code == 128 + signal.SIGTERM
        assert elapsed < 0.5, f"the second signal took {elapsed:.2f} s"  # not the first one's 1.5 s grace
        assert LEAVE_ALTERNATE_SCREEN in tail
    finally:
        stop(process, leader)


def test_closing_the_terminal_ends_the_app_and_keeps_the_session(tmp_path):
    """With its terminal gone, Textual's shutdown can block for good (its output queue fills and
    nothing drains it): the session is saved first, and the watchdog ends the process."""
    session = tmp_path / "room.toml"
    process, leader = start(tmp_path, "--speed", "2", "--session", str(session), controlling_terminal=True)
    try:
        to_training(leader)
        started = time.monotonic()
        os.close(leader)  # the terminal goes away: the kernel sends SIGHUP to the app
        leader = os.open(os.devnull, os.O_RDONLY)  # for stop() to close
        assert process.wait(timeout=30) in (0, 128 + signal.SIGHUP)
        assert time.monotonic() - started < DEADLINE
        assert load_session(session).phase == "forward.1"
    finally:
        stop(process, leader)


def test_if_even_the_watchdog_cannot_end_the_process_its_timer_does():
    """The last resort: a watchdog whose exit does nothing (as if it could never get to run) still
    leaves the real-time timer it armed on the first signal, and SIGALRM's default action ends it."""
    script = (
        "import time\n"
        "from backprop_tui.signals import SignalExit\n"
        "SignalExit(request_quit=lambda: None, exit=lambda code: None, grace=0.3).install()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                               start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == -signal.SIGALRM
        assert time.monotonic() - sent < 0.3 + BACKSTOP + 0.5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
