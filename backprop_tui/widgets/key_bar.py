"""One line of keys at the foot of a screen, each clickable.

Textual's Footer builds a widget per key and rebuilds them whenever focus moves; on this
app's screens that was the largest single cost of the first frame (about 370 ms of 800).
The keys a screen shows never change, so one Static painted once does the same job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.style import Style
from textual.widgets import Static


def _as_binding(binding: BindingType) -> Binding:
    return binding if isinstance(binding, Binding) else Binding(*binding)


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, bindings: Iterable[BindingType], namespace: str, *, id: str | None = None) -> None:
        """`bindings`: what a BINDINGS list holds; tuples are read as Textual reads them, Binding(*tuple)."""
        super().__init__(id=id)
        # Not `_bindings`: that name is the widget's own BindingsMap, which Textual reads for key handling.
        self._keys = [binding for binding in map(_as_binding, bindings) if binding.show]
        self._namespace = namespace
        """Where a click sends the action: "app" or "screen"."""
        self._spans: list[tuple[int, int, str]] = []
        """(first column, end column, action) of each key and its description."""

    def on_mount(self) -> None:
        self._paint()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._paint())

    def _paint(self) -> None:
        # Clicks are found by column rather than with @click markup, which would paint every key in link colours.
        key_style = Style.parse("bold $footer-key-foreground")
        parts: list[tuple[str, Style] | str] = []
        self._spans, column = [], 0
        for binding in self._keys:
            key = f" {self.app.get_key_display(replace(binding, key=binding.key.split(',')[0]))} "
            label = f"{binding.description} "
            parts += [(key, key_style), label]
            self._spans.append((column, column + len(key) + len(label), binding.action))
            column += len(key) + len(label)
        self.update(Content.assemble(*parts))

    async def on_click(self, event: events.Click) -> None:
        for start, end, action in self._spans:
            if start <= event.x < end:
                await self.run_action(f"{self._namespace}.{action}")
                return
