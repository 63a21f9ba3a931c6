"""Shorter GIL hand-offs while a training thread shares the process with the UI.

NumPy lets go of the GIL inside each large operation, and the training thread
needs it back between operations. While the UI thread paints (pure Python),
CPython hands the GIL over only every switch interval, 5 ms by default, and an
epoch of ten operations can lose tens of milliseconds that way. At 0.2 ms the
app trained 100,000 samples at max speed 0.93× as fast as headless `train`,
against 0.79× at the default (benchmarks/train_ui_speed.py).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

TRAINING_SWITCH_INTERVAL = 0.0002
"""Seconds; the interpreter's default is 0.005."""

_lock = threading.Lock()
_users = 0
_saved = sys.getswitchinterval()


@contextmanager
def quick_handoffs() -> Iterator[None]:
    """Nestable across threads: the last one out restores the interval it found."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(TRAINING_SWITCH_INTERVAL)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setswitchinterval(_saved)
