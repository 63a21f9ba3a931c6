"""The debugger: one training iteration, phase by phase, over the session's tape.

The app draws what the session says and reports what the user does; it never
computes any of the network's math itself.
"""

from __future__ import annotations

from itertools import zip_longest

import numpy as np
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer

from backprop_tui.cell_format import format_value
from backprop_tui.commands import PhaseCommands
from backprop_tui.screens.help_screen import HelpScreen
from backprop_tui.session import Session, View
from backprop_tui.widgets.equation_panel import EquationPanel
from backprop_tui.widgets.matrix_view import MatrixView, Shown
from backprop_tui.widgets.phase_list import PhaseList
from backprop_tui.widgets.status_line import StatusLine
from scratchnet.stats import StatsCache

RESULT_SLOTS = 3
OPERAND_SLOTS = 4
TALL = 12
"""Matrices with more rows than this share the leftover height; smaller ones take just their rows."""


def _thousands(value: float) -> str:
    """Prices in thousands fit a cell: 2,065.8 for $2,065,820."""
    return f"{value / 1000:,.1f}" if abs(value) < 1e8 else format_value(value / 1000)


class BackpropApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "backprop-tui"
    COMMANDS = App.COMMANDS | {PhaseCommands}
    BINDINGS = [
        Binding("right,n,pagedown", "next_phase", "Next", priority=True, tooltip="Next phase (past the last: next epoch)"),
        Binding("left,p,pageup", "previous_phase", "Back", priority=True, tooltip="Previous phase"),
        Binding("home", "first_phase", "First phase", priority=True, show=False),
        Binding("end", "last_phase", "Last phase", priority=True, show=False),
        Binding("r", "reset", "Epoch 0", tooltip="Back to epoch 0, phase 1"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit", priority=True),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.stats = StatsCache()
        self._warmed = None

    def _warm(self, tape) -> None:
        """Stats for every matrix of a new tape at once, so stepping inside it never waits on them."""
        for phase in tape:
            for array in (*phase.inputs.values(), *phase.outputs.values()):
                self.stats(array)
        self._warmed = tape

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            yield PhaseList(id="phases")
            with Vertical(id="work"):
                yield EquationPanel(id="equation")
                with Horizontal(id="matrices"):
                    with Vertical(id="results"):
                        for slot in range(RESULT_SLOTS):
                            yield MatrixView(id=f"result-{slot}", classes="matrix result")
                    with VerticalScroll(id="operands", can_focus=False):
                        for slot in range(OPERAND_SLOTS):
                            yield MatrixView(id=f"operand-{slot}", classes="matrix operand")
        yield Footer()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda _theme: self._apply_palette())
        self._apply_palette()
        self._fit_to(self.size.width, self.size.height)
        self.show_position()
        self.query_one(PhaseList).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to(event.size.width, event.size.height)

    def _fit_to(self, width: int, height: int) -> None:
        """Collapse panels on small terminals; the current result always stays."""
        screen = self.screen
        screen.set_class(width < 110, "-narrow")
        screen.set_class(height < 34, "-short")
        screen.set_class(width < 60 or height < 18, "-tiny")

    def _apply_palette(self) -> None:
        variables = self.get_css_variables()
        background = variables.get("surface", "#1e1e1e")
        foreground = variables.get("foreground", "#e0e0e0")
        for view in self.query(MatrixView):
            view.set_palette(background, foreground, False)

    # --- drawing the position -----------------------------------------------------

    @property
    def matrix_views(self) -> list[MatrixView]:
        return list(self.query(MatrixView))

    def _shown(self, name: str, array: np.ndarray) -> Shown:
        labels = None
        if name == "X":
            labels = tuple(self.session.run.dataset.feature_names)
        return Shown(name, array, self.stats(array), column_labels=labels)

    def _predictions(self) -> Shown | None:
        """ŷ beside y, in standardized units and in the target's own units."""
        phase = self.session.phase
        if phase.kind not in ("error", "loss"):
            return None
        network_tape = self.session.tape
        prediction = network_tape[network_tape.index("error")].inputs
        names = list(prediction)
        y_hat, y = prediction[names[0]], prediction["y"]
        if y_hat.shape[1] != 1:
            return None
        scaler = self.session.run.dataset.target_scaler
        dollars = self.session.run.dataset.target_unit == "$"
        unit, raw_format = ("k$", _thousands) if dollars else ("raw", format_value)
        table = np.column_stack([y_hat[:, 0], y[:, 0], scaler.inverse(y_hat)[:, 0], scaler.inverse(y)[:, 0]])
        return Shown(
            "predictions", table, self.stats(table),
            column_labels=("ŷ", "y", f"ŷ {unit}", f"y {unit}"),
            title="predictions vs targets",
            column_formats=(format_value, format_value, raw_format, raw_format),
            heat=False,
        )

    def show_position(self) -> None:
        session = self.session
        phase = session.phase
        if session.tape is not self._warmed:
            self._warm(session.tape)
        self.query_one(PhaseList).show(session.tape, session.position.phase)
        self.query_one(EquationPanel).show(phase, dark=self.current_theme.dark)
        self.query_one(StatusLine).show(
            source=session.run.dataset.source, sizes=session.tape.sizes,
            learning_rate=session.config.learning_rate, dtype=session.tape.dtype, epoch=session.epoch,
            phase=session.position.phase, n_phases=len(session.tape), title=phase.title, loss=session.tape.loss,
        )
        results = [self._shown(name, array) for name, array in phase.outputs.items()]
        if (predictions := self._predictions()) is not None:
            results.append(predictions)
        operands = [self._shown(name, array) for name, array in phase.inputs.items()]
        widest = 0
        for views, items in ((self.query("#results MatrixView"), results), (self.query("#operands MatrixView"), operands)):
            for view, shown in zip_longest(views, items):
                if view is None:
                    break
                view.display = shown is not None
                if shown is None:
                    view.shown = None
                    continue
                view.show(shown)
                rows = view.n_rows
                view.styles.height = "1fr" if rows > TALL else "auto"
                if view.has_class("result"):
                    widest = max(widest, view.content_width)
        self.query_one("#results").styles.width = widest
        self._restore_view()

    def _restore_view(self) -> None:
        view = self.session.view
        target = self._view_named(view.matrix) if view.matrix else None
        if target is None:
            self.query_one(PhaseList).focus()
            return
        target.show(target.shown, cursor=view.cell, scroll=view.scroll)
        target.focus()

    def _view_named(self, name: str) -> MatrixView | None:
        for view in self.matrix_views:
            if view.display and view.shown is not None and view.shown.name == name:
                return view
        return None

    def _save_view(self) -> None:
        focused = self.focused
        if isinstance(focused, MatrixView) and focused.shown is not None:
            x, y = focused.scroll_offset
            self.session.set_view(View(focused.shown.name, focused.cursor, (int(y), int(x))))
        else:
            self.session.set_view(View())

    def on_matrix_view_cursor_moved(self, event: MatrixView.CursorMoved) -> None:
        if event.view is self.focused:
            self._save_view()

    def on_phase_list_chosen(self, event: PhaseList.Chosen) -> None:
        self.go_to_phase(event.key)

    # --- actions ------------------------------------------------------------------------

    def _move(self, move) -> None:
        self._save_view()
        move()
        self.show_position()

    def action_next_phase(self) -> None:
        self._move(self.session.next_phase)

    def action_previous_phase(self) -> None:
        self._move(self.session.previous_phase)

    def action_first_phase(self) -> None:
        self._move(self.session.first_phase)

    def action_last_phase(self) -> None:
        self._move(self.session.last_phase)

    def action_reset(self) -> None:
        self._move(self.session.reset)

    def go_to_phase(self, key: str) -> None:
        self._move(lambda: self.session.go_to_phase(key))

    def action_help(self) -> None:
        self.push_screen(HelpScreen([
            ("Stepping", self.BINDINGS),
            ("In a matrix", MatrixView.BINDINGS),
            ("Anywhere", [Binding("tab", "focus_next", "Next panel"), Binding("shift+tab", "focus_previous", "Previous panel"),
                          Binding("ctrl+p", "command_palette", "Command palette: jump to a phase by name")]),
        ]))
