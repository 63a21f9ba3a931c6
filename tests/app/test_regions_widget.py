"""The decision-regions and predicted-against-true panels, mounted in an app of their own as the training screen
will mount them: what they paint is what scratchnet predicts, and the monochrome theme tells classes apart by
texture and markers, never by hue."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.color import Color

from backprop_tui.config import RunConfig, build_run
from backprop_tui.themes import MONOCHROME
from backprop_tui.widgets.predicted_vs_true import PredictedVsTrue, short_number
from backprop_tui.widgets.regions import MARKERS, TEXTURES, DecisionRegions, class_colour
from scratchnet import run_epochs
from scratchnet.labels import class_indices
from scratchnet.regions import predicted_against_true


class Panel(App[None]):
    def __init__(self, widget, theme: str = "textual-dark") -> None:
        super().__init__()
        self.widget, self.theme_name = widget, theme

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_mount(self) -> None:
        self.register_theme(MONOCHROME)
        self.theme = self.theme_name


@pytest.fixture(scope="module")
def spiral():
    run = build_run(RunConfig(dataset="spiral", hidden=(8, 8), activations=("relu", "tanh"), samples=60))
    run_epochs(run.network, run.dataset.X, run.dataset.y, 0.5, 0, 30)
    return run


def cells(widget) -> list[list[tuple[str, object]]]:
    """Each painted line as (character, style) per cell."""
    return [[(char, segment.style) for segment in widget.render_line(y) for char in segment.text]
            for y in range(widget.content_size.height)]


def show(widget, run) -> None:
    data = run.dataset
    widget.show(run.network, run.network.parameters, data.X, data.y, data.class_names)


async def test_every_cell_is_the_predicted_class_of_its_two_halves_with_the_points_on_top(spiral):
    widget = DecisionRegions()
    app = Panel(widget)
    app.animation_level = "none"
    async with app.run_test(size=(60, 20)) as pilot:
        show(widget, spiral)
        await pilot.pause()
        painted = cells(widget)
        grid = widget.grid
        assert grid is not None and grid.shape == (2 * 19, 60) == widget.grid_shape
        background = widget.background_colors[1]
        rows, cols = grid.locate(spiral.dataset.X)
        marked = {(int(r) // 2, int(c)) for r, c in zip(rows, cols)}
        for line in range(19):
            for column in range(60):
                char, style = painted[line][column]
                if (line, column) in marked:
                    assert char in MARKERS and style.bold
                    continue
                upper, lower = grid.classes[2 * line, column], grid.classes[2 * line + 1, column]
                assert char == "▀"
                assert style.color.triplet == class_colour(upper, background).rich_color.triplet
                assert style.bgcolor.triplet == class_colour(lower, background).rich_color.triplet
        in_cell: dict[tuple[int, int], set[str]] = {}
        for r, c, label in zip(rows, cols, class_indices(spiral.dataset.y)):
            in_cell.setdefault((int(r) // 2, int(c)), set()).add(MARKERS[label])
        for (line, column), glyphs in in_cell.items():  # the true class of a point in the cell
            assert painted[line][column][0] in glyphs
        legend = "".join(char for char, _ in painted[-1])
        for k, name in enumerate(spiral.dataset.class_names):
            assert f"{MARKERS[k]} {name}" in legend


async def test_monochrome_regions_are_textures_and_no_cell_has_a_hue(spiral):
    widget = DecisionRegions()
    app = Panel(widget, MONOCHROME.name)
    app.animation_level = "none"
    async with app.run_test(size=(80, 20)) as pilot:
        show(widget, spiral)
        await pilot.pause()
        painted = cells(widget)
        grid = widget.grid
        rows, cols = grid.locate(spiral.dataset.X)
        marked = {(int(r) // 2, int(c)) for r, c in zip(rows, cols)}
        textures_seen = set()
        for line in range(19):
            for column in range(80):
                char, style = painted[line][column]
                if (line, column) not in marked:
                    assert char == TEXTURES[grid.classes[2 * line, column]]
                    textures_seen.add(char)
                for colour in (style.color, style.bgcolor):
                    if colour is not None:
                        red, green, blue = colour.get_truecolor()
                        assert red == green == blue  # grey: brightness only
        assert len(textures_seen) == len(np.unique(grid.classes)) > 1
        assert "texture: predicted" in "".join(char for char, _ in painted[-1])


async def test_new_parameters_and_a_new_size_draw_again(spiral):
    widget = DecisionRegions()
    app = Panel(widget)
    app.animation_level = "none"
    async with app.run_test(size=(60, 20)) as pilot:
        data = spiral.dataset
        widget.show(spiral.network, spiral.initial_parameters, data.X, data.y, data.class_names)
        await pilot.pause()
        widget.render_line(0)
        first = widget.grid.classes.copy()
        show(widget, spiral)
        await pilot.pause()
        widget.render_line(0)
        assert not np.array_equal(first, widget.grid.classes)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        widget.render_line(0)
        assert widget.grid.shape == (22, 40)


async def test_predicted_against_true_puts_each_row_at_its_values_over_the_diagonal():
    run = build_run(RunConfig(samples=200))
    run_epochs(run.network, run.dataset.X, run.dataset.y, 0.01, 0, 60)
    data = run.dataset
    predicted, true = predicted_against_true(run.network, run.network.parameters, data.X, data.y, data.target_scaler)
    for theme in ("textual-dark", MONOCHROME.name):
        widget = PredictedVsTrue()
        app = Panel(widget, theme)
        app.animation_level = "none"
        async with app.run_test(size=(70, 24)) as pilot:
            widget.show(predicted, true, "$")
            await pilot.pause()
            painted = cells(widget)
            text = ["".join(char for char, _ in line) for line in painted]
            low, high = min(predicted.min(), true.min()), max(predicted.max(), true.max())
            assert text[0].startswith(f"{short_number(high, '$'):>7} ┤")
            assert f"{short_number(low, '$'):>7} ┤" in text[20]
            assert text[-1].startswith("⠁ a row") and "predicted = true" in text[-1]
            points, diagonal, _ = widget.dots(21, 61)
            x = np.rint((true - low) / (high - low) * (2 * 61 - 1)).astype(int)
            y = np.rint((high - predicted) / (high - low) * (4 * 21 - 1)).astype(int)
            assert points[y, x].all() and np.count_nonzero(points) == len(set(zip(y, x)))
            assert diagonal[-1, 0] and diagonal[0, -1]  # corner to corner
            styles = [style for line in painted[:21] for char, style in line[9:] if char.strip()]
            if theme == MONOCHROME.name:
                assert all(style.color is None or len(set(style.color.get_truecolor())) == 1 for style in styles)
            else:
                accent = Color.parse(app.get_css_variables()["accent"]).rich_color.triplet
                assert any(style.color is not None and style.color.triplet == accent for style in styles)


def test_short_numbers_fit_a_label():
    assert [short_number(v, "$") for v in (2_345_678, 350_400, 9_999, -12.34)] == ["$2.3M", "$350k", "$1e+04", "−$12.3"]
