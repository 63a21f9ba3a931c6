"""The loss plot of the training screen: loss against epoch with real ticks, drawn by textual-plot.

Usage::

    plot = LossPlot(id="loss-plot")          # in compose()
    plot.show([LossSeries("training", session.losses),
               LossSeries("held-out", test_losses, kind=CurveKind.HELD_OUT),
               LossSeries("η = 0.05", branch.losses, kind=CurveKind.BRANCH)],
              log_scale=True, title="Loss per epoch")

What is drawn comes from `backprop_tui.loss_curves` (shared with the SVG export, `plot_svg.py`): curves cut
where a loss is NaN, inf (or ≤ 0 on a log scale) and marked ✗ at the top of the plot over those epochs, with a
note under the plot saying how many; curves thinned to the plot's width, so a redraw of 10,000 epochs costs
what one of 300 does; a marker glyph per curve, shown in the legend line, so the curves are told apart in
monochrome too. A click in the plot posts `OpenEpoch` for the epoch under the pointer (within the training
curve's epochs). The caller paces redraws; `show` with what is already shown does nothing, and a resize
draws again at the new width.

textual-plot's own keys and mouse zoom are off: on the training screen + − and the arrows are the run's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual import events
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_hires_canvas import Canvas, HiResMode
from textual_plot import PlotWidget
from textual_plot.axis_formatter import AxisFormatter

from backprop_tui.loss_curves import MISSING_GLYPH, CurveKind, LossFrame, LossSeries, prepare
from backprop_tui.messages import OpenEpoch
from backprop_tui.plot_scale import Axis

CELLS_PER_MARKER = 10
"""About one marker per this many columns of plot, per curve."""
FALLBACK_THEME_COLOUR = "#bbbbbb"
TOP_ROW = 1 - 1e-6
"""The highest a marker stands: a glyph at the very top would be on the plot's frame, which is drawn last.
The ✗ marks stand here."""
TALL = 14
"""Rows from which the plot has room for the word "epoch" under its ticks."""


class _Ticks(AxisFormatter):
    """Ticks worked out by `plot_scale`, handed to textual-plot as they are (its own would be at round
    fractions of the loss axis, which are not round losses)."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.labels: list[str] = []

    def set(self, ticks: Sequence[float], labels: Sequence[str]) -> None:
        self.ticks, self.labels = list(ticks), list(labels)

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        return list(self.ticks)

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        by_tick = dict(zip(self.ticks, self.labels))
        return [by_tick.get(tick, "") for tick in ticks]


class _Plot(PlotWidget, can_focus=False):
    """textual-plot's widget, never focused: its keys (+, −, arrows, r) would zoom and pan instead of acting
    on the run. It tells its owner when its size changes (the captions under it come and go), so the curves
    are thinned and the ticks chosen for the size it has."""

    def __init__(self, resized: Callable[[], None], *, classes: str) -> None:
        super().__init__(allow_pan_and_zoom=False, classes=classes)
        self._resized = resized

    def on_resize(self, event: events.Resize) -> None:
        self._resized()

    def render(self) -> RenderResult:
        """textual-plot sets a thousand single cells per redraw, each asking its canvas to refresh; batched,
        each canvas refreshes once (measured at 160×48, six curves of 10,000 epochs: 40 → 32 ms a redraw)."""
        with ExitStack() as batch:
            for canvas in self.query(Canvas):
                batch.enter_context(canvas.batch_refresh())
            return super().render()


@dataclass(frozen=True)
class _Shown:
    """What a redraw would draw: equal to the last one's means there is nothing to do."""

    series: tuple[tuple[str, CurveKind, int, int, str], ...]
    log_scale: bool
    title: str
    size: tuple[int, int]
    theme: str


