"""The cost of one redraw of the loss plot, with 125 to 10,000 epochs on every curve.

Six curves (training, held-out, running, three branches), each a new epoch longer at every redraw, as
during a run. Measured under run_test at 80×24 and 160×48, CPU time, medians of 20 redraws: `show` alone
(the curves worked out and handed to textual-plot), and `show` then a pause until the screen is idle (the
plot painted too). Also the SVG export of the same plot. The training screen redraws at most 8 times a
second, so a redraw must stay well under 125 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402

from backprop_tui.loss_curves import CurveKind, LossSeries  # noqa: E402
from backprop_tui.plot_svg import loss_svg  # noqa: E402
from backprop_tui.widgets.loss_plot import LossPlot  # noqa: E402

REDRAWS = 20


def six_curves(epochs: int) -> list[LossSeries]:
    t = np.arange(epochs)
    noise = np.random.default_rng(0).random(epochs)
    base = 7.5 * np.exp(-t / max(epochs / 6, 1)) + 0.0033 + 0.002 * noise
    return [
        LossSeries("training", base.tolist()),
        LossSeries("held-out", (base * 1.2).tolist(), kind=CurveKind.HELD_OUT),
        LossSeries("running", (base * 0.9).tolist(), kind=CurveKind.RUNNING),
        *(LossSeries(f"η = {lr}", (base * f).tolist(), kind=CurveKind.BRANCH)
          for lr, f in (("0.05", 1.5), ("0.1", 2.0), ("0.2", 3.0))),
    ]


class PlotApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LossPlot()


async def redraw_costs(epochs: int, size: tuple[int, int], log_scale: bool) -> tuple[float, float]:
    app = PlotApp()
    app.animation_level = "none"
    full = six_curves(epochs + REDRAWS)
    shows, frames = [], []
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(LossPlot)
        for n in range(epochs - 3, epochs + REDRAWS):
            series = [LossSeries(s.label, s.losses[:n], s.first_epoch, s.kind) for s in full]
            start = time.process_time()
            plot.show(series, log_scale, "Loss per epoch")
            shown = time.process_time()
            await pilot.pause()
            if n >= epochs:
                shows.append(shown - start)
                frames.append(time.process_time() - start)
    return statistics.median(shows) * 1000, statistics.median(frames) * 1000


def svg_cost(epochs: int) -> float:
    series = six_curves(epochs)
    times = []
    for _ in range(5):
        start = time.process_time()
        loss_svg(series, log_scale=True, title="Loss per epoch")
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def main() -> None:
    print("| epochs per curve | size | scale | show ms | show + paint ms |")
    print("|---:|---|---|---:|---:|")
    for epochs in (125, 1_000, 10_000):
        for size in ((80, 24), (160, 48)):
            for log_scale in (False, True):
                show, frame = asyncio.run(redraw_costs(epochs, size, log_scale))
                print(f"| {epochs:,} | {size[0]}×{size[1]} | {'log' if log_scale else 'linear'} "
                      f"| {show:.1f} | {frame:.1f} |")
    for epochs in (125, 10_000):
        print(f"SVG export, six curves of {epochs:,} epochs: {svg_cost(epochs):.1f} ms")


if __name__ == "__main__":
    main()
