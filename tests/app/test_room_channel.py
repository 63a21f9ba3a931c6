"""A lecture hall's channel lost and back, as a served session shows it: the server's `backprop_channel` packet
becomes a notification and, while the channel is down, the start of the status line."""

from __future__ import annotations

from typing import Any

import pytest

from backprop_tui.messages import ChannelState
from backprop_tui.serve.driver import RoomDriver
from backprop_tui.widgets.status_line import StatusLine
from tests.helpers import painted


async def told(app: Any, pilot: Any, up: bool) -> str:
    app.post_message(ChannelState(up))
    await pilot.pause()
    await pilot.pause()
    return painted(app.query_one(StatusLine))


@pytest.mark.parametrize(("role", "down"), [("attendee", "not following: the room channel is down"),
                                            ("instructor", "the room channel is down")])
async def test_a_session_is_told_the_room_channel_is_down_and_back(launch, monkeypatch, role, down):
    monkeypatch.setenv("BACKPROP_ROLE", role)
    app, pilot = await launch(size=(160, 48))
    assert "channel" not in painted(app.query_one(StatusLine))
    line = await told(app, pilot, False)
    assert line.startswith(down) and "epoch 0" in line
    assert any("channel is down" in str(note.message) for note in app._notifications)
    await pilot.press("right")  # moving keeps saying it
    assert painted(app.query_one(StatusLine)).startswith(down)
    line = await told(app, pilot, True)
    assert "channel" not in line and line.startswith("epoch 0")
    assert any("channel is back" in str(note.message) for note in app._notifications)


async def test_an_app_not_served_to_a_room_says_nothing_of_a_channel(launch, monkeypatch):
    monkeypatch.delenv("BACKPROP_ROLE", raising=False)
    app, pilot = await launch(size=(160, 48))
    assert "channel" not in await told(app, pilot, False)


def test_the_rooms_driver_passes_on_only_a_well_formed_channel_packet():
    posted: list[Any] = []

    class App:
        post_message = posted.append

    class Driver:
        _app = App()

    for payload in ({"up": False}, {"up": "no"}, {}, {"up": 1}):
        RoomDriver.on_meta(Driver(), "backprop_channel", payload)  # type: ignore[arg-type]
    assert [message.up for message in posted] == [False]
