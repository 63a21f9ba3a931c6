"""Follow mode, as each app in a room sees it: the instructor's session says where it is, attendees' go there.

No Textual here. The server's hub (serve/follow.py) relays positions between the app
processes; both ends accept only positions `clean_position` keeps. In a lecture hall the positions travel
between the server's nodes on a channel that can be lost (Redis): the server then sends every session a
`backprop_channel` packet, `up` false, and another, `up` true, when it is back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backprop_tui.config import MAX_EPOCH
from backprop_tui.session import Session, View

POSITION_KEYS = ("epoch", "phase", "matrix", "cell", "iteration")
CHANNEL = "backprop_channel"
MAX_ITERATION = 10_000_000
"""Batches an epoch may have (one per row at most); a larger number is no position."""


def _whole(value: object, top: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top


def clean_position(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """Keep only well-formed position fields; None if the packet is not a usable position. `iteration` (the batch,
    from 0) may be missing, as it is from an instructor on a release before batches: the epoch's first."""
    epoch, phase, matrix, cell, iteration = (meta.get(key) for key in POSITION_KEYS)
    iteration = 0 if iteration is None else iteration
    if not _whole(epoch, MAX_EPOCH) or not _whole(iteration, MAX_ITERATION):
        return None
    if not isinstance(phase, str) or len(phase) > 64:
        return None
    if matrix is not None and (not isinstance(matrix, str) or len(matrix) > 64):
        return None
    if not (isinstance(cell, list) and len(cell) == 2 and all(isinstance(v, int) and v >= 0 for v in cell)):
        return None
    return {"epoch": epoch, "phase": phase, "matrix": matrix, "cell": cell, "iteration": iteration}


def channel_packet(up: bool) -> dict[str, Any]:
    """The server tells a session that the room's channel is down, or back."""
    return {"type": CHANNEL, "up": up}


class FollowMode:
    def __init__(self, role: str | None) -> None:
        self.role = role
        """'instructor' or 'attendee' when served to a room (the server sets BACKPROP_ROLE), else None."""
        self.channel_up = True
        """False while the server says the room's channel is down: nobody follows then."""

    @property
    def publishes(self) -> bool:
        return self.role == "instructor"

    @property
    def may_follow(self) -> bool:
        return self.role == "attendee"

    @property
    def channel_note(self) -> str | None:
        """What the status line says while the room's channel is down."""
        if self.channel_up or self.role is None:
            return None
        return "not following: the room channel is down" if self.may_follow else "the room channel is down"

    def channel_news(self, following: bool) -> str:
        """What a session is told when the channel goes down or comes back."""
        if self.channel_up:
            if not self.may_follow:
                return "The room channel is back: attendees follow you again."
            return "The room channel is back: following the instructor." if following else (
                "The room channel is back (f to follow the instructor).")
        if self.may_follow:
            return "Not following: the room channel is down. The server retries; you may explore meanwhile."
        return "The room channel is down: attendees do not follow you and the Room panel stands still. Retrying."

    @staticmethod
    def position_of(session: Session) -> dict[str, Any]:
        """What an instructor's session publishes."""
        view = session.view
        return {"epoch": session.epoch, "iteration": session.iteration, "phase": session.phase.key,
                "matrix": view.matrix, "cell": list(view.cell)}

    @staticmethod
    def go(position: Mapping[str, Any], session: Session) -> bool:
        """Move the session where a relayed position says; False (and no move) for one it cannot show."""
        clean = clean_position(position)
        if clean is None or clean["phase"] not in session.tape.keys or clean["iteration"] >= session.iterations:
            return False
        session.go_to_epoch(clean["epoch"], clean["phase"], clean["iteration"])
        if (matrix := clean["matrix"]) is not None:
            session.set_view(View(matrix=matrix, cells=((matrix, (clean["cell"][0], clean["cell"][1])),)))
        return True
