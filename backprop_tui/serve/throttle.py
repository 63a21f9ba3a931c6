"""At most so many a second, and never the last one lost: how the room's reports and tallies are paced.

A room answering at once changes its counts hundreds of times a second; the instructor's screen needs a redraw
a quarter of a second at most, and the hall's channel a tally as often. `poke` says something changed; the
action runs soon after (at once if it has not run for `interval` seconds), and a poke that comes while a run is
waiting is covered by it, while one that comes after the wait schedules the next: the last change always goes out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Throttle:
    def __init__(self, interval: float, action: Callable[[], Awaitable[None]]) -> None:
        self.interval = interval
        self.action = action
        self._last = -float("inf")
        self._pending: asyncio.Task[None] | None = None

    def poke(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._soon())

    async def _soon(self) -> None:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._pending = None  # from here on a poke schedules the next run: none is lost
        self._last = time.monotonic()
        await self.action()

    def cancel(self) -> None:
        """A run still waiting does not happen."""
        if self._pending is not None:
            self._pending.cancel()
