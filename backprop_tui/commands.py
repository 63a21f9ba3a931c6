"""Command palette entries: jump to any phase of the current iteration by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class PhaseCommands(Provider):
    def _phases(self) -> Iterator[tuple[str, Callable[[], None]]]:
        from backprop_tui.app import BackpropApp  # not at the top: app.py imports this module

        app = self.app
        assert isinstance(app, BackpropApp), "PhaseCommands is the debugger's own palette provider"
        for phase in app.session.tape:
            yield f"Go to phase: {phase.title} ({phase.key})", partial(app.go_to_phase, phase.key)

    async def discover(self) -> Hits:
        for text, callback in self._phases():
            yield DiscoveryHit(text, callback)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback in self._phases():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text)
