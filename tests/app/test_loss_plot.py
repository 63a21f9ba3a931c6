"""The loss plot widget under Pilot at 80×24: ticks on both scales, the legend, curves told apart without
colour, missing losses said and marked, and a click that opens the epoch under the pointer."""

from __future__ import annotations

import math

from textual.app import App, ComposeResult
from textual_hires_canvas import Canvas

from backprop_tui.loss_curves import (
    BRANCH_STYLES,
    HELD_OUT_STYLE,
    MISSING_GLYPH,
    RUNNING_STYLE,
    TRAINING_STYLE,
    CurveKind,
    LossSeries,
)
from backprop_tui.messages import OpenEpoch
from backprop_tui.themes import MONOCHROME
from backprop_tui.widgets.loss_plot import LossPlot
from tests.helpers import painted

SIZE = (80, 24)
FALLING = [7.5 * math.exp(-epoch / 18) + 0.0033 for epoch in range(125)]
"""About the article's run: from 7.5 down to the noise floor, over 125 epochs."""


class PlotApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.animation_level = "none"
        self.opened: list[int] = []

    def on_load(self) -> None:
        self.register_theme(MONOCHROME)

    def compose(self) -> ComposeResult:
        yield LossPlot()

    def on_open_epoch(self, message: OpenEpoch) -> None:
        self.opened.append(message.epoch)


def canvas(plot: LossPlot, name: str) -> str:
    """What one of textual-plot's canvases paints: "plot", "margin-left" (loss ticks), "margin-bottom"
    (epoch ticks), "margin-top" (the loss axis's title)."""
    return painted(plot.plot.query_one(f"#{name}", Canvas))


def tick_rows(plot: LossPlot) -> dict[str, int]:
    """Each loss tick label and the row it stands on."""
    return {line.strip(): row for row, line in enumerate(canvas(plot, "margin-left").splitlines()) if line.strip()}


def six_curves() -> list[LossSeries]:
    return [
        LossSeries("training", FALLING),
        LossSeries("held-out", [loss * 1.2 for loss in FALLING], kind=CurveKind.HELD_OUT),
        LossSeries("running", [loss * 0.8 for loss in FALLING], kind=CurveKind.RUNNING),
        LossSeries("η = 0.05", [loss * 1.5 for loss in FALLING[:90]], kind=CurveKind.BRANCH),
        LossSeries("η = 0.1", [loss * 2 for loss in FALLING[:60]], kind=CurveKind.BRANCH),
        LossSeries("η = 0.2", [loss * 3 for loss in FALLING[:30]], kind=CurveKind.BRANCH),
    ]


async def test_a_linear_plot_has_epoch_and_loss_ticks_and_axis_titles():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        plot.show([LossSeries("training", FALLING)], log_scale=False, title="Loss per epoch")
        await pilot.pause()
        assert canvas(plot, "margin-bottom").split()[:8] == ["0", "20", "40", "60", "80", "100", "120", "epoch"]
        rows = tick_rows(plot)
        assert list(rows) == ["6", "4", "2", "0"]
        # Equal steps of loss are equal steps down the screen, within a row's rounding.
        gaps = [rows["4"] - rows["6"], rows["2"] - rows["4"], rows["0"] - rows["2"]]
        assert max(gaps) - min(gaps) <= 1
        assert canvas(plot, "margin-top").strip() == "loss"
        assert plot.border_title == "Loss per epoch"


async def test_a_log_plot_says_so_and_spaces_powers_of_ten_evenly_on_every_redraw():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        losses = [10.0 ** (1 - 3 * epoch / 124) for epoch in range(125)]  # 10 down to 0.01
        plot.show([LossSeries("training", losses)], log_scale=True, title="Loss per epoch")
        await pilot.pause()
        assert "log₁₀" in canvas(plot, "margin-top") and "log scale" in plot.border_title
        first = tick_rows(plot)
        assert list(first) == ["10¹", "10⁰", "10⁻¹", "10⁻²"]
        gaps = [first["10⁰"] - first["10¹"], first["10⁻¹"] - first["10⁰"], first["10⁻²"] - first["10⁻¹"]]
        assert max(gaps) - min(gaps) <= 1 and min(gaps) >= 3
        # A straight line on this scale: the curve's top-left and bottom-right cells are the plot's corners.
        lines = canvas(plot, "plot").splitlines()[1:-1]
        assert lines[0][1] != " " and lines[-1][-2] != " "
        await pilot.resize_terminal(90, 26)  # redraws at the new size: the log is taken once, not again
        await pilot.pause()
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert tick_rows(plot) == first


