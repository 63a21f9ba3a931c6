"""SIGTERM, SIGHUP and SIGINT end the app: a graceful quit first, a forced exit if that does not end it.

A graceful quit (session saved, workers stopped, terminal restored) runs on the event loop, so it
cannot end a process whose loop is stuck, or one whose loop has already finished while something
else keeps it alive. So the first signal also starts a watchdog: if the process is still there
GRACE seconds later, it puts the terminal back as well as it can and leaves with os._exit. A second
signal leaves at once. The watchdog is a thread that waits on pipes, not on the loop:

- the signal module's wakeup fd gets one byte per signal straight from the C-level handler, even
  while the main thread is inside a long C call;
- our Python-level handler writes one byte too when the main thread next runs Python code (and
  it is the only source where something else already owns the wakeup fd).

Both count the same signals, so the watchdog takes the larger count. If even the watchdog cannot
run (the main thread holding the GIL in C), a real-time timer armed on the first signal ends the
process by SIGALRM's default action shortly after the grace period.

Only a real run installs this: apps run by tests (`run_test`, headless) leave the test runner's
signal handling as they found it, and an app that ends puts every handler back.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import termios
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
GRACE = 1.5
"""Seconds the graceful quit gets before the process is ended anyway (the promise is 2 s in all)."""
BACKSTOP = 0.4
"""Seconds after GRACE when SIGALRM ends the process if the watchdog itself could not run."""
RESTORE_TIMEOUT = 0.25
"""Longest a forced exit waits for the terminal to take the reset (a gone terminal may block writes)."""

TERMINAL_RESET = (
    "\x1b[<u"  # the kitty keyboard protocol off (before leaving the alternate screen)
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse reporting off
    "\x1b[?2004l\x1b[?2048l\x1b[?7h"  # bracketed paste and in-band resize off, line wrap on
    "\x1b[?1049l\x1b[?25h\x1b[?1004l"  # the main screen back, the cursor shown, focus events off
)
"""What Textual's LinuxDriver writes when it stops, for a forced exit that cannot wait for it."""

_STOP = 0
"""Written to the handler pipe by `uninstall`: not a signal number."""


class _Loop(Protocol):
    def call_soon_threadsafe(self, callback: Callable[..., object], *args: Any) -> object: ...


