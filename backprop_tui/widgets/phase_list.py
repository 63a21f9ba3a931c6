"""All phases of the iteration, grouped Forward / Loss / Backward / Update.

The current phase is marked ▶ and the ones already passed are ticked, so a
learner always sees where they are in the whole iteration. A click, or ↑/↓
then Enter, jumps to a phase.

Painted line by line (the Line API), like the matrices: an OptionList re-rendered
every option on each step and was the costliest widget of the first frame.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from scratchnet import Tape

GROUPS = {"forward": "Forward", "loss": "Loss", "backward": "Backward", "update": "Update"}
"""The list's headings, one per stage of the iteration (scratchnet.debugger.tape.STAGES)."""


class PhaseList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "highlight(-1)", "Highlight ↑", show=False, id="phase-list-up"),
        Binding("down,j", "highlight(1)", "Highlight ↓", show=False, id="phase-list-down"),
        Binding("enter", "choose", "Open phase", show=False, id="phase-list-open"),
    ]
    COMPONENT_CLASSES = {"phase-list--group", "phase-list--current", "phase-list--future",
                         "phase-list--highlight"}
    DEFAULT_CSS = """
    PhaseList {
        scrollbar-size: 0 0;
        & > .phase-list--group { text-style: bold; color: $text-muted; }
        & > .phase-list--current { text-style: bold; color: $text; }
        & > .phase-list--future { color: $text-muted; }
        & > .phase-list--highlight { background: $block-cursor-blurred-background; }
        &:focus > .phase-list--highlight {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    class Chosen(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[tuple[str | None, str]] = []
        """(phase key, or None for a group heading; title) per line."""
        self._rows: dict[str, int] = {}
        """Phase key → its line."""
        self._keys: list[str] = []
        self._positions: dict[str, int] = {}
        """Phase key → its place in the tape, for painting ▶ ✓ without a search per line."""
        self._current = -1
        self._breaks: frozenset[str] = frozenset()
        """Phases with a breakpoint: marked ●."""
        self.highlighted_line = -1
        self._styles: dict[str, Style] = {}
        self._styles_for: tuple[bool, str] | None = None

    @property
    def highlighted_key(self) -> str | None:
        if 0 <= self.highlighted_line < len(self._lines):
            return self._lines[self.highlighted_line][0]
        return None

    def line_of(self, key: str) -> int:
        return self._rows[key]

    def show(self, tape: Tape, current: int, breaks: frozenset[str] = frozenset()) -> None:
        keys = [phase.key for phase in tape]
        self._breaks = breaks
        if keys != self._keys:
            self._keys = keys
            self._positions = {key: position for position, key in enumerate(keys)}
            self._lines, group = [], None
            for phase in tape:
                if GROUPS[phase.stage] != group:
                    group = GROUPS[phase.stage]
                    self._lines.append((None, group))
                self._lines.append((phase.key, phase.title))
            self._rows = {key: row for row, (key, _) in enumerate(self._lines) if key is not None}
            self.virtual_size = Size(max(len(title) + 4 for _, title in self._lines), len(self._lines))
        self._current = current
        self._set_highlight(self._rows[keys[current]])

    def _set_highlight(self, line: int) -> None:
        self.highlighted_line = line
        self.scroll_to_region_line(line)
        self.refresh()

    def scroll_to_region_line(self, line: int) -> None:
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if height <= 0:
            return
        if line < y:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif line >= y + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    def action_highlight(self, delta: int) -> None:
        phase_lines = sorted(self._rows.values())
        if not phase_lines:
            return
        if self.highlighted_line in phase_lines:
            index = phase_lines.index(self.highlighted_line) + delta
        else:
            index = 0
        self._set_highlight(phase_lines[max(0, min(len(phase_lines) - 1, index))])

    def action_choose(self) -> None:
        if (key := self.highlighted_key) is not None:
            self.post_message(self.Chosen(key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        line = self.scroll_offset.y + offset.y
        if 0 <= line < len(self._lines) and (key := self._lines[line][0]) is not None:
            self._set_highlight(line)
            self.post_message(self.Chosen(key))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        styles = self._line_styles()
        if not 0 <= line < len(self._lines):
            return Strip.blank(width, styles["base"])
        key, title = self._lines[line]
        if key is None:
            text, style = title, styles["group"]
        else:
            position = self._positions[key]
            if position == self._current:
                text, style = "▶ " + title, styles["current"]
            elif position < self._current:
                text, style = "✓ " + title, styles["base"]
            else:
                text, style = "  " + title, styles["future"]
            if key in self._breaks:
                text += " ●"
            if line == self.highlighted_line:
                style += styles["highlight"]
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def _line_styles(self) -> dict[str, Style]:
        """Resolved once per paint: the widget's own style walks its ancestors, which is not cheap per line."""
        if self._styles_for != (self.has_focus, self.app.theme):
            base = self.rich_style
            self._styles = {"base": base, **{name: base + self.get_component_rich_style(f"phase-list--{name}")
                                             for name in ("group", "current", "future")},
                            "highlight": self.get_component_rich_style("phase-list--highlight")}
            self._styles_for = (self.has_focus, self.app.theme)
        return self._styles

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_for = None
