"""The room's channel and the two hubs it feeds: what one node of a room hears, and says again.

A server has one Hall. Whatever the channel hears goes to the hubs: a position moves this node's attendees
(follow.py) and the place the room's counts are for (room_hub.py); a tally is one node's counts. When the channel
goes down every session here is told; when it is back, and every heartbeat while it is up, the node says again
what a node that missed it needs: its instructor's position (if it is the room's latest) and its own tally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from backprop_tui.serve.channel import POSITION, TALLY, Channel, LocalChannel
from backprop_tui.serve.follow import FollowHub
from backprop_tui.serve.room_hub import RoomHub

log = logging.getLogger("backprop-tui.serve")


class Hall:
    def __init__(self, capacity: int, channel: Channel | None = None) -> None:
        self.channel: Channel = channel or LocalChannel()
        self.follow = FollowHub(self.channel)
        self.room = RoomHub(capacity, self.channel)
        self.channel.listen(self._heard, self._state_changed)
        self._beating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.channel.start()
        if self.channel.heartbeat is not None:
            self._beating = asyncio.get_running_loop().create_task(self._beat(self.channel.heartbeat))

    async def _heard(self, kind: str, node: str, body: dict[str, Any]) -> None:
        if kind == POSITION:
            self.room.instructor_moved(body)
            await self.follow.heard(node, body)
        elif kind == TALLY:
            self.room.heard_tally(node, body)

    async def _state_changed(self, up: bool) -> None:
        await self.follow.channel_state(up)
        await self.room.channel_state(up)
        if up:
            await self._say_again()

    async def _say_again(self) -> None:
        await self.follow.say_again()
        await self.room.say_again()

    async def _beat(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if self.channel.up:
                try:
                    await self._say_again()
                except Exception as error:  # the heartbeat must outlive any one failure
                    log.warning("room channel heartbeat: %r", error)

    async def close(self) -> None:
        """The server is stopping: the other nodes stop counting this one's attendees, then the channel closes."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        if self.channel.heartbeat is not None:
            with contextlib.suppress(Exception):
                await self.room.leave_hall()
        await self.channel.close()
        self.room.close()
