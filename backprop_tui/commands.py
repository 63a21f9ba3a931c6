"""Command palette entries: jump to any phase by name or by a matrix it makes or reads; our themes first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.theme import ThemeProvider

from backprop_tui.epoch_batch import parse_epoch_batch
from backprop_tui.messages import OpenEpoch
from backprop_tui.themes import THEMES
from scratchnet.debugger.names import ascii_name, pretty_name
from scratchnet.debugger.tape import Phase

if TYPE_CHECKING:
    from backprop_tui.session import Session


@runtime_checkable
class DebuggerApp(Protocol):
    """What these providers use of the app (`BackpropApp` is one): the palette opens on its session, and goes to a
    phase through it. Said as a protocol so that this module, which the app imports, need not import the app."""

    session: Session

    def go_to_phase(self, key: str) -> None: ...


def phase_entry(phase: Phase) -> str:
    """The palette's text for a phase: its title and key, then the matrices it makes and reads, each in the
    equations' spelling and the ASCII one a person types (`∂L/∂W₂` is found by `dW2`)."""
    names: list[str] = []
    for name in (*phase.outputs, *phase.inputs):
        for spelling in (pretty_name(name), ascii_name(name)):
            if spelling not in names:
                names.append(spelling)
    return f"Go to phase: {phase.title} ({phase.key}) · {' '.join(names)}"


class PhaseCommands(Provider):
    def _phases(self) -> Iterator[tuple[str, Callable[[], None]]]:
        app = self.app
        assert isinstance(app, DebuggerApp), "PhaseCommands is the debugger's own palette provider"
        for phase in app.session.tape:
            yield phase_entry(phase), partial(app.go_to_phase, phase.key)

    async def discover(self) -> Hits:
        for text, callback in self._phases():
            yield DiscoveryHit(text, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback in self._phases():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text)


class EpochCommands(Provider):
    """Open any epoch run so far, and with mini-batches any of its batches: type "epoch 3 batch 2" (or "3 2")."""

    def _app(self) -> DebuggerApp:
        app = self.app
        assert isinstance(app, DebuggerApp), "EpochCommands is the debugger's own palette provider"
        return app

    def _open(self, epoch: int, iteration: int) -> None:
        self.app.post_message(OpenEpoch(epoch, iteration))

    def _entry(self, epoch: int, iteration: int) -> str:
        session = self._app().session
        batch = "" if session.iterations == 1 else f" · batch {iteration + 1}/{session.iterations}"
        return f"Open epoch {epoch}{batch}"

    async def discover(self) -> Hits:
        session = self._app().session
        if session.iterations > 1 and session.iteration + 1 < session.iterations:
            yield DiscoveryHit(self._entry(session.epoch, session.iteration + 1) + " (the next batch)",
                               partial(self._open, session.epoch, session.iteration + 1))
        last = max(session.trained_epochs - 1, 0)
        yield DiscoveryHit(self._entry(last, 0) + " (the last epoch run; type e.g. 'epoch 3 batch 2')",
                           partial(self._open, last, 0))

    async def search(self, query: str) -> Hits:
        place = parse_epoch_batch(query)
        if place is None:
            return
        text = self._entry(*place)
        score = self.matcher(query).match(text)
        yield Hit(max(score, 1.0), text, partial(self._open, *place), text=text)


class ThemeCommands(ThemeProvider):
    """Textual's theme picker with the four themes made for this app first, marked with the flag that picks them."""

    @property
    def commands(self) -> list[tuple[str, Callable[[], None]]]:
        ours = {textual: flag for flag, textual in THEMES.items()}
        order = list(ours)
        themes = sorted(self.app.available_themes, key=lambda name: (order.index(name) if name in ours else len(order), name))

        def set_theme(name: str) -> None:
            self.app.theme = name

        return [(f"★ {ours[name]} (--theme {ours[name]})" if name in ours else name, partial(set_theme, name))
                for name in themes]
