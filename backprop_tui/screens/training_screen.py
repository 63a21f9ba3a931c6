"""Whole epochs: the live loss, a paced run, the loss table, what the network learned, and branches.

The run itself lives in the app (a thread worker), so leaving this screen never
stops it; this screen only draws the session's losses and parameters.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Digits, Input, ProgressBar, Sparkline, Static

from backprop_tui.app import BackpropApp
from backprop_tui.article import ARTICLE_LOSSES, is_article_setup
from backprop_tui.cell_format import format_value
from backprop_tui.headless import loss_rows
from backprop_tui.widgets.key_bar import KeyBar
from scratchnet.debugger.collapse import effective_map

TABLE_EVERY = 20
MAX_BRANCHES = 3
"""Curves shown beside the main run: the most recent branches."""


def digits_text(loss: float | None) -> str:
    """Digits cannot draw "e", so small losses are written with ×10^."""
    if loss is None:
        return "-"
    if not math.isfinite(loss):
        return "inf" if loss > 0 else "NaN"
    if loss == 0 or 1e-3 <= abs(loss) < 1e5:
        return f"{loss:.4f}"
    exponent = math.floor(math.log10(abs(loss)))
    return f"{loss / 10 ** exponent:.2f}x10^{exponent}"


def sparkline_data(losses: list[float], log_scale: bool) -> list[float]:
    """Finite values only (Textual's Sparkline raises on NaN and inf), log10 on request."""
    finite = [loss for loss in losses if math.isfinite(loss)]
    if log_scale:
        finite = [math.log10(loss) for loss in finite if loss > 0]
    return finite or [0.0]


def _range(losses: list[float]) -> str:
    """Each sparkline scales to its own data, so the label carries the numbers to compare."""
    if not losses:
        return ""
    return f" · {format_value(losses[0]).strip()} → {format_value(losses[-1]).strip()}"


class Curve(Vertical):
    """One labelled loss curve; a click on it opens the epoch under the pointer."""

    app = getters.app(BackpropApp)

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="curve")
        self.border_title = label
        self.n_epochs = 0
        self.sparkline = Sparkline([0.0])

    def compose(self) -> ComposeResult:
        yield self.sparkline

    def show(self, losses: list[float], log_scale: bool, label: str) -> None:
        self.n_epochs = len(losses)
        self.border_title = label + ("  (log₁₀)" if log_scale else "")
        self.sparkline.data = sparkline_data(losses, log_scale)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        width = self.content_region.width
        if offset is None or self.n_epochs == 0 or width <= 0:
            return
        epoch = min(self.n_epochs - 1, int(offset.x / width * self.n_epochs))
        self.app.open_epoch(epoch)


