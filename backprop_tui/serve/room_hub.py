"""Reading the room: attendees' sessions report their quiz answers and where they are; the instructor's sees counts.

It lives in the server process beside the follow hub and uses the same pipes (textual-serve's meta packets).
What an attendee's app says goes into this node's tally (backprop_tui/room.py) only if it passes `clean_answer`
or `clean_status`. The node publishes its tally on the room's channel (room_tally.py: counts only), and the node
with the instructor's session adds up every node's latest tally into the report it sends that session and no
other. Both are paced: at most `1 / interval` tallies and reports a second however fast answers arrive, and a
report only when it changed. A node that stops saying its tally (it died, or lost the channel) is left out of the
counts after three heartbeats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from backprop_tui.follow_mode import channel_packet, clean_position
from backprop_tui.room import Room
from backprop_tui.room_packets import ANSWER, STATUS, Place, clean_answer, clean_status, report_packet
from backprop_tui.room_tally import EMPTY, Tally, clean_tally, merge, tally_body
from backprop_tui.serve.channel import TALLY, Channel, LocalChannel
from backprop_tui.serve.throttle import Throttle

Send = Callable[[dict[str, Any]], Awaitable[bool]]
REPORT_INTERVAL = 0.25
"""Seconds between two reports to the instructor (at most 4 a second): a room answering at once is one redraw."""
STALE_BEATS = 3
"""Heartbeats a node may miss before its attendees leave the counts."""
MAX_NODES = 256


class RoomHub:
    def __init__(self, capacity: int, channel: Channel | None = None, interval: float = REPORT_INTERVAL) -> None:
        self.room = Room(capacity)
        self.channel: Channel = channel or LocalChannel()
        self.interval = interval
        self.place: Place | None = None
        """Where the instructor is: the place the counts are for."""
        self._who: dict[str, str] = {}
        """An attendee's connection (the app service's key) → the attendee (its browser's id)."""
        self._instructors: dict[str, Send] = {}
        self._tallies: dict[str, tuple[Tally, float]] = {}
        """Node → its latest tally and when it was heard."""
        self._last: dict[str, Any] | None = None
        self._publishing = Throttle(interval, self._publish_tally)
        self._reporting = Throttle(interval, self._report)
        self.reports_sent = 0
        """Report packets handed to instructors' sessions so far (for tests and benchmarks)."""

    # --- this node's attendees and instructors -------------------------------------------------

    def join(self, key: str, who: str) -> None:
        """Connection `key` is attendee `who`'s: a second connection of the same browser is the same attendee."""
        if self.room.join(who):
            self._who[key] = who
            self._changed()

    def join_instructor(self, key: str, send: Send) -> None:
        """An instructor's session: it is sent the room as it is now (with the next report), then every change."""
        self._instructors[key] = send
        self._last = None  # the newcomer has seen nothing: the next report goes out even if it is unchanged
        self._reporting.poke()

    def leave(self, key: str) -> None:
        self._instructors.pop(key, None)
        who = self._who.pop(key, None)
        if who is not None and self.room.leave(who):
            self._changed()

    def heard(self, key: str, meta: Mapping[str, Any]) -> None:
        """A packet from an attendee's session; one from anyone else, or one that does not pass, is dropped."""
        who = self._who.get(key)
        if who is None:
            return
        changed = False
        if meta.get("type") == ANSWER and (answer := clean_answer(meta)) is not None:
            changed = self.room.answered(who, answer)
        elif meta.get("type") == STATUS and (status := clean_status(meta)) is not None:
            changed = self.room.moved(who, status)
        if changed:
            self._changed()

    def _changed(self) -> None:
        self._publishing.poke()

    async def _publish_tally(self) -> None:
        await self.channel.publish(TALLY, tally_body(self.room.tally(self.place)))

    # --- what the channel says ----------------------------------------------------------------------

    def instructor_moved(self, meta: Mapping[str, Any]) -> None:
        """The instructor's position, heard on the channel: the counts are now for its place."""
        position = clean_position(meta)
        if position is None:
            return
        place = Place(position["epoch"], position["iteration"], position["phase"])
        if place != self.place:
            self.place = place
            self._changed()
            self._report_changed()

    def heard_tally(self, node: str, body: Mapping[str, Any]) -> None:
        tally = clean_tally(body)
        if tally is None:
            return
        self._tallies[node] = (tally, time.monotonic())
        if len(self._tallies) > MAX_NODES:
            del self._tallies[min(self._tallies, key=lambda name: self._tallies[name][1])]
        self._report_changed()

    async def say_again(self) -> None:
        """The heartbeat: this node's tally again, and the tallies of nodes that stopped saying theirs dropped."""
        await self._publish_tally()
        beat = self.channel.heartbeat
        if beat is not None:
            too_old = time.monotonic() - STALE_BEATS * beat
            for node in [node for node, (_, heard) in self._tallies.items() if heard < too_old]:
                del self._tallies[node]
                self._report_changed()

    async def channel_state(self, up: bool) -> None:
        """Tell the instructor; once the channel is back, every node has three heartbeats to be heard again."""
        if up:
            now = time.monotonic()
            self._tallies = {node: (tally, now) for node, (tally, _) in self._tallies.items()}
        await asyncio.gather(*(send(channel_packet(up)) for send in list(self._instructors.values())),
                             return_exceptions=True)

    async def leave_hall(self) -> None:
        """This node is stopping: the others count none of its attendees from now."""
        self._publishing.cancel()
        await self.channel.publish(TALLY, tally_body(EMPTY))

    # --- the report, to this node's instructors ------------------------------------------------------

    def _report_changed(self) -> None:
        if self._instructors:
            self._reporting.poke()

    async def _report(self) -> None:
        tallies = [tally for tally, _ in self._tallies.values()]
        packet = report_packet(merge(tallies, self.place))
        if packet == self._last:
            return
        self._last = packet
        results = await asyncio.gather(*(send(packet) for send in list(self._instructors.values())),
                                       return_exceptions=True)
        self.reports_sent += sum(1 for result in results if result is True)

    def close(self) -> None:
        """The server is stopping: a report or a tally still waiting is not sent."""
        self._publishing.cancel()
        self._reporting.cancel()
