"""Every key, generated from the bindings themselves, so the help can never drift from the keymap."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(sections: list[tuple[str, list[BindingType]]], key_display: Callable[[Binding], str],
                 keymap: Mapping[str, str] | None = None) -> Table:
    """Keys, what they do and the binding's id (what a session file's [keys] table remaps); `keymap` (binding id →
    keys) gives the keys a session file chose instead of the defaults."""
    keymap = keymap or {}
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_column(style="dim", no_wrap=True)
    for heading, bindings in sections:
        table.add_row(f"[u]{heading}[/u]", "", "")
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
            shown = " ".join(key_display(Binding(key.strip(), binding.action)) for key in keys.split(","))
            table.add_row(shown, binding.description, binding.id or "")
        table.add_row("", "", "")
    return table


def debugger_sections(stepping: list[BindingType]) -> list[tuple[str, list[BindingType]]]:
    """The debugger's help: its own keys (`stepping`, the app's bindings), then each panel's and screen's."""
    from backprop_tui.screens.breakpoint_editor import BreakpointEditor
    from backprop_tui.screens.training_screen import TrainingScreen
    from backprop_tui.widgets.matrix_view import MatrixView
    from backprop_tui.widgets.phase_list import PhaseList

    return [
        ("Stepping", stepping),
        ("Quiz (Q or --quiz)", [Binding("enter", "submit", "Check the answer; Enter on nothing reveals")]),
        ("In the phase list", PhaseList.BINDINGS),
        ("In a matrix", MatrixView.BINDINGS),
        ("Training screen (e)", TrainingScreen.BINDINGS),
        ("Breakpoint editor (B)", BreakpointEditor.BINDINGS),
        ("Anywhere", [Binding("tab", "focus_next", "Next panel"), Binding("shift+tab", "focus_previous", "Previous panel"),
                      Binding("ctrl+p", "command_palette", "Command palette: jump to a phase by name")]),
    ]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }

    #help-body {
        width: 90;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help", id="close-help")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]], keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._sections = sections
        self._keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys  ·  Esc closes"
            self.table = binding_rows(self._sections, self.app.get_key_display, self._keymap)
            yield Static(self.table, id="help-table")
            yield Static(
                "Each phase shows its equation, the shapes, the NumPy line that ran and a note.\n"
                "Tab moves focus to the matrices (the result first); the phase keys always step.\n"
                "The right-hand column names each key's binding: a session file's \\[keys] table gives it other keys,\n"
                'like next-phase = "right,n,f5".',
                id="help-about",
            )