class TrainingScreen(Screen):
    DEFAULT_CSS = """
    #train-status {
        height: 1;
        padding: 0 1;
        background: $panel;
    }

    #train-top {
        height: 7;
    }

    #loss-box {
        width: 40;
        border: round $accent;
        align: center middle;
    }

    #progress-box {
        width: 1fr;
        border: round $primary 60%;
        padding: 0 1;
    }

    #progress {
        margin: 1 0;
    }

    #train-message {
        color: $error;
        text-style: bold;
    }

    #curves {
        height: 1fr;
        min-height: 6;
        max-height: 12;
    }

    .curve {
        width: 1fr;
        border: round $primary 60%;
    }

    .curve Sparkline {
        height: 1fr;
    }

    #train-bottom {
        height: 20;
    }

    #loss-table {
        width: 40;
        border: round $primary 60%;
    }

    #learned {
        width: 1fr;
        border: round $primary 60%;
        padding: 0 1;
        overflow-y: auto;
    }

    #epoch-input, #branch-input {
        margin: 0 1;
        display: none;
    }
    """
    BINDINGS = [
        Binding("space", "pause", "Pause/resume", id="pause"),
        Binding("x", "stop", "Stop", id="stop"),
        Binding("plus,equals_sign", "faster", "Faster", id="faster"),
        Binding("minus", "slower", "Slower", id="slower"),
        Binding("m", "max_speed", "Max speed", id="max-speed"),
        Binding("L", "log_scale", "Log scale", id="log-scale"),
        Binding("o", "ask_epoch", "Open epoch", id="open-epoch"),
        Binding("b", "ask_branch", "Branch η", id="branch"),
        Binding("e", "again", "Run again", id="run-again",
                tooltip="Continue a stopped run; once a run has ended, watch it again from epoch 0"),
        Binding("escape", "back", "Debugger", id="back-to-debugger"),
    ]

    REDRAW_HZ = 8
    """Redraws while a paced run goes: smooth enough to watch."""
    MAX_SPEED_REDRAW_HZ = 3
    """At max speed every frame drawn takes the GIL from the training thread (a full redraw
    costs tens of milliseconds), so the picture updates less often and the run goes faster."""

    app = getters.app(BackpropApp)

    def __init__(self) -> None:
        super().__init__()
        self.log_scale = False
        self._dirty = False
        self._learned_epoch = -1
        self._learned_at = 0.0
        self._pace_start: tuple[float, int] | None = None
        self._drawn_at = 0.0
        self._texts: dict[str, str] = {}

    def mark_dirty(self) -> None:
        """New epochs arrived; the next redraw tick shows them."""
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        now = time.monotonic()
        hz = self.MAX_SPEED_REDRAW_HZ if self.app.trainer.speed is None else self.REDRAW_HZ
        if self._dirty and now - self._drawn_at >= 1 / hz - 1e-3:
            self._dirty = False
            self._drawn_at = now
            self.refresh_view()

    def compose(self) -> ComposeResult:
        yield Static(id="train-status")
        with Horizontal(id="train-top"):
            with Vertical(id="loss-box"):
                yield Digits("-", id="loss-digits")
            with Vertical(id="progress-box"):
                yield Static(id="progress-label")
                yield ProgressBar(id="progress", show_eta=False)
                yield Static(id="train-message")
        with Horizontal(id="curves"):
            for number in range(1 + MAX_BRANCHES):
                yield Curve("", id=f"curve-{number}")
        yield Input(id="epoch-input", placeholder="open which epoch? a number, then Enter (Esc cancels)")
        yield Input(id="branch-input", placeholder="branch: η and epochs, e.g. 0.05 125, then Enter")
        with Horizontal(id="train-bottom"):
            yield DataTable(id="loss-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="learned")
        yield KeyBar(pinned=("back", "help", "quit"))

    def on_mount(self) -> None:
        self.query_one("#loss-box").border_title = "Loss"
        self.query_one("#progress-box").border_title = "Progress"
        self.query_one("#learned").border_title = "What the network learned"
        self.query_one("#loss-table").border_title = "Loss table  (Enter or click opens an epoch)"
        self.query_one(DataTable).focus()
        self._learned_at = time.monotonic()  # a run just starting shows its map after a second
        self.set_interval(1 / self.REDRAW_HZ, self._redraw_if_dirty)
        self.refresh_view()

    # --- drawing ---------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.query("#train-status"):
            return  # not composed yet: on_mount draws it
        app = self.app
        session = app.session
        config = session.config
        losses = session.losses
        target = max(config.epochs, 1)
        speed = "max speed" if app.trainer.speed is None else f"{app.trainer.speed:g} epochs/s"
        self._set_text("#train-status", f"Training · η = {config.learning_rate:g} · "
                       f"{'→'.join(map(str, session.run.sizes))} · {speed} · {app.training_state}")
        done = min(len(losses), target)
        # A count of epochs, not an epoch's number: epochs 0 and 1 run are "2/125 epochs run", and a run
        # that diverged at epoch 1 says so in those words, as `train` does.
        stop = "" if session.diverged_at is None else f" · diverged at epoch {session.diverged_at}"
        self._set_text("#progress-label", f"{done}/{config.epochs} epochs run{stop}{self._eta(done, target)}")
        self.query_one(ProgressBar).update(total=target, progress=done)
        self.query_one(Digits).update(digits_text(losses[-1] if losses else None))
        self._set_text("#train-message", app.training_message, layout=True)
        self._show_curves()
        self._show_table()
        if not app.training and len(session.parameters) - 1 != self._learned_epoch or (
            app.training and self._learned_due()
        ):
            self._show_learned()

    def _set_text(self, selector: str, text: str, layout: bool = False) -> None:
        """Repaint a line only when its text changed, and without a layout pass when its size is fixed:
        at max speed every pass the UI makes is time the training thread waits for the GIL."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=layout)

    def _show_curves(self) -> None:
        app = self.app
        session = app.session
        existing = list(self.query(Curve))
        for number, curve in enumerate(existing):
            curve.display = number <= len(session.branches)
        existing[0].show(session.losses, self.log_scale,
                         f"Loss per epoch · η = {session.config.learning_rate:g}{_range(session.losses)}")
        for curve, branch in zip(existing[1:], session.branches[-MAX_BRANCHES:]):
            label = f"Branch · η = {branch.learning_rate:g}{_range(branch.losses)}"
            if branch.diverged_at is not None:
                label += f" · diverged at epoch {branch.diverged_at}"
            curve.show(branch.losses, self.log_scale, label)

    def _show_table(self) -> None:
        """Only the cells that changed are touched: rebuilding the table on every redraw made the screen
        lay itself out again each time, which a run at max speed paid for."""
        session = self.app.session
        table = self.query_one(DataTable)
        article = is_article_setup(session.config)
        if not table.columns:
            table.add_columns("Epoch", "Loss", *(("Article",) if article else ()))
        wanted = []
        for epoch, loss in loss_rows(session.losses, TABLE_EVERY):
            cells = [str(epoch), format_value(loss).strip()]
            if article:
                cells.append(f"{ARTICLE_LOSSES[epoch]:.4f}" if epoch in ARTICLE_LOSSES else "")
            wanted.append(cells)
        for index, cells in enumerate(wanted):  # rows are keyed by position, so the running last row is edited in place
            if index >= table.row_count:
                table.add_row(*cells, key=str(index))
                continue
            for column, (old, new) in enumerate(zip(table.get_row_at(index), cells)):
                if str(old) != new:
                    table.update_cell_at(Coordinate(index, column), new)
        while table.row_count > len(wanted):
            table.remove_row(str(table.row_count - 1))

    def _eta(self, done: int, target: int) -> str:
        """Time left at the pace measured since this screen first saw the run going.

        (Textual's own ETA redraws the bar on a timer, which costs a run at max speed
        a quarter of its pace.)"""
        if not self.app.training:
            self._pace_start = None
            return ""
        now = time.monotonic()
        if self._pace_start is None or done < self._pace_start[1]:
            self._pace_start = (now, done)
            return ""
        started, first = self._pace_start
        if done <= first or now <= started:
            return ""
        left = (target - done) * (now - started) / (done - first)
        return f" · about {left:.0f} s left" if left >= 1 else " · under a second left"

    def _learned_due(self) -> bool:
        """While a run goes, the learned map is redrawn once a second: it is text, not motion."""
        now = time.monotonic()
        if now - self._learned_at >= 1.0:
            self._learned_at = now
            return True
        return False

    def _show_learned(self) -> None:
        session = self.app.session
        self._learned_epoch = len(session.parameters) - 1
        dataset = session.run.dataset
        epoch = len(session.parameters) - 1
        parameters = session.parameters[-1]
        with np.errstate(all="ignore"):
            weight, bias = effective_map(parameters)
            samples = min(5, dataset.n_samples)
            prediction = dataset.target_scaler.inverse(session.run.network.predict(dataset.X[:samples], parameters))
            target = dataset.target_scaler.inverse(dataset.y[:samples])
        true = dataset.standardized_coefficients()
        coefficients = Table(box=None, padding=(0, 1))
        coefficients.add_column("")
        coefficients.add_column("W₁·W₂·…", justify="right")
        if true is not None:
            coefficients.add_column("generator", justify="right")
        for row, name in enumerate(dataset.feature_names):
            cells = [name, format_value(float(weight[row, 0])).strip() if weight.shape[1] == 1 else "…"]
            if true is not None:
                cells.append(format_value(float(true[row])).strip())
            coefficients.add_row(*cells)
        coefficients.add_row("b_eff", format_value(float(bias[0, 0])).strip(), *(("0.0000",) if true is not None else ()))
        dollars = dataset.target_unit == "$"
        predictions = Table(box=None, padding=(0, 1))
        for column in ("sample", "ŷ", "y"):
            predictions.add_column(column, justify="right")
        for i in range(samples):
            money: Callable[[float], str] = (lambda v: f"{v:,.0f}") if dollars else (lambda v: format_value(v).strip())
            predictions.add_row(str(i), money(float(prediction[i, 0])), money(float(target[i, 0])))
        note = ("Without activations the layers collapse into one linear map, X·W_eff + b_eff: "
                "three layers learn nothing one layer could not.")
        self.query_one("#learned", Static).update(Group(
            note, "", Text(f"After {epoch} epochs, in standardized units:", style="italic"), coefficients, "",
            Text("Predictions vs targets" + (" ($):" if dollars else ":"), style="italic"), predictions,
        ))

    # --- keys ----------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.app.toggle_pause()

    def action_stop(self) -> None:
        self.app.stop_training()

    def action_again(self) -> None:
        self.app.action_train(again=True)

    def action_faster(self) -> None:
        self.app.change_speed(2.0)

    def action_slower(self) -> None:
        self.app.change_speed(0.5)

    def action_max_speed(self) -> None:
        self.app.change_speed(None)

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.refresh_view()

    def action_ask_epoch(self) -> None:
        self._ask("#epoch-input")

    def action_ask_branch(self) -> None:
        self._ask("#branch-input")

    def _ask(self, name: str) -> None:
        field = self.query_one(name, Input)
        field.value = ""
        field.display = True
        field.focus()

    def action_back(self) -> None:
        for name in ("#epoch-input", "#branch-input"):
            field = self.query_one(name, Input)
            if field.display:
                field.display = False
                return
        self.app.pop_screen()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        text = event.value.strip()
        if event.input.id == "epoch-input":
            if not text.isdigit():
                self.notify(f"Not an epoch number: {text!r}", severity="error")
                return
            self.app.open_epoch(int(text))
        else:
            self.app.branch_from_text(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.app.open_epoch(int(self.query_one(DataTable).get_row(event.row_key)[0]))
