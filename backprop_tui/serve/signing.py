"""What a hall's nodes say on their shared channel is signed with the instructor's key, and checked before use.

Anyone who can reach the hall's Redis can publish on it, so a node believes nothing for having read it there:
a position or a tally counts only if it is signed with a key derived from the instructor's token, which the
nodes share and attendees never see (the room's link token is in every attendee's link, so it signs nothing).

A message on the wire is `hex(HMAC-SHA256(key, body)) "." body`, the body compact JSON:
`{"v": 1, "k": kind, "n": node, "s": seq, "t": unix time, "b": {...}}`. The signature is checked over the exact
bytes before they are parsed. A replay is refused too: each node numbers what it sends (`s`, from 1, a fresh
random `n` every start), a receiver takes from each node only numbers above the last it took, and only messages
stamped within `MAX_AGE` seconds of its own clock, so one captured earlier cannot be sent again to a node that
starts later. Signed, not encrypted: Redis sees where the instructor is and the room's counts, never who.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

VERSION = 1
MAX_WIRE = 64 * 1024
"""Bytes of the largest message a node reads: a tally of a few hundred attendees is a few kilobytes."""
MAX_AGE = 30.0
"""Seconds a message's stamp may be off the receiver's clock, either way (nodes' clocks are kept by NTP)."""
NODES_REMEMBERED = 256
"""Nodes whose last sequence number is kept: far more than a hall runs (the oldest is forgotten first)."""


def room_key(instructor_token: str) -> bytes:
    """The signing key: derived from the instructor's token, so the token itself never touches the channel."""
    return hmac.new(instructor_token.encode(), b"backprop-tui hall channel v1", hashlib.sha256).digest()


def channel_name(key: bytes) -> str:
    """The Redis channel of this hall: two halls with different instructors can share one Redis unheard."""
    return "backprop-tui:" + hashlib.sha256(b"channel name:" + key).hexdigest()[:24]


class Message(NamedTuple):
    kind: str
    node: str
    body: dict[str, Any]


class Signer:
    """One node's voice: every message numbered and stamped, then signed."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.node = secrets.token_hex(8)
        self.clock = clock
        self._seq = 0

    def seal(self, kind: str, body: dict[str, Any]) -> bytes:
        self._seq += 1
        payload = json.dumps({"v": VERSION, "k": kind, "n": self.node, "s": self._seq, "t": self.clock(), "b": body},
                             separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode()
        return hmac.new(self.key, payload, hashlib.sha256).hexdigest().encode() + b"." + payload


class Verifier:
    """One node's ear: what is not signed with the key, is stale, or was taken before, is refused. It counts each
    reason it refused for, so a node can say it is being sent forgeries without logging each one."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time, max_age: float = MAX_AGE) -> None:
        self.key = key
        self.clock = clock
        self.max_age = max_age
        self._last: OrderedDict[str, int] = OrderedDict()
        self.refused: dict[str, int] = {}

    def open(self, wire: bytes) -> Message | None:
        signature, dot, payload = wire.partition(b".")
        if len(wire) > MAX_WIRE or not dot:
            return self._refuse("malformed")
        expected = hmac.new(self.key, payload, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            return self._refuse("bad signature")
        try:
            message = json.loads(payload)
        except ValueError:
            return self._refuse("malformed")
        if not isinstance(message, dict):
            return self._refuse("malformed")
        kind, node, seq, stamp, body = (message.get(name) for name in ("k", "n", "s", "t", "b"))
        if (message.get("v") != VERSION or not isinstance(kind, str) or not isinstance(node, str)
                or not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(stamp, int | float)
                or isinstance(stamp, bool) or not isinstance(body, dict)):
            return self._refuse("malformed")
        if abs(self.clock() - stamp) > self.max_age:
            return self._refuse("stale")
        if seq <= self._last.get(node, 0):
            return self._refuse("replayed")
        self._last[node] = seq
        self._last.move_to_end(node)
        while len(self._last) > NODES_REMEMBERED:
            self._last.popitem(last=False)
        return Message(kind, node, body)

    def _refuse(self, reason: str) -> Message | None:
        self.refused[reason] = self.refused.get(reason, 0) + 1
        return None
