"""A progress bar on stderr for headless runs that take more than a second.

`trace --epoch 999999` or a long `train` would otherwise sit silent for minutes. The bar
appears only once a run has gone on for a second, so quick runs (and the tools that read
our stdout) never import Rich or see anything on stderr; it is transient, so it leaves
no trace once the run ends; and it is drawn only where stderr is a terminal.
"""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

SHOW_AFTER = 1.0
"""Seconds before a bar appears."""
REDRAW_EVERY = 0.1
"""Seconds between updates, so a fast epoch does not pay for a redraw."""


class EpochProgress:
    def __init__(self, total: int, label: str, *, show_after: float = SHOW_AFTER, file: IO[str] | None = None,
                 force_terminal: bool | None = None) -> None:
        self.total = total
        self.label = label
        self.show_after = show_after
        self._file = file
        self._force_terminal = force_terminal
        self._started = time.monotonic()
        self._last = self._started
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._quiet = False
        """Set once stderr turned out not to be a terminal: nothing is drawn."""

    def __call__(self, done: int) -> None:
        """`done` epochs of `total` are finished."""
        now = time.monotonic()
        if self._quiet or (now - self._last < REDRAW_EVERY and self._bar is not None):
            return
        if self._bar is None:
            if now - self._started < self.show_after:
                return
            self._open()
            if self._bar is None:
                return
        self._last = now
        assert self._bar is not None and self._task is not None
        self._bar.update(self._task, completed=done)

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=self._file is None, file=self._file, force_terminal=self._force_terminal)
        if not console.is_terminal:
            self._quiet = True
            return
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> EpochProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
