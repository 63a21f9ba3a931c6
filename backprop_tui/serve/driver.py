"""The web driver each served app runs under: Textual's own, plus the follow-mode packets."""

from __future__ import annotations

from textual.drivers.web_driver import WebDriver

from backprop_tui.messages import FollowPosition


class RoomDriver(WebDriver):
    def on_meta(self, packet_type: str, payload: dict[str, object]) -> None:
        if packet_type == "backprop_follow":
            self._app.post_message(FollowPosition(dict(payload)))
        else:
            super().on_meta(packet_type, payload)

    def publish_position(self, position: dict) -> None:
        self.write_meta({"type": "backprop_position", **position})
