"""Reading the room in the app: an attendee's session tells the server its answers and where it is; the
instructor's draws the server's report, at 160×48 and 80×24, and no other session ever draws one."""

from __future__ import annotations

import pytest

from backprop_tui.messages import RoomNews
from backprop_tui.widgets.matrix_area import MatrixArea
from backprop_tui.widgets.room_panel import RoomPanel
from tests.helpers import painted

REPORT = {"type": "backprop_room", "epoch": 0, "iteration": 0, "phase": "forward.1", "attendees": 24,
          "answered": 19, "right": 12, "wrong": [["8×1000", 4], ["[bold]1000×4", 2], ["8×4", 1]],
          "following": 20, "exploring": 4,
          "explorers": [["backward.3.weight", 2], ["forward.2", 1], ["loss", 1]]}


async def shown(app, pilot, report: dict) -> RoomPanel:
    app.post_message(RoomNews(report))
    await pilot.pause()
    await pilot.pause()
    return app.query_one(RoomPanel)


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_the_instructor_sees_the_room_for_its_phase(launch, monkeypatch, size):
    monkeypatch.setenv("BACKPROP_ROLE", "instructor")
    app, pilot = await launch("--quiz", size=size)
    panel = app.query_one(RoomPanel)
    assert not panel.display  # nothing until the server has reported
    panel = await shown(app, pilot, REPORT)
    text = painted(panel)
    assert panel.display and panel.border_title == "Room · 24 here"
    for words in ("forward.1 · epoch 0", "answered 19/24", "right 12", "wrong 7", "8×1000", "[bold]1000×4",
                  "following 20", "exploring 4"):
        assert words in text, words  # an attendee's text is shown as typed, never read as markup
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    assert all(len(line) <= panel.content_size.width for line in lines)
    explorers = lines[lines.index("Explorers are on") + 1:]
    assert [line.split()[0] for line in explorers][:2] == ["forward.2", "loss"]  # in the tape's order
    assert explorers[2].startswith(" backward.3") and explorers[2].endswith("2") and "██" in explorers[2]
    results = app.query_one(MatrixArea).region
    assert results.width >= 40 and results.right <= panel.region.x  # the room never covers the matrices
    assert panel.region.right <= size[0] and panel.region.bottom <= size[1] - 1  # nor the key bar


async def test_zoom_and_a_tiny_terminal_hide_the_room(launch, monkeypatch):
    monkeypatch.setenv("BACKPROP_ROLE", "instructor")
    app, pilot = await launch(size=(160, 48))
    panel = await shown(app, pilot, REPORT)
    await pilot.press("z")
    assert not panel.display
    await pilot.press("z")
    assert panel.display
    await pilot.resize_terminal(50, 16)
    await pilot.pause()
    assert not panel.display


@pytest.mark.parametrize("role", ["attendee", None])
async def test_no_other_session_draws_a_room_report(launch, monkeypatch, role):
    if role is None:
        monkeypatch.delenv("BACKPROP_ROLE", raising=False)
    else:
        monkeypatch.setenv("BACKPROP_ROLE", role)
    app, pilot = await launch("--quiz", size=(160, 48))
    panel = await shown(app, pilot, REPORT)
    assert not panel.display and panel.report is None
    bad = await shown(app, pilot, {**REPORT, "answered": -1})
    assert bad.report is None


async def test_an_instructor_ignores_a_malformed_report(launch, monkeypatch):
    monkeypatch.setenv("BACKPROP_ROLE", "instructor")
    app, pilot = await launch(size=(160, 48))
    panel = await shown(app, pilot, {**REPORT, "wrong": "everything"})
    assert not panel.display and panel.report is None


async def test_an_attendee_tells_the_room_each_answer_and_when_it_starts_exploring(launch, monkeypatch):
    monkeypatch.setenv("BACKPROP_ROLE", "attendee")
    app, pilot = await launch("--quiz", size=(160, 48))
    told: list[dict] = []
    app._driver.tell_room = told.append  # what the room's driver writes to the server (serve/driver.py)
    for key in "8x1000":
        await pilot.press(key)
    await pilot.press("enter")
    assert told == [{"type": "backprop_answer", "epoch": 0, "iteration": 0, "phase": "forward.1",
                     "answer": "8×1000", "right": False}]
    await pilot.press("f")  # explore alone
    await pilot.press("right")
    await pilot.press("enter")  # reveal without an answer: nothing to tell
    await pilot.press("f")
    await pilot.pause()
    statuses = [packet for packet in told if packet["type"] == "backprop_status"]
    assert statuses == [{"type": "backprop_status", "following": False, "epoch": 0, "iteration": 0,
                         "phase": "forward.1"},
                        {"type": "backprop_status", "following": False, "epoch": 0, "iteration": 0,
                         "phase": "forward.2"},
                        {"type": "backprop_status", "following": True}]
    assert len(told) == 4
