"""Reading the room: the tally the server keeps, the packets that feed it and the hub that reports it.

No server and no app here: the tally and the packets are plain objects, and the hub runs on an event loop with
fake sessions, so each rule (one answer per attendee per place, the latest wins, bounded memory, reports only
to the instructor and at most 4 a second) is checked on its own."""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc

from backprop_tui.quiz import normalized
from backprop_tui.room import ANSWERS_EACH, Room
from backprop_tui.room_packets import (
    MAX_TEXT,
    Answer,
    Place,
    Status,
    Voice,
    answer_packet,
    clean_answer,
    clean_report,
    clean_status,
    report_packet,
    status_packet,
)
from backprop_tui.serve.app_process import RoomAppService
from backprop_tui.serve.hall import Hall

HERE = Place(0, 0, "forward.1")
THERE = Place(0, 0, "forward.2")


def answer(text: str, right: bool, place: Place = HERE) -> Answer:
    return Answer(place, text, right)


# --- the tally ------------------------------------------------------------------------------------------


def test_each_attendee_counts_once_per_place_and_the_latest_answer_wins():
    room = Room(capacity=10)
    for who in "abc":
        assert room.join(who)
    room.answered("a", answer("8×1000", False))
    room.answered("a", answer("8×1000", False))  # the same packet twice (a retry): once
    room.answered("b", answer("8×1000", False))
    room.answered("c", answer("1000×8", True))
    report = room.report(HERE)
    assert (report.attendees, report.answered, report.right, report.wrong) == (3, 3, 1, (("8×1000", 2),))
    room.answered("a", answer("1000×8", True))  # a second try at the same place replaces the first
    report = room.report(HERE)
    assert (report.answered, report.right, report.wrong) == (3, 2, (("8×1000", 1),))
    assert room.report(THERE).answered == 0  # counts are per place
    assert room.report(Place(1, 0, "forward.1")).answered == 0  # another epoch is another place
    assert room.report(None).answered == 0


def test_the_top_wrong_answers_are_the_three_most_common_ties_alphabetical():
    room = Room(capacity=20)
    wrongs = ["b"] * 4 + ["a"] * 2 + ["c"] * 2 + ["d"] * 1
    for index, text in enumerate(wrongs):
        room.join(str(index))
        room.answered(str(index), answer(text, False))
    assert room.report(HERE).wrong == (("b", 4), ("a", 2), ("c", 2))


def test_following_exploring_and_the_explorers_phases():
    room = Room(capacity=10)
    for who in "abcd":
        room.join(who)
    room.moved("a", Status(False, Place(0, 0, "loss")))
    room.moved("b", Status(False, Place(3, 0, "loss")))  # another epoch, the same phase
    room.moved("c", Status(False, Place(0, 0, "error")))
    report = room.report(HERE)
    assert (report.following, report.exploring) == (1, 3)
    assert report.explorers == (("loss", 2), ("error", 1))
    room.moved("a", Status(True, None))
    assert room.report(HERE).explorers == (("error", 1), ("loss", 1))


def test_an_attendee_is_one_browser_and_leaving_takes_its_counts_with_it():
    room = Room(capacity=10)
    room.join("a")
    room.join("a")  # a reload opens the new session before the old one has gone: still one attendee
    room.join("b")
    room.answered("a", answer("x", False))
    room.moved("a", Status(False, THERE))
    assert room.report(HERE).attendees == 2
    assert room.leave("a") is False  # one of its two sessions: still here, answer and all
    assert room.report(HERE).answered == 1
    assert room.leave("a") is True
    report = room.report(HERE)
    assert (report.attendees, report.answered, report.exploring, report.wrong) == (1, 0, 0, ())
    assert room.leave("nobody") is False and room.answered("nobody", answer("x", True)) is False


