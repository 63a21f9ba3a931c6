"""One line of the keys that act now, at the foot of a screen, each clickable.

Textual's Footer builds a widget per key and rebuilds them whenever focus moves; on this
app's screens that was the largest single cost of the first frame (about 370 ms of 800).
One Static does the same job, painted again only when the keys that act have changed.

What acts is the screen's own answer (`Screen.active_bindings`): the keymap applied, each
action's `check_action` asked, keys an input box takes for typing left out. The keys come in
the order of the bindings (the most useful first); the pinned ones (help and quit) stand at the
right end, and what does not fit before them is left out, marked with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.style import Style
from textual.theme import Theme
from textual.widgets import Static

ELLIPSIS = "…"


@dataclass(frozen=True)
class Key:
    """One key as the bar shows it."""

    key: str
    """As displayed: → or ^s."""
    description: str
    node: DOMNode
    """Where its action runs: the app, the screen or a widget."""
    action: str

    @property
    def text(self) -> tuple[str, str]:
        return f" {self.key} ", f"{self.description} "

    @property
    def width(self) -> int:
        key, label = self.text
        return cell_len(key) + cell_len(label)


def _rank(node: DOMNode, action: str) -> int:
    """Where `action` is first bound in the node's own BINDINGS (Textual's maps keep the order of keys, not of
    bindings: a key some widget also binds comes earlier)."""
    for index, binding in enumerate(node.BINDINGS):
        if (binding.action if isinstance(binding, Binding) else binding[1]) == action:
            return index
    return len(node.BINDINGS)


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

    def __init__(self, pinned: Iterable[str] = ("help", "quit"), *, id: str | None = None) -> None:
        """`pinned`: actions always shown at the right end (when a key for them acts), in this order."""
        super().__init__(id=id)
        self._pinned = tuple(pinned)
        self._painted: tuple[int, tuple[Key, ...]] | None = None
        """The width and keys last painted: the same again is not painted again."""
        self._spans: list[tuple[int, int, Key]] = []
        """(first column, end column, key) of each key and its description, for clicks."""

    @property
    def keys(self) -> tuple[Key, ...]:
        """The keys painted now, left to right."""
        return tuple(key for _, _, key in self._spans)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._paint()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self, event: events.Resize) -> None:
        self._paint()

    def _bindings_changed(self, screen: Screen) -> None:
        self._paint()

    def _theme_changed(self, theme: Theme) -> None:
        self._painted = None  # the same keys in the new theme's colours (now, or when this screen is back on top)
        self._paint()

    def acting_keys(self) -> list[Key]:
        """Every shown key that acts now on this bar's screen, one per action: the focused widget's first, then
        the screen's, then the app's, each in the order of its BINDINGS."""
        found: dict[tuple[int, str], tuple[Key, bool]] = {}
        nodes: list[DOMNode] = []
        for active in self.screen.active_bindings.values():
            if not active.enabled:
                continue
            binding = active.binding
            if active.node not in nodes:
                nodes.append(active.node)
            group = (id(active.node), binding.action)
            known = found.get(group)
            if known is not None and (known[1] or not binding.show):
                continue  # the first shown key of an action is the one the bar names
            found[group] = (Key(self.app.get_key_display(binding), binding.description, active.node, binding.action),
                            binding.show)
        keys = [key for key, shown in found.values() if shown or key.action in self._pinned]
        return sorted(keys, key=lambda key: (nodes.index(key.node), _rank(key.node, key.action)))

    def _paint(self) -> None:
        if self.screen is not self.app.screen:
            return  # under another screen: what acts there is not what acts here
        width = self.size.width
        if width <= 0:
            return
        keys = self.acting_keys()
        pinned = sorted((key for key in keys if key.action in self._pinned), key=lambda k: self._pinned.index(k.action))
        rest = [key for key in keys if key.action not in self._pinned]
        room = width - sum(key.width for key in pinned)
        left: list[Key] = []
        used = 0
        for key in rest:
            if used + key.width > room:
                break
            left.append(key)
            used += key.width
        cut = len(left) < len(rest)
        if cut and used + cell_len(ELLIPSIS) > room and left:
            used -= left.pop().width
        painted = (width, (*left, *pinned))
        if painted == self._painted:
            return
        self._painted = painted
        # Clicks are found by column rather than with @click markup, which would paint every key in link colours.
        key_style = Style.parse("bold $footer-key-foreground")
        parts: list[tuple[str, Style] | str] = []
        self._spans, column = [], 0

        def add(key: Key) -> None:
            nonlocal column
            shown, label = key.text
            parts.extend([(shown, key_style), label])
            self._spans.append((column, column + key.width, key))
            column += key.width

        for key in left:
            add(key)
        gap = max(0, room - used)
        parts.append((ELLIPSIS if cut else " ").ljust(gap) if gap else "")
        column += gap
        for key in pinned:
            add(key)
        self.update(Content.assemble(*parts), layout=False)

    async def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                await self.app.run_action(key.action, key.node)
                return
