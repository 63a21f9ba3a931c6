"""Training with the UI at --speed max against headless `train`, on the same configuration.

The worker hands the UI the latest losses at most ~30 times a second and the
training screen redraws at most 3 times a second at max speed, so drawing takes
little from training. Two app figures are printed: end to end (from the key
press, so it includes opening the training screen once) and steady state (from
the first tenth of the run to its end). Both run in turns with headless
training in one process; ratios of medians are printed.
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


async def ui_seconds() -> tuple[float, float]:
    """(end-to-end seconds per EPOCHS epochs, steady-state seconds per EPOCHS epochs)."""
    app = make_app(ARGV)
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
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.trained_epochs == EPOCHS, app.session.trained_epochs
    end_time, end_epoch = stamps[-1]
    whole = (end_time - started) * EPOCHS / (EPOCHS - already)
    tenth_time, tenth_epoch = next((t, e) for t, e in stamps if e >= EPOCHS // 10)
    steady = (end_time - tenth_time) * EPOCHS / (end_epoch - tenth_epoch)
    return whole, steady


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


if __name__ == "__main__":
    main()
