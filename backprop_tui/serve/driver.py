"""The web driver each served app runs under: Textual's own, plus the room's packets (serve/follow.py,
room_packets.py)."""

from __future__ import annotations

from textual.drivers.web_driver import WebDriver

from backprop_tui.follow_mode import CHANNEL
from backprop_tui.messages import ChannelState, FollowPosition, RoomNews
from backprop_tui.room_packets import ROOM


class RoomDriver(WebDriver):
    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type == "backprop_follow":
            self._app.post_message(FollowPosition(dict(payload)))
        elif packet_type == ROOM:
            self._app.post_message(RoomNews(dict(payload)))
        elif packet_type == CHANNEL:
            if isinstance(up := payload.get("up"), bool):
                self._app.post_message(ChannelState(up))
        else:
            super().on_meta(packet_type, payload)

    def publish_position(self, position: dict) -> None:
        self.write_meta({"type": "backprop_position", **position})

    def tell_room(self, packet: dict) -> None:
        """An attendee's answer or status, for the server's tally (room_packets.py)."""
        self.write_meta(packet)