def test_memory_is_fixed_per_attendee_and_the_room_is_capped():
    capacity = 40
    room = Room(capacity=capacity)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for who in range(1000):
        room.join(f"browser:{who:032d}")
    for who in range(capacity):
        for step in range(1000):  # far more places than anyone answers
            room.answered(f"browser:{who:032d}", answer("x" * MAX_TEXT + str(who), step % 2 == 0,
                                                        Place(step, 0, "backward.3.weight")))
    used = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    assert room.attendees == capacity  # the rest were turned away
    assert all(len(attendee.answers) == ANSWERS_EACH for attendee in room._attendees.values())
    assert room.report(Place(999, 0, "backward.3.weight")).answered == capacity
    assert room.report(Place(0, 0, "backward.3.weight")).answered == 0  # the oldest places went first
    assert used / capacity < 32_000, f"{used / capacity:.0f} bytes per attendee"


# --- the packets ------------------------------------------------------------------------------------------


def test_answers_are_written_one_way_so_equal_answers_count_together():
    assert {normalized(text) for text in ("8x1000", "8×1000", " (8, 1000) ", "8 X 1000")} == {"8×1000"}
    assert normalized("1000x8; 0.123, -1") == "1000×8; 0.12, -1.00"
    assert normalized("  No   IDEA ") == "no idea"


def test_packets_round_trip_and_malformed_ones_are_dropped():
    packet = answer_packet(answer("8×1000", False))
    assert clean_answer(json.loads(json.dumps(packet))) == answer("8×1000", False)
    assert clean_answer({**packet, "answer": "a\x1b[31mred\nline" + "y" * 200}) is None  # too long to be ours
    assert clean_answer({**packet, "answer": "\x1b[2Jbad\n"}).text == "[2Jbad"  # no control characters reach a screen
    for bad in ({**packet, "right": 1}, {**packet, "epoch": -1}, {**packet, "phase": ""}, {**packet, "answer": 5},
                {**packet, "iteration": True}, {**packet, "answer": "   "}, {"type": "backprop_answer"}):
        assert clean_answer(bad) is None
    assert clean_status(status_packet(Status(False, THERE))) == Status(False, THERE)
    assert clean_status({"following": True, "phase": 5}) == Status(True, None)  # a follower's place is not needed
    assert clean_status({"following": False}) is None and clean_status({"following": "yes"}) is None
    room = Room(capacity=3)
    for who in "ab":
        room.join(who)
    room.answered("a", answer("8×1000", False))
    report = room.report(HERE)
    assert clean_report(json.loads(json.dumps(report_packet(report)))) == report
    sent = report_packet(report)
    for bad in ({**sent, "answered": -1}, {**sent, "right": 5}, {**sent, "wrong": [["a", 1]] * 4},
                {**sent, "explorers": [["loss", "1"]]}, {**sent, "phase": None}):
        assert clean_report(bad) is None


def test_only_an_attendee_speaks_and_its_status_only_when_it_changes():
    voice = Voice("attendee")
    assert voice.status(True, HERE) == {"type": "backprop_status", "following": True}
    assert voice.status(True, THERE) is None  # following: the instructor's moves are not news
    assert voice.status(False, THERE) == {"type": "backprop_status", "following": False, **THERE._asdict()}
    assert voice.status(False, THERE) is None
    assert voice.answer(HERE, "8×1000", False)["answer"] == "8×1000"
    for role in ("instructor", None):
        assert Voice(role).status(False, HERE) is None and Voice(role).answer(HERE, "x", True) is None


# --- the hub: who hears what, and how often -------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.packets: list[dict] = []

    async def send(self, packet: dict) -> bool:
        self.packets.append(packet)
        return True


