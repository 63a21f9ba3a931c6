"""Training with the UI at --speed max against headless `train`, and with the pictures shown against hidden.

The worker hands the UI the latest losses at most ~30 times a second and the
training screen redraws at most 3 times a second at max speed (the regions or the
predicted-against-true scatter at most twice), so drawing takes little from
training. Two app figures are printed: end to end (from the key press, so it
includes opening the training screen once) and steady state (from the first tenth
of the run to its end). A second table runs a classifier whose screen draws
decision regions, and compares the app with its pictures shown (the loss plot and
the regions) against the same app with them hidden (P: a sparkline and text).
Everything runs in turns in one process; ratios of medians are printed.

    .venv/bin/python benchmarks/train_ui_speed.py            # about 2 minutes
"""

from __future__ import annotations

import asyncio
import statistics
import time

import _timing  # noqa: F401  (one BLAS thread; must come before numpy)

from backprop_tui.cli import make_app, parse
from backprop_tui.config import build_run
from scratchnet import train

EPOCHS = 200
ARGV = ["--samples", "100000", "--epochs", str(EPOCHS), "--speed", "max"]
ROUNDS = 3


def headless_seconds() -> float:
    _, config = parse(ARGV)
    run = build_run(config)
    started = time.perf_counter()
    train(run.network, run.dataset.X, run.dataset.y, config.learning_rate, config.epochs)
    return time.perf_counter() - started


async def ui_seconds(argv: list[str] = ARGV, epochs: int = EPOCHS, pictures: bool = True) -> tuple[float, float]:
    """(end-to-end seconds per `epochs` epochs, steady-state seconds per `epochs` epochs); `pictures` False: P is
    pressed as the screen opens, so the steady state runs with them hidden."""
    app = make_app(argv)
    app.animation_level = "none"
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        already = app.session.trained_epochs  # epoch 0 was recorded for the debugger at start
        stamps: list[tuple[float, int]] = []
        add_epochs = app.session.add_epochs

        def spy(first, results):
            stamps.append((time.perf_counter(), first + len(results)))
            add_epochs(first, results)

        app.session.add_epochs = spy
        started = time.perf_counter()
        await pilot.press("e", *(() if pictures else ("P",)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.trained_epochs == epochs, app.session.trained_epochs
    end_time, end_epoch = stamps[-1]
    whole = (end_time - started) * epochs / (epochs - already)
    tenth_time, tenth_epoch = next((t, e) for t, e in stamps if e >= epochs // 10)
    steady = (end_time - tenth_time) * epochs / (end_epoch - tenth_epoch)
    return whole, steady


CLASSIFIER_EPOCHS = 150
CLASSIFIER = ["--dataset", "spiral", "--samples", "30000", "--hidden", "16:tanh,16:tanh", "--lr", "0.5",
              "--epochs", str(CLASSIFIER_EPOCHS), "--speed", "max"]


def pictures_table() -> None:
    print(f"\nconfiguration: {' '.join(CLASSIFIER)}; pictures shown against hidden (P), {ROUNDS} rounds in turns")
    shown, hidden = [], []
    for _ in range(ROUNDS):
        shown.append(asyncio.run(ui_seconds(CLASSIFIER, CLASSIFIER_EPOCHS, pictures=True))[1])
        hidden.append(asyncio.run(ui_seconds(CLASSIFIER, CLASSIFIER_EPOCHS, pictures=False))[1])
    on, off = statistics.median(shown), statistics.median(hidden)
    print(f"{'app, steady state':<40}{'s / run':>9}{'epochs/s':>10}{'× hidden':>12}")
    print(f"{'pictures hidden (P)':<40}{off:>9.3f}{CLASSIFIER_EPOCHS / off:>10.1f}{1:>12.2f}")
    print(f"{'pictures shown (plot and regions)':<40}{on:>9.3f}{CLASSIFIER_EPOCHS / on:>10.1f}{off / on:>12.2f}")
    print(f"goal ≥ 0.90× hidden: {'PASS' if off / on >= 0.9 else 'FAIL'}")


def main() -> None:
    print("\n".join(_timing.machine_lines()))
    print(f"configuration: {' '.join(ARGV)}; {ROUNDS} rounds in turns, medians")
    headless, whole, steady = [], [], []
    headless_seconds()  # warm-up
    for _ in range(ROUNDS):
        headless.append(headless_seconds())
        w, s = asyncio.run(ui_seconds())
        whole.append(w)
        steady.append(s)
    h, w, s = statistics.median(headless), statistics.median(whole), statistics.median(steady)
    print(f"{'path':<40}{'s / run':>9}{'epochs/s':>10}{'× headless':>12}")
    print(f"{'headless train':<40}{h:>9.3f}{EPOCHS / h:>10.1f}{1:>12.2f}")
    print(f"{'app, steady state':<40}{s:>9.3f}{EPOCHS / s:>10.1f}{h / s:>12.2f}")
    print(f"{'app, end to end (opens the screen)':<40}{w:>9.3f}{EPOCHS / w:>10.1f}{h / w:>12.2f}")
    print(f"goal ≥ 0.80× headless: steady state {'PASS' if h / s >= 0.8 else 'FAIL'}, "
          f"end to end {'PASS' if h / w >= 0.8 else 'FAIL'}")
    pictures_table()


if __name__ == "__main__":
    main()
