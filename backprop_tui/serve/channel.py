"""The room's channel: where the instructor's position and each node's tally are published, and heard back.

Every node of a room publishes on it and hears everything published, its own messages included, so there is
one path whether the instructor is on this node or another: the instructor's session publishes its position,
and each node relays what it hears to its own attendees. Two channels do this:

- `LocalChannel`, the default: one server, in one process; a message is heard at once, and nothing is lost.
- `RedisChannel` (redis_channel.py, `serve --redis URL`): the nodes of a lecture hall on Redis pub/sub. Messages
  there are signed and checked (signing.py); Redis can be lost and come back, so that channel says when it is
  down and up, and the nodes say again, every `heartbeat` seconds, what a node that missed it needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

Heard = Callable[[str, str, dict[str, Any]], Awaitable[None]]
"""A message heard on the channel: its kind, the node that sent it, its body."""
StateChanged = Callable[[bool], Awaitable[None]]
"""The channel went down (False) or came back (True)."""

POSITION = "position"
TALLY = "tally"


class Channel(Protocol):
    node: str
    """This node's name on the channel: its own messages come back with it."""
    heartbeat: float | None
    """Seconds between two sayings-again of what a node knows; None where nothing is ever missed."""
    up: bool
    shown: str | None
    """What the server prints about the channel (never a password); None for the in-process one."""

    def listen(self, heard: Heard, state_changed: StateChanged) -> None: ...

    async def start(self) -> None: ...

    async def publish(self, kind: str, body: dict[str, Any]) -> bool:
        """Send to every node (this one too); False if the channel is down and the message was dropped."""
        ...

    async def close(self) -> None: ...


class LocalChannel:
    """One server's channel: publishing is hearing, at once, in the same process."""

    def __init__(self) -> None:
        self.node = "local"
        self.heartbeat: float | None = None
        self.up = True
        self.shown: str | None = None
        self._heard: Heard | None = None

    def listen(self, heard: Heard, state_changed: StateChanged) -> None:
        self._heard = heard

    async def start(self) -> None:
        pass

    async def publish(self, kind: str, body: dict[str, Any]) -> bool:
        if self._heard is not None:
            await self._heard(kind, self.node, body)
        return True

    async def close(self) -> None:
        self._heard = None