class SignalExit:
    """Install in the main thread with `install()`; `uninstall()` puts the previous handlers back."""

    def __init__(
        self,
        request_quit: Callable[[], object],
        restore_terminal: Callable[[], None] = lambda: None,
        grace: float = GRACE,
        exit: Callable[[int], object] = os._exit,
        backstop: bool = True,
        numbers: tuple[int, ...] = EXIT_SIGNALS,
    ) -> None:
        self.request_quit = request_quit
        """Ask for the graceful quit; called from the watchdog thread, so it must be thread-safe.
        Raising RuntimeError means there is nothing left to quit (the loop is closed): exit now."""
        self.restore_terminal = restore_terminal
        self.grace = grace
        self._exit = exit
        self._backstop = backstop
        self.numbers = numbers
        self.received: list[int] = []
        """Our signals, as the watchdog counted them."""
        self._previous: dict[int, Any] = {}
        self._previous_wakeup: int | None = None
        self._thread: threading.Thread | None = None

    # --- main thread ------------------------------------------------------------------------

    def install(self) -> None:
        """Raises ValueError outside the main thread (only it may set signal handlers)."""
        if threading.current_thread() is not threading.main_thread():
            raise ValueError("signal handlers can only be installed from the main thread")
        self._handler_read, self._handler_write = os.pipe()
        self._wakeup_read, self._wakeup_write = os.pipe()
        for fd in (self._handler_write, self._wakeup_write):
            os.set_blocking(fd, False)
        self._previous = {number: signal.getsignal(number) for number in self.numbers}
        for number in self.numbers:
            signal.signal(number, self._on_signal)
        previous_wakeup = signal.set_wakeup_fd(self._wakeup_write, warn_on_full_buffer=False)
        if previous_wakeup == -1:
            self._previous_wakeup = -1
        else:  # someone else's (an asyncio loop's): theirs stays, our handler's bytes are enough
            signal.set_wakeup_fd(previous_wakeup)
        self._thread = threading.Thread(target=self._watch, name="signal-exit", daemon=True)
        self._thread.start()

    def uninstall(self) -> None:
        """Put back the handlers and wakeup fd found by `install`. A watchdog already started by a
        signal keeps running: if the process does not end within its grace period, it still ends it."""
        if self._thread is None:
            return
        for number, previous in self._previous.items():
            signal.signal(number, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}
        if self._previous_wakeup is not None:
            current = signal.set_wakeup_fd(-1)
            if current != self._wakeup_write:  # replaced by someone after us: leave theirs in place
                signal.set_wakeup_fd(current)
            self._previous_wakeup = None
        self._thread = None
        with contextlib.suppress(OSError):
            os.write(self._handler_write, bytes([_STOP]))

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):  # a full pipe: the watchdog has plenty to read already
            os.write(self._handler_write, bytes([number]))

    # --- the watchdog thread ------------------------------------------------------------------

    def _watch(self) -> None:
        counts = {self._handler_read: 0, self._wakeup_read: 0}
        deadline: float | None = None
        stopping = False
        try:
            while True:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select(list(counts), [], [], timeout)
                if not ready:  # the grace period is over and the process is still here
                    self._force(self.received[0])
                    return
                for fd in ready:
                    for byte in os.read(fd, 256):
                        if fd == self._handler_read and byte == _STOP:
                            stopping = True
                        elif byte in self.numbers:
                            counts[fd] += 1
                            if counts[fd] > len(self.received):
                                self.received.append(byte)
                if len(self.received) >= 2:
                    self._force(self.received[1])
                    return
                if self.received and deadline is None:
                    deadline = time.monotonic() + self.grace
                    self._arm_backstop()
                    try:
                        self.request_quit()
                    except RuntimeError:  # no loop left to quit gracefully
                        self._force(self.received[0])
                        return
                if stopping and deadline is None:
                    return
        finally:
            if deadline is None:
                for fd in (self._handler_read, self._handler_write, self._wakeup_read, self._wakeup_write):
                    with contextlib.suppress(OSError):
                        os.close(fd)

    def _arm_backstop(self) -> None:
        """If neither the loop nor this thread can run, SIGALRM's default action still ends the process."""
        if not self._backstop:
            return
        with contextlib.suppress(OSError, ValueError):
            if signal.getsignal(signal.SIGALRM) == signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
                signal.setitimer(signal.ITIMER_REAL, self.grace + BACKSTOP)

    def _force(self, number: int) -> None:
        restoring = threading.Thread(target=self._restore_quietly, name="terminal-restore", daemon=True)
        restoring.start()
        restoring.join(RESTORE_TIMEOUT)
        self._exit(128 + number)

    def _restore_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.restore_terminal()


def restore_terminal(driver: object) -> None:
    """Textual's terminal driver's own reset, done directly: the terminal modes it saved put back,
    the alternate screen left, the cursor shown. Nothing for drivers without a terminal (serve)."""
    stream = sys.__stderr__
    if stream is None:
        return
    output = stream.fileno()
    if not os.isatty(output):
        return
    attributes = getattr(driver, "attrs_before", None)
    fileno = getattr(driver, "fileno", None)
    if attributes is not None and isinstance(fileno, int):
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(fileno, termios.TCSANOW, attributes)
    os.write(output, TERMINAL_RESET.encode())


class _App(Protocol):
    def call_later(self, callback: Callable[..., Any], *args: Any) -> bool: ...

    async def action_quit(self) -> None: ...


def exit_on_signals(app: _App, loop: _Loop, driver: object) -> SignalExit:
    """The app's signal handling: quit as `q` does (session saved), then force."""
    handling = SignalExit(
        request_quit=lambda: loop.call_soon_threadsafe(app.call_later, app.action_quit),
        restore_terminal=lambda: restore_terminal(driver),
    )
    handling.install()
    return handling