class LossPlot(Vertical):
    """Loss against epoch, with the training, held-out and running losses and up to three branches."""

    DEFAULT_CSS = """
    LossPlot {
        height: 1fr;
        min-height: 8;
        border: round $primary 60%;
    }
    LossPlot > .loss-plot--plot {
        height: 1fr;
        min-height: 5;
    }
    LossPlot > .loss-plot--caption {
        height: auto;
        max-height: 2;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.plot = _Plot(self._draw, classes="loss-plot--plot")
        self.legend = Static(classes="loss-plot--caption", id="loss-plot-legend")
        self.notes = Static(classes="loss-plot--caption", id="loss-plot-notes")
        self.frame: LossFrame | None = None
        """What the plot shows now (None before the first `show`)."""
        self._x_ticks, self._y_ticks = _Ticks(), _Ticks()
        self.plot.set_x_formatter(self._x_ticks)
        self.plot.set_y_formatter(self._y_ticks)
        self._series: list[LossSeries] = []
        self._log_scale = False
        self._title = ""
        self._shown: _Shown | None = None
        self._theme_variables: dict[str, dict[str, str]] = {}
        """Theme name → its colours: worked out once per theme, not on every redraw."""

    def compose(self) -> ComposeResult:
        yield self.plot
        yield self.legend
        yield self.notes

    def on_mount(self) -> None:
        self.plot.margin_top = 1
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())

    def show(self, series: Sequence[LossSeries], log_scale: bool, title: str = "") -> None:
        """Draw `series` (at most one of each kind but branches, at most three branches) on a linear or a log₁₀
        loss axis. Nothing is done when every series has the length and last loss it had at the last call (a
        run's losses only grow) and nothing else changed; the losses are read, never changed."""
        self._series, self._log_scale, self._title = list(series), log_scale, title
        self._draw()

    def _draw(self) -> None:
        width, height = self._canvas_size()
        shown = _Shown(tuple((one.label, one.kind, one.first_epoch, len(one.losses),
                              repr(one.losses[-1]) if len(one.losses) else "") for one in self._series),
                       self._log_scale, self._title, (self.plot.size.width, self.plot.size.height), self.app.theme)
        if shown == self._shown or not self.is_mounted:
            return
        self._shown = shown
        frame = prepare(self._series, self._log_scale, columns=max(2 * width, 2),
                        markers=max(2, width // CELLS_PER_MARKER), x_ticks=max(2, width // 10),
                        y_ticks=max(2, height // 3))
        self.frame = frame
        self.border_title = (self._title + " · log scale") if self._title and frame.log_scale else self._title
        colours = self._colours(frame)
        self._draw_plot(frame, colours)
        self._caption(self.legend, self._legend_text(frame, colours))
        self._caption(self.notes, Text(frame.summary))
        self.notes.tooltip = "\n".join(frame.notes) or None

    def _caption(self, caption: Static, text: Text) -> None:
        """A caption line is updated only when its text changed: each update lays the screen out again."""
        if caption.content != text:
            caption.update(text)
            caption.display = bool(text)

    def _canvas_size(self) -> tuple[int, int]:
        """The columns and rows the curves have: the widget's, less textual-plot's margins and frame."""
        plot = self.plot
        width = plot.size.width - plot.margin_left - 2
        height = plot.size.height - plot.margin_top - plot.margin_bottom - 2
        return max(width, 1), max(height, 1)

    def _colours(self, frame: LossFrame) -> list[str]:
        theme = self.app.theme
        if theme not in self._theme_variables:
            self._theme_variables[theme] = self.app.get_css_variables()
        variables = self._theme_variables[theme]
        return [variables.get(curve.style.theme_colour, FALLBACK_THEME_COLOUR) for curve in frame.curves]

    def _draw_plot(self, frame: LossFrame, colours: list[str]) -> None:
        plot = self.plot
        plot.clear()
        _set_ticks(self._x_ticks, frame.x, fractions=False)
        _set_ticks(self._y_ticks, frame.y, fractions=True)
        plot.set_xticks(None)
        plot.set_yticks(list(self._y_ticks.ticks))
        margins = (max(4, max((len(label) for label in frame.y.labels), default=0) + 2),
                   3 if plot.size.height >= TALL else 1)
        if margins != (plot.margin_left, plot.margin_bottom):
            plot.margin_left, plot.margin_bottom = margins
            plot.refresh(layout=True)  # textual-plot sizes its axes' box again only on a layout of its own
        plot.set_ylabel(_left_aligned(frame.y.title, plot.margin_left))
        plot.set_xlabel(frame.x.title)
        # One braille dot of room past the last epoch and under the lowest loss: textual-plot draws its frame
        # over the row and column where those would land.
        columns, rows = self._canvas_size()
        plot.set_xlimits(frame.x.low, frame.x.high + (frame.x.high - frame.x.low) / (2 * columns))
        plot.set_ylimits(-1 / (4 * rows), 1.0)
        for curve, colour in zip(frame.curves, colours):
            line = f"{colour}" + (" dim" if curve.kind is CurveKind.RUNNING else "")
            for epochs, heights in curve.runs:
                plot.plot(epochs, heights, line_style=line, hires_mode=HiResMode.BRAILLE)
        for curve, colour in zip(frame.curves, colours):
            if len(curve.dots[0]):
                plot.scatter(curve.dots[0], np.minimum(curve.dots[1], TOP_ROW), marker=curve.style.glyph,
                             marker_style=f"bold {colour}")
            if len(curve.missing.epochs):
                tops = [TOP_ROW] * len(curve.missing.epochs)
                plot.scatter(curve.missing.epochs, tops, marker=MISSING_GLYPH, marker_style=f"bold {colour}")

    @staticmethod
    def _legend_text(frame: LossFrame, colours: list[str]) -> Text:
        legend = Text(no_wrap=False)
        for curve, colour in zip(frame.curves, colours):
            if legend:
                legend.append("   ")
            legend.append(curve.style.glyph, style=f"bold {colour}")
            legend.append(f" {curve.label}")
        if any(curve.missing.count for curve in frame.curves):
            legend.append(f"   {MISSING_GLYPH} not drawn")
        return legend

    def epoch_at(self, screen_x: int, screen_y: int) -> int | None:
        """The training curve's epoch under a point of the screen, or None off the plot (or with no curve)."""
        training = next((one for one in self._series if one.kind is CurveKind.TRAINING and len(one.losses)), None)
        canvas = self.plot.query_one("#plot", Canvas)
        region = canvas.region
        if training is None or self.frame is None or region.width < 3 or not region.contains(screen_x, screen_y):
            return None
        epoch, _ = self.plot.get_coordinate_from_pixel(screen_x - region.x, screen_y - region.y)
        last = training.first_epoch + len(training.losses) - 1
        return min(max(round(epoch), training.first_epoch), last)

    def on_click(self, event: events.Click) -> None:
        epoch = self.epoch_at(event.screen_x, event.screen_y)
        if epoch is not None:
            self.post_message(OpenEpoch(epoch))


def _set_ticks(formatter: _Ticks, axis: Axis, *, fractions: bool) -> None:
    """On the loss axis, ticks go where their losses sit as fractions of its height, as the curves do."""
    ticks = [_snap(float(t)) for t in axis.tick_fractions] if fractions else list(axis.ticks)
    formatter.set(ticks, axis.labels)


def _left_aligned(label: str, margin: int) -> str:
    """textual-plot centres the y label on its tick labels' right edge, which cuts a long one off on the left:
    spaces before it move it right until it starts at the widget's edge. Spaces after it clear what a label drawn
    further right before (textual-plot does not): a redraw whose ticks grew narrower left "losss" behind."""
    centre = margin - 2
    label += " " * 4
    pad = max(0, len(label) - 2 * centre)
    return " " * pad + label


def _snap(fraction: float) -> float:
    """0 and 1 exactly for ticks a rounding away from the ends, where textual-plot places end ticks."""
    return 0.0 if fraction < 1e-9 else 1.0 if fraction > 1 - 1e-9 else fraction
