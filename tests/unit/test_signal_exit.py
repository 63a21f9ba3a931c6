"""The signal watchdog on its own, in this process, with an event loop that never runs the quit.

Real signals are sent to this process, with the handlers installed; every test puts the runner's
handlers back (the fixture checks). Exits are recorded instead of taken.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from backprop_tui.signals import RESTORE_TIMEOUT, SignalExit

NUMBERS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def wakeup_fd() -> int:
    previous = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(previous)
    return previous


@pytest.fixture(autouse=True)
def runner_handling_untouched():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be set from the main thread")
    before = {number: signal.getsignal(number) for number in NUMBERS}
    wakeup = wakeup_fd()
    yield
    assert {number: signal.getsignal(number) for number in NUMBERS} == before
    assert wakeup_fd() == wakeup


class Recorder:
    """A blocked loop (quit requests go nowhere), a terminal, and os._exit, all recorded."""

    def __init__(self, restore_seconds: float = 0.0, quit_error: bool = False) -> None:
        self.quit_requests: list[float] = []
        self.restored: list[float] = []
        self.exits: list[tuple[int, float]] = []
        self.exited = threading.Event()
        self._restore_seconds = restore_seconds
        self._quit_error = quit_error

    def request_quit(self) -> None:
        self.quit_requests.append(time.monotonic())
        if self._quit_error:
            raise RuntimeError("Event loop is closed")

    def restore(self) -> None:
        time.sleep(self._restore_seconds)
        self.restored.append(time.monotonic())

    def exit(self, code: int) -> None:
        self.exits.append((code, time.monotonic()))
        self.exited.set()

    def watchdog(self, grace: float) -> SignalExit:
        handling = SignalExit(self.request_quit, self.restore, grace=grace, exit=self.exit, backstop=False)
        handling.install()
        return handling


def test_install_and_uninstall_leave_the_handlers_as_they_were():
    handling = Recorder().watchdog(grace=1.0)
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.default_int_handler)
    handling.uninstall()


def test_the_first_signal_asks_for_a_quit_and_a_blocked_loop_is_ended_after_the_grace_period():
    recorder = Recorder()
    handling = recorder.watchdog(grace=0.3)
    try:
        sent = time.monotonic()
        os.kill(os.getpid(), signal.SIGTERM)
        assert recorder.exited.wait(5)
        (code, at), = recorder.exits
        assert code == 128 + signal.SIGTERM
        assert len(recorder.quit_requests) == 1 and recorder.quit_requests[0] - sent < 0.2
        assert 0.3 <= at - sent < 1.0
        assert recorder.restored and recorder.restored[0] <= at  # the terminal first, then the exit
    finally:
        handling.uninstall()


def test_a_second_signal_exits_at_once():
    recorder = Recorder()
    handling = recorder.watchdog(grace=30)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not recorder.quit_requests and time.monotonic() < deadline:
            time.sleep(0.01)
        sent = time.monotonic()
        os.kill(os.getpid(), signal.SIGHUP)
        assert recorder.exited.wait(5)
        (code, at), = recorder.exits
        assert code == 128 + signal.SIGHUP and at - sent < 0.5
    finally:
        handling.uninstall()


def test_with_no_loop_left_to_quit_the_first_signal_exits_at_once():
    recorder = Recorder(quit_error=True)
    handling = recorder.watchdog(grace=30)
    try:
        sent = time.monotonic()
        os.kill(os.getpid(), signal.SIGHUP)
        assert recorder.exited.wait(5)
        (code, at), = recorder.exits
        assert code == 128 + signal.SIGHUP and at - sent < 0.5
    finally:
        handling.uninstall()


def test_a_terminal_that_does_not_take_the_reset_does_not_hold_the_exit():
    recorder = Recorder(restore_seconds=5)
    handling = recorder.watchdog(grace=0.1)
    try:
        sent = time.monotonic()
        os.kill(os.getpid(), signal.SIGTERM)
        assert recorder.exited.wait(5)
        assert recorder.exits[0][1] - sent < 0.1 + RESTORE_TIMEOUT + 0.5
    finally:
        handling.uninstall()


def test_after_a_signal_the_watchdog_outlives_the_app_that_quit_but_did_not_end_the_process():
    recorder = Recorder()
    handling = recorder.watchdog(grace=0.3)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.05)
    handling.uninstall()  # the app quit gracefully and put the handlers back; the process lingers
    assert recorder.exited.wait(5)
    assert recorder.exits[0][0] == 128 + signal.SIGTERM


def test_without_a_signal_uninstall_stops_the_watchdog():
    recorder = Recorder()
    handling = recorder.watchdog(grace=0.1)
    watchers = [thread for thread in threading.enumerate() if thread.name == "signal-exit"]
    handling.uninstall()
    for thread in watchers:
        thread.join(2)
        assert not thread.is_alive()
    assert recorder.exits == [] and recorder.quit_requests == []


def test_other_signals_do_not_count():
    recorder = Recorder()
    handling = recorder.watchdog(grace=0.1)
    previous = signal.signal(signal.SIGUSR1, lambda *_: None)  # a Python handler: its byte reaches the wakeup fd
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.3)
        assert recorder.quit_requests == [] and recorder.exits == []
    finally:
        signal.signal(signal.SIGUSR1, previous)
        handling.uninstall()
