"""Whole epochs: the live loss, a paced run, the loss table, what the network learned, and branches.

The run itself lives in the app (a thread worker), so leaving this screen never
stops it. This screen draws the session's losses and parameters and the training run's
state, which it is given, and hears of changes through the `changed` signal (True: draw
now; False: new epochs, drawn at the next redraw tick). What its keys do happens in the app:
the run's keys are the app's actions, and opening an epoch or a branch are messages.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Digits, Input, ProgressBar, Static

from backprop_tui.article import ARTICLE_LOSSES, is_article_setup
from backprop_tui.cell_format import format_short
from backprop_tui.epoch_batch import parse_epoch_batch
from backprop_tui.loss_curves import CurveKind, LossSeries
from backprop_tui.loss_rows import loss_rows
from backprop_tui.messages import BranchRequested, ExportRequested, OpenEpoch
from backprop_tui.session import Session
from backprop_tui.training import Training
from backprop_tui.widgets.curve import Curve
from backprop_tui.widgets.health_panel import HealthPanel
from backprop_tui.widgets.key_bar import KeyBar
from backprop_tui.widgets.loss_plot import LossPlot
from backprop_tui.widgets.predicted_vs_true import PredictedVsTrue
from backprop_tui.widgets.regions import DecisionRegions
from scratchnet.debugger.collapse import effective_map, map_in_units
from scratchnet.labels import class_indices, predicted_classes
from scratchnet.network import Parameters
from scratchnet.regions import predicted_against_true

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


def _range(losses: list[float]) -> str:
    """Each sparkline scales to its own data, so the label carries the numbers to compare."""
    if not losses:
        return ""
    return f" · {format_short(losses[0])} → {format_short(losses[-1])}"


def _at(values: list[float], index: int, text: Callable[[float], str]) -> str:
    return text(values[index]) if index < len(values) else ""


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


class TrainingScreen(Screen):
    BINDINGS = [
        Binding("space", "app.pause_training", "Pause/resume", id="pause"),
        Binding("x", "app.stop_training", "Stop", id="stop"),
        Binding("plus,equals_sign", "app.training_speed(2.0)", "Faster", id="faster"),
        Binding("minus", "app.training_speed(0.5)", "Slower", id="slower"),
        Binding("m", "app.training_speed(None)", "Max speed", id="max-speed"),
        Binding("L", "log_scale", "Log scale", id="log-scale"),
        Binding("v", "next_panel", "Next panel", id="next-panel",
                tooltip="On a small terminal the panels take turns: the loss plot, the picture, the table, …"),
        Binding("P", "toggle_pictures", "Pictures", id="pictures",
                tooltip="Plot and regions on or off (off: a sparkline strip and text only)"),
        Binding("p", "export_plot", "Plot SVG", id="export-plot", tooltip="The loss plot as an SVG, into --out"),
        Binding("o", "ask_epoch", "Open epoch", id="open-epoch"),
        Binding("b", "ask_branch", "Branch η", id="branch"),
        Binding("e", "app.train(True)", "Run again", id="run-again",
                tooltip="Continue a stopped run; once a run has ended, watch it again from epoch 0"),
        Binding("C", "app.continue", "Continue", id="continue-training",
                tooltip="Run on until a breakpoint's condition holds; while it runs, C stops it"),
        Binding("escape", "back", "Debugger", id="back-to-debugger"),
    ]

    REDRAW_HZ = 8
    """Redraws while a paced run goes: smooth enough to watch."""
    MAX_SPEED_REDRAW_HZ = 3
    """At max speed every frame drawn takes the GIL from the training thread (a full redraw
    costs tens of milliseconds), so the picture updates less often and the run goes faster."""

    PANELS = ("loss-plot", "picture", "loss-table", "learned", "health")
    """What takes turns in the one panel a small terminal has room for (v)."""
    PICTURE_HZ = 2
    """The regions are one forward pass over the panel's grid: redrawn at most this often while a run goes."""

    def __init__(self, session: Session, training: Training, changed: Signal[bool], note: str = "") -> None:
        super().__init__()
        self.session = session
        self.training = training
        self._changed = changed
        self.note = note
        """A lesson step's note, shown above the run (the step that opened it)."""
        self.log_scale = False
        self.pictures = True
        """The plot and the regions; off, a sparkline strip and the text panels only."""
        self.shown_panel = 0
        """Which of PANELS a folded screen shows."""
        self._picture_at = -1.0
        self._picture_epoch = -1
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
        hz = self.MAX_SPEED_REDRAW_HZ if self.training.trainer.speed is None else self.REDRAW_HZ
        if self._dirty and now - self._drawn_at >= 1 / hz - 1e-3:
            self._dirty = False
            self._drawn_at = now
            self.refresh_view()

    def compose(self) -> ComposeResult:
        yield Static(id="train-status")
        yield Static(self.note, id="train-lesson")
        with Horizontal(id="train-top"):
            with Vertical(id="loss-box"):
                yield Digits("-", id="loss-digits")
            with Vertical(id="progress-box"):
                yield Static(id="progress-label")
                yield ProgressBar(id="progress", show_eta=False)
                yield Static(id="train-message")
        yield Input(id="epoch-input", placeholder="open which epoch? a number, then Enter (Esc cancels)"
                    if self.session.iterations == 1 else
                    "open which epoch and batch? e.g. 3 2 (epoch 3, its batch 2), then Enter (Esc cancels)")
        yield Input(id="branch-input", placeholder="branch: η and epochs, e.g. 0.05 125, then Enter")
        with Grid(id="train-panels"):
            yield LossPlot(id="loss-plot", classes="panel")
            yield Curve("", id="loss-strip")
            with Vertical(id="picture", classes="panel"):
                if self._regions_possible:
                    yield DecisionRegions(id="regions")
                else:
                    yield PredictedVsTrue(id="predicted")
            yield DataTable(id="loss-table", cursor_type="row", zebra_stripes=True, classes="panel")
            yield Static(id="learned", classes="panel")
            yield HealthPanel(id="health")
        yield KeyBar(pinned=("back", "help", "quit"))

    @property
    def _regions_possible(self) -> bool:
        """Decision regions for a classifier of 2 features; predicted against true for everything else."""
        dataset = self.session.run.dataset
        return dataset.class_names is not None and dataset.X.shape[1] == 2

    def on_mount(self) -> None:
        self.query_one("#loss-box").border_title = "Loss"
        self.query_one("#progress-box").border_title = "Progress"
        self.query_one("#learned").border_title = "What the network learned"
        self.query_one("#loss-table").border_title = "Loss table  (Enter or click opens an epoch)"
        self.query_one("#picture").border_title = ("Decision regions (● × ▲: true class)" if self._regions_possible
                                                   else "Predicted against true (the diagonal: exact)")
        self.query_one("#train-lesson").display = bool(self.note)
        self._fold(self.app.size.width, self.app.size.height)
        self.query_one(DataTable).focus()
        self._learned_at = time.monotonic()  # a run just starting shows its map after a second
        self.set_interval(1 / self.REDRAW_HZ, self._redraw_if_dirty)
        self._changed.subscribe(self, lambda now: self.refresh_view() if now else self.mark_dirty())
        self.refresh_view()

    # --- drawing ---------------------------------------------------------------------

    def refresh_view(self) -> None:
        if not self.query("#train-status"):
            return  # not composed yet: on_mount draws it
        session, training = self.session, self.training
        config = session.config
        losses = session.losses
        target = max(config.epochs, 1)
        pace = training.trainer.speed
        speed = "max speed" if pace is None else f"{pace:g} epochs/s"
        self._set_text("#train-status", f"Training · η = {config.learning_rate:g} · "
                       f"{'→'.join(map(str, session.run.sizes))} · {speed} · {training.status}")
        done = min(len(losses), target)
        # A count of epochs, not an epoch's number: epochs 0 and 1 run are "2/125 epochs run", and a run
        # that diverged at epoch 1 says so in those words, as `train` does.
        stop = "" if session.diverged_at is None else f" · diverged at epoch {session.diverged_at}"
        loss = "" if not losses else f" · loss {format_short(losses[-1])}"
        self._set_text("#progress-label", f"{done}/{config.epochs} epochs run{loss}{self._latest()}{stop}"
                       f"{self._eta(done, target)}")
        self.query_one(ProgressBar).update(total=target, progress=done)
        self.query_one(Digits).update(digits_text(losses[-1] if losses else None))
        self._set_text("#train-message", training.message or session.loss_warning(rising=False) or "", layout=True)
        self._show_curves()
        self._show_table()
        if not training.running and len(session.parameters) - 1 != self._learned_epoch or (
            training.running and self._learned_due()
        ):
            self._show_learned()
        self._show_picture()
        self.query_one(HealthPanel).show(session.health(), session.loss_warning())

    def _latest(self) -> str:
        """The last epoch's other measures, beside its loss in the digits: running and held-out losses, accuracies."""
        session = self.session
        last = len(session.losses) - 1
        if last < 0:
            return ""
        parts = []
        if session.iterations > 1:
            parts.append(f"running loss {format_short(session.running_losses[last])}")
        if last < len(session.test_losses):
            parts.append(f"held-out loss {format_short(session.test_losses[last])}")
        if (share := session.accuracies.get(last)) is not None:
            parts.append(f"accuracy {share:.1%}")
        if (share := session.test_accuracies.get(last)) is not None:
            parts.append(f"held-out {share:.1%}")
        return "".join(f" · {part}" for part in parts)

    def _set_text(self, selector: str, text: str, layout: bool = False) -> None:
        """Repaint a line only when its text changed, and without a layout pass when its size is fixed:
        at max speed every pass the UI makes is time the training thread waits for the GIL."""
        if self._texts.get(selector) != text:
            self._texts[selector] = text
            self.query_one(selector, Static).update(text, layout=layout)

    def _show_curves(self) -> None:
        """The loss plot (training, running, held-out, the latest branches), or with pictures off a sparkline."""
        session = self.session
        title = f"Loss per epoch · η = {session.config.learning_rate:g}{_range(session.losses)}"
        strip = self.query_one("#loss-strip", Curve)
        if not self.pictures:
            strip.show(session.losses, self.log_scale, title)
            return
        self.query_one(LossPlot).show(self._series(), self.log_scale, title)

    def _series(self) -> list[LossSeries]:
        """What the loss plot draws: training, the running loss with batches, held-out, the latest branches."""
        session = self.session
        series = [LossSeries(f"training · η = {session.config.learning_rate:g}", session.losses)]
        if session.iterations > 1:
            series.append(LossSeries("running (mean of the batches)", session.running_losses, kind=CurveKind.RUNNING))
        if session.held_out is not None:
            series.append(LossSeries("held-out", session.test_losses, kind=CurveKind.HELD_OUT))
        for branch in session.branches[-MAX_BRANCHES:]:
            label = f"branch · η = {branch.learning_rate:g}" + (
                f" · diverged at {branch.diverged_at}" if branch.diverged_at is not None else "")
            series.append(LossSeries(label, branch.losses, kind=CurveKind.BRANCH))
        return series

    def _show_picture(self) -> None:
        """The regions (or predicted against true) of the latest parameters, at most PICTURE_HZ while a run goes."""
        if not self.pictures:
            return
        session = self.session
        epoch = len(session.parameters) - 1
        now = time.monotonic()
        if epoch == self._picture_epoch or (self.training.running and now - self._picture_at < 1 / self.PICTURE_HZ):
            return
        self._picture_epoch, self._picture_at = epoch, now
        run, parameters = session.run, session.parameters[-1]
        if self._regions_possible:
            names = run.dataset.class_names
            assert names is not None
            self.query_one(DecisionRegions).show(run.network, parameters, run.dataset.X, run.dataset.y, names)
        else:
            predicted, true = predicted_against_true(run.network, parameters, run.dataset.X, run.dataset.y,
                                                     run.dataset.target_scaler)
            self.query_one(PredictedVsTrue).show(predicted, true, "$" if run.dataset.target_unit == "$" else "")

    def _columns(self) -> list[tuple[str, Callable[[int], str]]]:
        """The loss table's columns past "Epoch": the loss, then what this run measures besides (the running loss
        with batches, the held-out loss, the accuracies for classes), then the article's numbers for its setup."""
        session = self.session
        columns: list[tuple[str, Callable[[int], str]]] = [("Loss", lambda epoch: format_short(session.losses[epoch]))]
        if session.iterations > 1:
            columns.append(("Running", lambda epoch: format_short(session.running_losses[epoch])))
        if session.held_out is not None:
            columns.append(("Held-out", lambda epoch: _at(session.test_losses, epoch, format_short)))
        if session.run.dataset.class_names is not None:
            columns.append(("Acc.", lambda epoch: _share(session.accuracies.get(epoch))))
            if session.held_out is not None:
                columns.append(("Held-out acc.", lambda epoch: _share(session.test_accuracies.get(epoch))))
        if is_article_setup(session.config):
            columns.append(("Article", lambda epoch: f"{ARTICLE_LOSSES[epoch]:.4f}" if epoch in ARTICLE_LOSSES else ""))
        return columns

    def _show_table(self) -> None:
        """Only the cells that changed are touched: rebuilding the table on every redraw made the screen
        lay itself out again each time, which a run at max speed paid for."""
        session = self.session
        table = self.query_one(DataTable)
        columns = self._columns()
        if not table.columns:
            table.add_columns("Epoch", *(name for name, _ in columns))
        wanted = [[str(epoch), *(cell(epoch) for _, cell in columns)]
                  for epoch, _ in loss_rows(session.losses, TABLE_EVERY)]
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
        if not self.training.running:
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
        session = self.session
        self._learned_epoch = len(session.parameters) - 1
        dataset = session.run.dataset
        epoch = len(session.parameters) - 1
        parameters = session.parameters[-1]
        if dataset.class_names is not None or not all(layer.linear for layer in session.run.network.layers):
            self._show_learned_nonlinear(epoch, parameters)
            return
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
            cells = [name, format_short(float(weight[row, 0])) if weight.shape[1] == 1 else "…"]
            if true is not None:
                cells.append(format_short(float(true[row])))
            coefficients.add_row(*cells)
        coefficients.add_row("b_eff", format_short(float(bias[0, 0])), *(("0.0000",) if true is not None else ()))
        units = self._units_table(parameters)
        dollars = dataset.target_unit == "$"
        predictions = Table(box=None, padding=(0, 1))
        for column in ("sample", "ŷ", "y"):
            predictions.add_column(column, justify="right")
        for i in range(samples):
            money: Callable[[float], str] = (lambda v: f"{v:,.0f}") if dollars else format_short
            predictions.add_row(str(i), money(float(prediction[i, 0])), money(float(target[i, 0])))
        note = ("Without activations the layers collapse into one linear map, X·W_eff + b_eff: "
                "three layers learn nothing one layer could not.")
        self.query_one("#learned", Static).update(Group(
            note, "", Text(f"After {epoch} epochs, in the data's own units, {dataset.target_name} ≈", style="italic"),
            units, "", Text("In standardized units (what the network sees):", style="italic"), coefficients, "",
            Text("Predictions vs targets" + (" ($):" if dollars else ":"), style="italic"), predictions,
        ))

    def _units_table(self, parameters: Parameters) -> Table:
        """The collapsed map in the data's units: what each feature's unit is worth in the target's (dollars per
        square foot), beside the generator's coefficients when the data were generated."""
        dataset = self.session.run.dataset
        with np.errstate(all="ignore"):
            slope, intercept = map_in_units(parameters, dataset.feature_scaler.mean, dataset.feature_scaler.std,
                                            float(dataset.target_scaler.mean[0]), float(dataset.target_scaler.std[0]))
        target_unit = dataset.target_unit or dataset.target_name
        table = Table(box=None, padding=(0, 1))
        table.add_column("")
        table.add_column(f"{target_unit} per", justify="right")
        table.add_column("unit")
        true = dataset.true_coefficients
        if true is not None:
            table.add_column("generator", justify="right")
        for row, (name, unit) in enumerate(zip(dataset.feature_names, dataset.feature_units)):
            cells = [f"× {name}", format_short(float(slope[row])), unit or name]
            if true is not None:
                cells.append(format_short(float(true[row])))
            table.add_row(*cells)
        table.add_row("+ intercept", format_short(intercept), "", *(("",) if true is not None else ()))
        return table

    def _show_learned_nonlinear(self, epoch: int, parameters: Parameters) -> None:
        """With activations or classes there is no single linear map to show: the first samples' predictions
        (classes by name, with the probability or score they got) beside their targets."""
        session = self.session
        dataset = session.run.dataset
        samples = min(8, dataset.n_samples)
        with np.errstate(all="ignore"):
            scores = session.run.network.predict(dataset.X[:samples], parameters)
        table = Table(box=None, padding=(0, 1))
        names = dataset.class_names
        if names is not None:
            for column in ("sample", "predicted", "true"):
                table.add_column(column, justify="right")
            predicted, true = predicted_classes(scores), class_indices(dataset.y[:samples])
            for i in range(samples):
                guess = names[predicted[i]] if predicted[i] >= 0 else "none"
                table.add_row(str(i), guess + ("" if predicted[i] == true[i] else " ◆"), names[true[i]])
            heading = "First samples, predicted class vs true (◆ wrong):"
        else:
            prediction = dataset.target_scaler.inverse(scores)
            target = dataset.target_scaler.inverse(dataset.y[:samples])
            for column in ("sample", "ŷ", "y"):
                table.add_column(column, justify="right")
            for i in range(samples):
                table.add_row(str(i), format_short(float(prediction[i, 0])), format_short(float(target[i, 0])))
            heading = "First samples, predictions vs targets:"
        note = ("With activations the layers no longer collapse into one linear map: each bends what the next one "
                "sees, which is what lets the network draw curved boundaries." if session.config.activations
                and set(session.config.activations) - {"none"} else
                "Classes are told apart by the highest of the network's outputs.")
        self.query_one("#learned", Static).update(Group(
            note, "", Text(f"After {epoch} epochs. {heading}", style="italic"), table))

    # --- keys: the run's own are the app's actions (see BINDINGS) ---------------------------------

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.refresh_view()

    # --- layout: from 160×48 down, panels fold ----------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fold(event.size.width, event.size.height)

    def _fold(self, width: int, height: int) -> None:
        """Below 150×40 the panels take turns in one place (v); below 60×18 the digits go (the progress line keeps
        the loss) and a sparkline stands for the plot."""
        folded = width < 150 or height < 40
        self.set_class(folded, "-folded").set_class(width < 60 or height < 18, "-tiny")
        self.set_class(not self.pictures, "-no-pictures")
        for index, name in enumerate(self.PANELS):
            self.query_one(f"#{name}").set_class(index == self.shown_panel, "-shown")

    def action_next_panel(self) -> None:
        self._show_panel(self.shown_panel + 1)

    def action_toggle_pictures(self) -> None:
        self.pictures = not self.pictures
        self._picture_epoch = -1
        self._show_panel(self.shown_panel)

    def _show_panel(self, index: int) -> None:
        """PANELS[index] in the folded screen's one place; with the pictures off, the loss table for a picture."""
        self.shown_panel = index % len(self.PANELS)
        if not self.pictures and self.PANELS[self.shown_panel] in ("loss-plot", "picture"):
            self.shown_panel = self.PANELS.index("loss-table")
        self._fold(self.app.size.width, self.app.size.height)
        self.refresh_view()

    def action_export_plot(self) -> None:
        """The loss plot as a standalone SVG (real vector lines and ticks, for slides) into --out."""
        from backprop_tui.plot_svg import loss_svg

        series = self._series()
        name = f"backprop-loss-epoch{max(len(self.session.losses) - 1, 0)}.svg"
        title = f"Loss per epoch · {'→'.join(map(str, self.session.run.sizes))}"
        self.app.post_message(ExportRequested(loss_svg(series, self.log_scale, title=title), name))

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
        self.dismiss()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.display = False
        text = event.value.strip()
        if event.input.id == "epoch-input":
            if (place := parse_epoch_batch(text)) is None:
                self.notify(f"Not an epoch number (or 'epoch batch', like 3 2): {text!r}", severity="error")
                return
            self.post_message(OpenEpoch(*place))
        else:
            self.post_message(BranchRequested(text))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenEpoch(int(self.query_one(DataTable).get_row(event.row_key)[0])))
