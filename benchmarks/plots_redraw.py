"""What one redraw of the pictures costs: decision regions, predicted against true, and an activation's plot.

Decision regions and predicted against true fill a 160×48 panel (the training screen redraws them a few times a
second): the grid's forward pass, then the panel's lines. The activation plot sits in the debugger's operand
column (45 columns); its cost is going through Z once (a worker does it past 2¹⁸ entries) and then drawing any
width. Cases take turns; medians.
"""

from __future__ import annotations

import asyncio

import _timing
import numpy as np
from textual.app import App, ComposeResult

from backprop_tui.config import RunConfig, build_run
from backprop_tui.widgets.activation_plot import ActivationPlot
from backprop_tui.widgets.predicted_vs_true import PredictedVsTrue
from backprop_tui.widgets.regions import DecisionRegions
from scratchnet import run_epochs
from scratchnet.activation import ACTIVATIONS
from scratchnet.activation_profile import ActivationAt, activation_profile
from scratchnet.regions import decision_regions, predicted_against_true

SIZE = (160, 48)
REPEATS = 30
PLOT_SIZE = (47, 11)


class Panels(App[None]):
    CSS = f"ActivationPlot {{ width: {PLOT_SIZE[0]}; height: {PLOT_SIZE[1]}; border: round white; }}"

    def compose(self) -> ComposeResult:
        yield DecisionRegions()
        yield PredictedVsTrue()
        yield ActivationPlot()


def trained(config: RunConfig, learning_rate: float, epochs: int):
    run = build_run(config)
    run_epochs(run.network, run.dataset.X, run.dataset.y, learning_rate, 0, epochs)
    return run


async def measure() -> list[tuple[str, float]]:
    circle = trained(RunConfig(dataset="circle", hidden=(16, 8), activations=("relu", "relu")), 0.5, 100)
    spiral = trained(RunConfig(dataset="spiral", hidden=(8, 8), activations=("relu", "tanh")), 0.5, 100)
    houses = trained(RunConfig(), 0.01, 125)
    rng = np.random.default_rng(0)
    small_Z = rng.normal(size=(500, 8))
    big_Z = rng.normal(size=(100_000, 256))
    app = Panels()
    app.animation_level = "none"
    rows: list[tuple[str, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        regions, scatter = app.query_one(DecisionRegions), app.query_one(PredictedVsTrue)
        plot = app.query_one(ActivationPlot)
        for widget in (scatter, plot):
            widget.display = False
        await pilot.pause()
        grid = regions.grid_shape

        def regions_grid(run):
            return lambda: lambda: decision_regions(run.network, run.network.parameters, run.dataset.X, *grid)

        def regions_draw(run):
            def ready():
                data = run.dataset
                regions.show(run.network, run.network.parameters, data.X, data.y, data.class_names)
                regions._drawn_for = None
                return lambda: regions.render_line(0)
            return ready

        cases = {
            f"regions grid {grid[0]}×{grid[1]}, circle 2-16-8-2": regions_grid(circle),
            f"regions grid {grid[0]}×{grid[1]}, spiral 2-8-8-3": regions_grid(spiral),
            "regions redraw (grid + lines), circle": regions_draw(circle),
            "regions redraw (grid + lines), spiral": regions_draw(spiral),
        }
        times, _ = _timing.round_robin(cases, REPEATS)
        rows += [(name, _timing.median(values)) for name, values in times.items()]

        regions.display, scatter.display = False, True
        await pilot.pause()
        data = houses.dataset

        def scatter_redraw():
            predicted, true = predicted_against_true(houses.network, houses.network.parameters, data.X, data.y,
                                                     data.target_scaler)
            scatter.show(predicted, true, "$")
            return scatter.render()

        width, height = scatter.content_size
        times, _ = _timing.round_robin({f"predicted vs true (1,000 houses) at {width}×{height}: predict + render":
                                        lambda: scatter_redraw},
                                       REPEATS)
        rows += [(name, _timing.median(values)) for name, values in times.items()]

        scatter.display, plot.display = False, True
        await pilot.pause()
        relu, sigmoid = ACTIVATIONS["relu"], ACTIVATIONS["sigmoid"]
        cases = {
            "activation: go through Z 500×8 (relu)": lambda: lambda: activation_profile(relu, small_Z),
            "activation: go through Z 100,000×256 (relu)": lambda: lambda: activation_profile(relu, big_Z),
            "activation: go through Z 100,000×256 (sigmoid)": lambda: lambda: activation_profile(sigmoid, big_Z),
        }
        times, _ = _timing.round_robin(cases, 5)
        rows += [(name, _timing.median(values)) for name, values in times.items()]
        plot.show(ActivationAt(relu, "Z1", False), small_Z)
        await pilot.pause()

        def plot_redraw():
            plot._columns = None
            return plot.render()

        times, _ = _timing.round_robin({f"activation plot render ({PLOT_SIZE[0] - 2} columns)": lambda: plot_redraw},
                                       REPEATS)
        rows += [(name, _timing.median(values)) for name, values in times.items()]
    return rows


def main() -> None:
    for line in _timing.machine_lines() + _timing.blas_lines():
        print(line)
    print()
    print("| what | ms (median) |")
    print("|---|---:|")
    for name, seconds in asyncio.run(measure()):
        print(f"| {name} | {seconds * 1e3:.2f} |")


if __name__ == "__main__":
    main()
