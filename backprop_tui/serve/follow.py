"""Follow mode's hub: the instructor's session publishes its position; attendees' sessions receive it.

It lives inside the server process and talks to the app processes over the pipe they already have
(textual-serve's meta packets). Positions go through the room's channel (channel.py): the instructor's
session publishes on it, and every node relays what it hears to its own attendees, so an instructor on one node
of a lecture hall drives the attendees on all of them. When the channel is down, attendees are told they are not
following, and told again when it is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from backprop_tui.follow_mode import channel_packet, clean_position
from backprop_tui.serve.channel import POSITION, Channel, LocalChannel

Send = Callable[[dict[str, Any]], Awaitable[bool]]


class FollowHub:
    def __init__(self, channel: Channel | None = None) -> None:
        self.channel: Channel = channel or LocalChannel()
        self.position: dict[str, Any] | None = None
        """The room's latest position, as last relayed to this node's attendees."""
        self._followers: dict[str, Send] = {}
        self._mine: dict[str, Any] | None = None
        """The latest position this node's instructor published, said again while it is the room's latest."""
        self._mine_is_latest = False

    @property
    def follower_count(self) -> int:
        return len(self._followers)

    async def join(self, key: str, send: Send) -> None:
        """A new attendee session: it starts where the instructor last was."""
        self._followers[key] = send
        if self.position is not None:
            await send({"type": "backprop_follow", **self.position})

    def leave(self, key: str) -> None:
        self._followers.pop(key, None)

    async def publish(self, meta: dict[str, Any]) -> bool:
        """The instructor's session moved: tell the room. False for a position that does not pass, or one the
        channel dropped (the heartbeat says it again once the channel is back)."""
        position = clean_position(meta)
        if position is None:
            return False
        self._mine, self._mine_is_latest = position, True
        return await self.channel.publish(POSITION, position)

    async def heard(self, node: str, body: dict[str, Any]) -> int:
        """A position heard on the channel: relayed to every attendee here unless they are there already;
        returns how many were sent it."""
        position = clean_position(body)
        if position is None:
            return 0
        self._mine_is_latest = node == self.channel.node and position == self._mine
        if position == self.position:
            return 0
        self.position = position
        return await self._tell({"type": "backprop_follow", **position})

    async def say_again(self) -> None:
        """The heartbeat, and the channel back: this node's instructor's position, if it is the room's latest."""
        if self._mine is not None and self._mine_is_latest:
            await self.channel.publish(POSITION, self._mine)

    async def channel_state(self, up: bool) -> None:
        await self._tell(channel_packet(up))

    async def _tell(self, packet: dict[str, Any]) -> int:
        sends = [send(packet) for send in list(self._followers.values())]
        results = await asyncio.gather(*sends, return_exceptions=True)
        return sum(1 for result in results if result is True)
