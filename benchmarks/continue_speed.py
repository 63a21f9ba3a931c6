"""Continue against plain training: the cost of checking break conditions at every iteration.

    .venv/bin/python benchmarks/continue_speed.py        # about two minutes

The same epochs run in turns, from the same initial parameters: plain `run_epochs` (what `train` and the training
screen run), and `run_until` with conditions that never hold, which is what C and `train --break` run until one
does. Each kind of condition reads what the fast step made, kept in blocks of iterations and checked a block at a
time: what an epoch measures and nan; parameters and gradients; what an operation makes or passes back (Z₁, dX₂, and
dX₁, which a tapped step makes though no update needs it); the update rule's state (Adam's m̂); what the loss head
makes (dL/dŷ). Full batch on 100,000 houses (one iteration an epoch, where passes over memory show) and batches of
32 (625 iterations an epoch, where a per-iteration cost shows). Goal: continue at ≥ 0.9× plain speed.
"""

from __future__ import annotations

import statistics
import time

import _timing  # noqa: F401  (one BLAS thread; must come before numpy)

from backprop_tui.config import RunConfig, build_run
from scratchnet.breaking import Breaker, run_until
from scratchnet.conditions import parse_condition
from scratchnet.training import run_epochs

ROUNDS = 5
KINDS = {  # what it reads: its conditions
    "epoch-level, nan": ("nan", "loss < 0 or loss_up and epoch == -1", "test_loss < 0"),
    "parameters": ("nan", "norm(dW1) > 1e300 or ratio(W2) > 1e300"),
    "made (Z₁, dX₂)": ("norm(Z1) > 1e300 or norm(dX2) > 1e300",),
    "dX₁": ("norm(dX1) > 1e300",),
    "Adam's m̂": ("norm(mhatW1) > 1e300",),
    "loss head": ("norm(dL_dyhat) > 1e300",),
}
GOALS = ("epoch-level, nan", "parameters", "made (Z₁, dX₂)", "Adam's m̂", "loss head")
"""The kinds the goal is for: what plain training makes too. dX₁ is work plain training skips (a matrix the size of
the data at every iteration)."""
CASES = {
    "full batch, 100,000 rows, 20 epochs": (RunConfig(samples=100_000), 20),
    "batches of 32, 20,000 rows, 3 epochs": (RunConfig(samples=20_000, batch_size=32), 3),
    "Adam, batches of 32, 20,000 rows, 3 epochs": (RunConfig(samples=20_000, batch_size=32, optimizer="adam"), 3),
}


def seconds(config: RunConfig, epochs: int, conditions: tuple[str, ...]) -> float:
    run = build_run(config)
    X, y = run.dataset.X, run.dataset.y
    started = time.perf_counter()
    if conditions:
        breaker = Breaker([parse_condition(text) for text in conditions], X, y, config.learning_rate,
                          batches=config.batches, start_parameters=run.network.parameters)
        ran = run_until(run.network, X, y, config.learning_rate, 0, epochs, breaker, batches=config.batches)
    else:
        ran = run_epochs(run.network, X, y, config.learning_rate, 0, epochs, batches=config.batches)
    elapsed = time.perf_counter() - started
    assert ran.stopped_at is None and len(ran.losses) == epochs
    return elapsed


def main() -> None:
    print("\n".join(_timing.machine_lines()))
    print(f"{ROUNDS} rounds in turns, medians; conditions that never hold:")
    for kind, conditions in KINDS.items():
        print(f"  {kind}: {' | '.join(conditions)}")
    print(f"{'case':<44}{'plain s':>8}" + "".join(f"{kind:>18}" for kind in KINDS))
    passed = {kind: True for kind in GOALS}
    for name, (config, epochs) in CASES.items():
        kinds = [kind for kind in KINDS if config.optimizer == "adam" or kind != "Adam's m̂"]
        times: dict[str, list[float]] = {kind: [] for kind in ["plain", *kinds]}
        seconds(config, 1, ())  # warm-up
        for _ in range(ROUNDS):
            times["plain"].append(seconds(config, epochs, ()))
            for kind in kinds:
                times[kind].append(seconds(config, epochs, KINDS[kind]))
        plain = statistics.median(times["plain"])
        ratios = {kind: plain / statistics.median(times[kind]) for kind in kinds}
        print(f"{name:<44}{plain:>8.3f}" + "".join(f"{ratios[kind]:>17.2f}×" if kind in ratios else f"{'–':>18}"
                                                    for kind in KINDS))
        for kind in GOALS:
            if kind in ratios:
                passed[kind] = passed[kind] and ratios[kind] >= 0.9
    print("goal: continue ≥ 0.90× plain training: " + "; ".join(
        f"{kind} {'PASS' if ok else 'FAIL'}" for kind, ok in passed.items()) + "; dX₁: not a goal")


if __name__ == "__main__":
    main()
