"""Follow mode's hub: the instructor's session publishes its position; attendees' sessions receive it.

It lives inside the server process and talks to the app processes over the pipe
they already have (textual-serve's meta packets), so no extra server is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from backprop_tui.follow_mode import clean_position

Send = Callable[[dict[str, Any]], Awaitable[bool]]


class FollowHub:
    def __init__(self) -> None:
        self.position: dict[str, Any] | None = None
        self._followers: dict[str, Send] = {}

    @property
    def follower_count(self) -> int:
        return len(self._followers)

    async def join(self, key: str, send: Send) -> None:
        """A new attendee session: it starts where the instructor is."""
        self._followers[key] = send
        if self.position is not None:
            await send({"type": "backprop_follow", **self.position})

    def leave(self, key: str) -> None:
        self._followers.pop(key, None)

    async def publish(self, meta: dict[str, Any]) -> int:
        """Send the instructor's position to every attendee; returns how many were sent it."""
        position = clean_position(meta)
        if position is None:
            return 0
        self.position = position
        packet = {"type": "backprop_follow", **position}
        sends = [send(packet) for send in list(self._followers.values())]
        results = await asyncio.gather(*sends, return_exceptions=True)
        return sum(1 for result in results if result is True)