def test_reports_go_to_the_instructor_only_at_most_four_a_second():
    async def scenario():
        hall = Hall(capacity=40)
        hub, follow = hall.room, hall.follow
        instructor, attendee = Inbox(), Inbox()
        await follow.join("s1", attendee.send)
        hub.join("s1", "browser:one")
        hub.join("s2", "browser:two")
        hub.join_instructor("teacher", instructor.send)
        hub.instructor_moved({"epoch": 0, "phase": "forward.1", "matrix": None, "cell": [0, 0]})
        started = time.monotonic()
        for step in range(400):  # answers and moves as fast as they can come: 2 seconds' worth in no time
            hub.heard("s1", answer_packet(answer(f"wrong {step % 7}", False)))
            hub.heard("s2", status_packet(Status(step % 2 == 0, THERE)))
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.3)
        elapsed = time.monotonic() - started
        assert instructor.packets[-1]["answered"] == 1 and instructor.packets[-1]["wrong"] == [["wrong 0", 1]]
        assert len(instructor.packets) <= 1 + elapsed * 4 + 1, (len(instructor.packets), elapsed)
        assert all(packet["type"] == "backprop_room" for packet in instructor.packets)
        assert attendee.packets == []  # an attendee is never sent the room
        hub.heard("teacher", answer_packet(answer("forged", True)))  # the instructor is no attendee
        hub.heard("stranger", answer_packet(answer("forged", True)))
        hub.leave("s2")
        await asyncio.sleep(0.3)
        last = instructor.packets[-1]
        assert (last["attendees"], last["answered"], last["right"]) == (1, 1, 0)

    asyncio.run(scenario())


def test_an_attendees_process_cannot_publish_a_position_or_a_room_report():
    """What the server does with each meta packet an app process writes, by the role of that process."""

    async def scenario():
        hall = Hall(capacity=4)
        hub, room = hall.follow, hall.room
        follower, instructor = Inbox(), Inbox()
        await hub.join("follower", follower.send)
        attendee = RoomAppService(["true"], "attendee", hall, write_bytes=None, write_str=None, close=None,
                                  download_manager=None)
        teacher = RoomAppService(["true"], "instructor", hall, write_bytes=None, write_str=None, close=None,
                                 download_manager=None)
        room.join(attendee.app_service_id, "browser:attendee")
        room.join_instructor(teacher.app_service_id, instructor.send)
        position = {"type": "backprop_position", "epoch": 3, "phase": "loss", "matrix": None, "cell": [0, 0]}
        forged_room = {"type": "backprop_room", "attendees": 99, "answered": 99, "right": 99, "wrong": [],
                       "following": 0, "exploring": 99, "explorers": []}
        for packet in (position, forged_room, {"type": 7}, [1, 2]):
            await attendee.on_meta(json.dumps(packet).encode())
        await teacher.on_meta(json.dumps(answer_packet(answer("mine", True))).encode())  # not counted either
        await asyncio.sleep(0.3)
        assert follower.packets == [] and hub.position is None and room.place is None
        assert [(p["attendees"], p["answered"]) for p in instructor.packets] == [(1, 0)]
        await attendee.on_meta(json.dumps(answer_packet(answer("8×1000", False, Place(3, 0, "loss")))).encode())
        await teacher.on_meta(json.dumps(position).encode())
        await asyncio.sleep(0.3)
        assert follower.packets[-1]["phase"] == "loss" and instructor.packets[-1]["answered"] == 1

    asyncio.run(scenario())


def test_a_session_stopped_twice_at_once_stops_once_without_an_error():
    """The session's own handler and the server's shutdown can both stop a session; textual-serve's stop, entered
    twice, awaited a task the first call had cleared (TypeError, seen under load)."""
    from unittest import mock

    async def scenario() -> None:
        service = RoomAppService(["true"], "attendee", Hall(capacity=2), write_bytes=None,
                                 write_str=None, close=None, download_manager=mock.AsyncMock())
        async def slowly(meta: object) -> bool:  # a yield inside stop(), where the second call came in
            await asyncio.sleep(0.01)
            return True

        service.send_meta = mock.AsyncMock(side_effect=slowly)  # type: ignore[method-assign]
        service._task = asyncio.create_task(asyncio.sleep(0.02))
        await asyncio.gather(service.stop(), service.stop())
        assert service.send_meta.await_count == 1

    asyncio.run(scenario())