async def test_the_legend_names_every_curve_and_the_markers_tell_them_apart_in_monochrome():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        app.theme = MONOCHROME.name
        plot = app.query_one(LossPlot)
        plot.show(six_curves(), log_scale=True)
        await pilot.pause()
        legend = painted(plot.legend)
        glyphs = [style.glyph for style in (TRAINING_STYLE, HELD_OUT_STYLE, RUNNING_STYLE, *BRANCH_STYLES)]
        assert len(set(glyphs)) == 6
        for glyph, label in zip(glyphs, ["training", "held-out", "running", "η = 0.05", "η = 0.1", "η = 0.2"]):
            assert f"{glyph} {label}" in legend
            assert glyph in canvas(plot, "plot"), f"no {glyph} marker on the {label} curve"


async def test_nan_and_inf_are_marked_and_said_never_drawn_as_a_low_loss():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        assert not plot.notes.display
        losses = [*FALLING[:100], math.nan, math.inf, *FALLING[102:]]
        plot.show([LossSeries("training", losses)], log_scale=False)
        await pilot.pause()
        assert plot.notes.display
        note = painted(plot.notes)
        assert "training 2 NaN/inf from epoch 100" in note and "not drawn" in note
        rows = canvas(plot, "plot").splitlines()
        assert MISSING_GLYPH in rows[1], "the mark stands at the top of the plot"
        mark = rows[1].index(MISSING_GLYPH)
        assert 0.7 < mark / len(rows[1]) < 0.9  # over epoch 100 of 124
        assert MISSING_GLYPH in painted(plot.legend)


async def test_losses_that_a_plot_cannot_place_never_crash_it():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        cases = [[], [math.nan], [math.inf, -math.inf], [3.0], [0.0, -1.0, 2.0], [1e308, 1.7e308, 5e-324],
                 [math.nan if epoch % 2 else 1.0 for epoch in range(301)]]
        for losses in cases:
            for log_scale in (False, True):
                plot.show([LossSeries("training", losses), LossSeries("held-out", losses, kind=CurveKind.HELD_OUT)],
                          log_scale)
                await pilot.pause()
        plot.show([LossSeries("training", [0.0, -1.0, 2.0, 3.0])], log_scale=True)
        await pilot.pause()
        assert "training 2 ≤ 0 from epoch 0" in painted(plot.notes)


async def test_a_click_opens_the_epoch_under_the_pointer():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        plot.show(six_curves(), log_scale=False)
        await pilot.pause()
        area = plot.plot.query_one("#plot", Canvas)
        width = area.size.width
        for x in (1, width // 2, width - 2):
            await pilot.click(area, offset=(x, 3))
        await pilot.pause()
        assert len(app.opened) == 3
        left, middle, right = app.opened
        assert left <= 2 and 55 <= middle <= 69 and right >= 122 and right <= 124
        await pilot.click(plot.legend, offset=(2, 0))
        await pilot.pause()
        assert len(app.opened) == 3, "a click off the plot opens nothing"


async def test_showing_what_is_shown_does_no_work():
    app = PlotApp()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.query_one(LossPlot)
        plot.show([LossSeries("training", FALLING)], log_scale=False)
        await pilot.pause()
        drawn = plot.frame
        plot.show([LossSeries("training", list(FALLING))], log_scale=False)
        assert plot.frame is drawn
        plot.show([LossSeries("training", [*FALLING, 0.003])], log_scale=False)
        assert plot.frame is not drawn and plot.frame is not None and plot.frame.x.high == len(FALLING)
