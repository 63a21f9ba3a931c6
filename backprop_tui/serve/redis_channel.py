"""The room's channel on Redis pub/sub (`serve --redis URL`): the nodes of a lecture hall, one Redis between them.

redis-py's asyncio client does the talking; what is ours is what a lecture needs from it:
- every message is signed with the instructor's key and checked on arrival (signing.py), whoever put it there;
- Redis lost is said at once (the subscription's socket closes, or a publish fails), to the hubs, which tell
  their sessions; the channel reconnects by itself, waiting a little longer each time up to `MAX_WAIT`, and says
  when it is back, so the hubs can say again what they know. Nothing waits for Redis: a position or a tally
  published while it is down is dropped, and the next heartbeat brings the latest;
- the URL's password is never shown: logs and errors name `masked_url(url)`.

redis-py's own retries are off (`Retry(NoBackoff(), 0)`): they would hide an outage behind several seconds of
silent attempts, where attendees should be told at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry as SyncRetry

from backprop_tui.serve.channel import Heard, StateChanged
from backprop_tui.serve.security import masked_url, scrubbed
from backprop_tui.serve.signing import Signer, Verifier, channel_name

log = logging.getLogger("backprop-tui.serve")

HEARTBEAT = 2.0
"""Seconds between two sayings-again of the instructor's position and each node's tally."""
FIRST_WAIT = 0.2
MAX_WAIT = 2.0
"""Seconds between two attempts to reach a lost Redis, at most: a restarted Redis is found within this."""
TIMEOUT = 2.0
"""Seconds a connection, or a publish, may take before Redis counts as lost."""
READ_WAIT = 1.0


class ChannelUnreachable(Exception):
    """Redis cannot be reached (or refuses us) as the server starts: said in one line, without the password."""


def _options(retry: Retry | SyncRetry) -> dict[str, Any]:
    return {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT, "socket_keepalive": True, "retry": retry}


def reach(url: str) -> None:
    """Check, before anything is served, that Redis at `url` answers (password and all); raise
    ChannelUnreachable, or ValueError for a URL that is not a Redis one."""
    client = redis.Redis.from_url(url, **_options(SyncRetry(NoBackoff(), 0)))
    try:
        client.ping()
    except (RedisError, OSError) as error:
        raise ChannelUnreachable(f"cannot reach Redis at {masked_url(url)}: {scrubbed(str(error), url)}") from None
    finally:
        client.close()


class RedisChannel:
    def __init__(self, url: str, key: bytes, heartbeat: float = HEARTBEAT) -> None:
        self.url = url
        self.shown: str | None = masked_url(url)
        self.name = channel_name(key)
        self.signer, self.verifier = Signer(key), Verifier(key)
        self.node = self.signer.node
        self.heartbeat: float | None = heartbeat
        self.up = False
        self._heard: Heard | None = None
        self._state_changed: StateChanged | None = None
        self._client: redis.asyncio.Redis | None = None
        self._broken = False
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._first = asyncio.Event()
        self._said: set[str] = set()

    def listen(self, heard: Heard, state_changed: StateChanged) -> None:
        self._heard, self._state_changed = heard, state_changed

    async def start(self) -> None:
        """Subscribe, waiting a moment for the first connection so the first positions are not dropped."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first.wait(), 2 * TIMEOUT)

    async def _run(self) -> None:
        wait = FIRST_WAIT
        while True:
            client = redis.asyncio.Redis.from_url(self.url, **_options(Retry(NoBackoff(), 0)))
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.name)
                self._client, self._broken = client, False
                self._first.set()
                await self._state(True)
                wait = FIRST_WAIT
                while not self._broken:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_WAIT)
                    if message is not None and message.get("type") == "message":
                        await self._hear(message["data"])
                reason = "a publish failed"
            except (RedisError, OSError) as error:
                reason = scrubbed(str(error), self.url) or type(error).__name__
            finally:
                self._client = None
                self._first.set()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                with contextlib.suppress(Exception):
                    await client.aclose()
            if self.up:
                log.warning("room channel down: Redis at %s (%s); retrying", self.shown, reason)
            await self._state(False)
            await asyncio.sleep(wait)
            wait = min(2 * wait, MAX_WAIT)

    async def _state(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            log.info("room channel up: Redis at %s", self.shown)
        if self._state_changed is not None:
            try:
                await self._state_changed(up)
            except Exception as error:  # a hub's trouble must not stop the channel
                log.warning("room channel: %r", error)

    async def _hear(self, data: bytes) -> None:
        message = self.verifier.open(data)
        if message is None:
            for reason in self.verifier.refused.keys() - self._said:  # said once per reason, not per forgery
                self._said.add(reason)
                log.warning("room channel: refused a message (%s); it was not a node of this hall's", reason)
            return
        if self._heard is not None:
            try:
                await self._heard(message.kind, message.node, message.body)
            except Exception as error:
                log.warning("room channel: %r", error)

    async def publish(self, kind: str, body: dict[str, Any]) -> bool:
        async with self._lock:  # one at a time: the sequence numbers reach Redis in order
            client = self._client
            if client is None or self._broken:
                return False
            try:
                await client.publish(self.name, self.signer.seal(kind, body))
            except (RedisError, OSError):
                self._broken = True  # the subscription may not have noticed yet (a Redis that hangs)
                return False
            return True

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
