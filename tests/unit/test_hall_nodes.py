"""Several nodes of a hall in one event loop, on an in-memory bus that behaves as Redis pub/sub does for them
(everything published is heard by every node, the sender too; the bus can go down): what each node's attendees
and instructor are sent. The real Redis, nginx and processes are in tests/system/test_hall.py."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from backprop_tui.room_packets import Answer, Place, Status, answer_packet, status_packet
from backprop_tui.room_tally import EMPTY, Tally, clean_tally, merge, tally_body
from backprop_tui.serve.channel import Heard, StateChanged
from backprop_tui.serve.hall import Hall

HERE = Place(0, 0, "forward.1")
POSITION = {"type": "backprop_position", "epoch": 0, "iteration": 0, "phase": "forward.1", "matrix": None,
            "cell": [0, 0]}


class Bus:
    def __init__(self) -> None:
        self.channels: list[BusChannel] = []
        self.up = True

    async def go(self, up: bool) -> None:
        self.up = up
        for channel in self.channels:
            if channel.up != up and channel.state_changed is not None:
                channel.up = up
                await channel.state_changed(up)


class BusChannel:
    def __init__(self, bus: Bus, node: str, heartbeat: float = 0.05) -> None:
        self.bus, self.node, self.heartbeat, self.up, self.shown = bus, node, heartbeat, True, "bus"
        self.heard: Heard | None = None
        self.state_changed: StateChanged | None = None
        bus.channels.append(self)

    def listen(self, heard: Heard, state_changed: StateChanged) -> None:
        self.heard, self.state_changed = heard, state_changed

    async def start(self) -> None:
        pass

    async def publish(self, kind: str, body: dict[str, Any]) -> bool:
        if not (self.bus.up and self.up):
            return False
        for channel in list(self.bus.channels):
            if channel.heard is not None:
                await channel.heard(kind, self.node, dict(body))
        return True

    async def close(self) -> None:
        self.heard = None
        self.bus.channels.remove(self)


class Inbox:
    def __init__(self) -> None:
        self.packets: list[dict[str, Any]] = []

    async def send(self, packet: dict[str, Any]) -> bool:
        self.packets.append(packet)
        return True

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [packet for packet in self.packets if packet["type"] == kind]


async def settle(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


def test_tallies_add_up_to_what_one_room_would_count():
    def tally(wrong: dict[str, int], explorers: dict[str, int], attendees: int, right: int, place: Place = HERE) -> Tally:
        answered = right + sum(wrong.values())
        exploring = sum(explorers.values())
        return Tally(place, attendees, answered, right, tuple(wrong.items()), attendees - exploring, exploring,
                     tuple(explorers.items()))

    a = tally({"8×1000": 3, "4×8": 1}, {"loss": 1}, attendees=6, right=2)
    b = tally({"4×8": 2, "1×8": 2, "8": 1}, {"error": 2}, attendees=7, right=1)
    late = tally({"4×8": 9}, {}, attendees=2, right=1, place=Place(0, 0, "loss"))  # counted at an older place
    report = merge([a, b, late, EMPTY], HERE)
    assert (report.attendees, report.answered, report.right) == (15, 12, 3)
    assert report.wrong == (("4×8", 3), ("8×1000", 3), ("1×8", 2))  # the hall's top three, not each node's
    assert (report.following, report.exploring, report.explorers) == (12, 3, (("error", 2), ("loss", 1)))
    assert clean_tally(tally_body(a)) == a and clean_tally(tally_body(EMPTY)) == EMPTY
    for forged in ({**tally_body(a), "right": 9}, {**tally_body(a), "attendees": -1},
                   {**tally_body(a), "wrong": [["x", 1]] * 1001}, {**tally_body(a), "following": 6, "exploring": 6}):
        assert clean_tally(forged) is None


def test_an_instructor_on_one_node_drives_attendees_on_another_and_reads_them():
    async def scenario() -> None:
        bus = Bus()
        a, b = Hall(8, BusChannel(bus, "a")), Hall(8, BusChannel(bus, "b"))
        for hall in (a, b):
            await hall.start()
        teacher, near, far = Inbox(), Inbox(), Inbox()
        a.room.join_instructor("t", teacher.send)
        await a.follow.join("n", near.send)
        a.room.join("n", "browser:near")
        await b.follow.join("f", far.send)
        b.room.join("f", "browser:far")
        assert await a.follow.publish(POSITION)
        await settle()
        assert [p["phase"] for p in far.of("backprop_follow")] == ["forward.1"]  # once, whatever the heartbeats
        b.room.heard("f", answer_packet(Answer(HERE, "8×1000", False)))
        a.room.heard("n", answer_packet(Answer(HERE, "1000×8", True)))
        b.room.heard("f", status_packet(Status(False, Place(0, 0, "loss"))))
        await settle()
        last = teacher.of("backprop_room")[-1]
        assert (last["attendees"], last["answered"], last["right"], last["wrong"]) == (2, 2, 1, [["8×1000", 1]])
        assert (last["following"], last["exploring"], last["explorers"]) == (1, 1, [["loss", 1]])
        assert near.of("backprop_room") == far.of("backprop_room") == []  # no attendee hears the counts

        late = Hall(8, BusChannel(bus, "c"))  # a node started mid-lecture
        await late.start()
        newcomer = Inbox()
        await settle()
        await late.follow.join("x", newcomer.send)  # the heartbeat told it where the instructor is
        assert [p["phase"] for p in newcomer.of("backprop_follow")] == ["forward.1"]

        await b.close()  # a node leaves: its attendee leaves the counts at once
        await settle()
        assert teacher.of("backprop_room")[-1]["attendees"] == 1
        for hall in (a, late):
            await hall.close()

    asyncio.run(scenario())


def test_the_channel_down_is_said_and_following_resumes_when_it_is_back():
    async def scenario() -> None:
        bus = Bus()
        a, b = Hall(8, BusChannel(bus, "a")), Hall(8, BusChannel(bus, "b"))
        for hall in (a, b):
            await hall.start()
        teacher, far = Inbox(), Inbox()
        a.room.join_instructor("t", teacher.send)
        await b.follow.join("f", far.send)
        b.room.join("f", "browser:far")
        await a.follow.publish(POSITION)
        await settle()
        await bus.go(False)
        assert not await a.follow.publish({**POSITION, "phase": "loss"})  # dropped while down, not queued
        await settle()
        assert far.of("backprop_channel") == [{"type": "backprop_channel", "up": False}]
        assert teacher.of("backprop_channel") == [{"type": "backprop_channel", "up": False}]
        assert teacher.of("backprop_room")[-1]["attendees"] == 1  # the counts stand still, not emptied
        await bus.go(True)
        await settle()
        assert far.of("backprop_channel")[-1] == {"type": "backprop_channel", "up": True}
        assert [p["phase"] for p in far.of("backprop_follow")] == ["forward.1", "loss"]  # said again once back
        for hall in (a, b):
            await hall.close()

    asyncio.run(scenario())


def test_a_node_that_stops_saying_its_tally_leaves_the_counts():
    async def scenario() -> None:
        bus = Bus()
        a, b = Hall(8, BusChannel(bus, "a")), Hall(8, BusChannel(bus, "b"))
        for hall in (a, b):
            await hall.start()
        teacher = Inbox()
        a.room.join_instructor("t", teacher.send)
        b.room.join("f", "browser:far")
        await settle()
        assert teacher.of("backprop_room")[-1]["attendees"] == 1
        assert b._beating is not None
        b._beating.cancel()  # b dies without a word: its heartbeat stops
        bus.channels.remove(b.channel)
        await settle(0.4)  # three heartbeats of 0.05 s, and the report after
        assert teacher.of("backprop_room")[-1]["attendees"] == 0
        assert Counter(p["type"] for p in teacher.packets)["backprop_channel"] == 0
        await a.close()

    asyncio.run(scenario())
