"""The app-wide messages: what workers, other threads and screens tell the app.

Workers post them from their threads (`post_message` is thread-safe) and never wait for
the UI. Messages that can come in floods stand for all of their kind queued before them
(`can_replace`), so a fast producer never swamps the screen: the data they announce waits
in the training run until the app takes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from scratchnet.debugger.gradcheck import GradientCheck


class TrainingNews(Message):
    """A training worker has handed something over (it waits in the training run): `now` to show it at once
    (a run's end, a branch's divergence), else at the training screen's next redraw (new epochs)."""

    def __init__(self, now: bool) -> None:
        super().__init__()
        self.now = now

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainingNews) and (message.now or not self.now)


class GradientChecked(Message):
    """A gradient check has finished: the check of phase `key` of epoch `epoch`."""

    def __init__(self, epoch: int, key: str, result: GradientCheck) -> None:
        super().__init__()
        self.epoch = epoch
        self.key = key
        self.result = result


class OpenEpoch(Message):
    """Open one iteration of an epoch in the debugger (the training screen's table, curve or prompt, the palette):
    its first batch unless `iteration` (from 0) says another."""

    def __init__(self, epoch: int, iteration: int = 0) -> None:
        super().__init__()
        self.epoch = epoch
        self.iteration = iteration


class BranchRequested(Message):
    """Rerun from the initial weights as the text says: η, and optionally epochs."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class FollowPosition(Message):
    """The instructor's position, as the server relayed it."""

    def __init__(self, position: dict) -> None:
        super().__init__()
        self.position = position


class ExportRequested(Message):
    """Write this text into --out under this name (in a browser: a download): the training screen's plot SVG."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__()
        self.text = text
        self.name = name


class RoomNews(Message):
    """The server's latest report on the room (the instructor's session only): the newest stands for any older."""

    def __init__(self, report: dict) -> None:
        super().__init__()
        self.report = report

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RoomNews)


class ChannelState(Message):
    """The server says the room's channel went down (`up` False: nobody follows) or came back."""

    def __init__(self, up: bool) -> None:
        super().__init__()
        self.up = up
