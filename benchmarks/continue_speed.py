"""Continue against plain training: the cost of checking break conditions after every iteration.

    .venv/bin/python benchmarks/continue_speed.py        # about a minute

The same epochs run five ways, in turns, from the same initial parameters: plain `run_epochs` (what `train` and
the training screen run), and `run_until` with conditions that never hold, which is what C and `train --break` run
until one does. Conditions on the loss, the parameters and their gradients read what the fast step already made,
kept in blocks of iterations and checked a block at a time; so do conditions on what an operation makes or passes
back (Z₁, dX₂), copied as the fast step makes them. A condition on a matrix the fast step does not make (dX₁)
makes every iteration the network's own step. Full batch on 100,000 houses (one iteration an epoch) and batches of 32 (625
iterations an epoch, where a per-iteration cost shows most). Goal: continue at ≥ 0.9× plain speed.
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
EPOCH_LEVEL = ("nan", "loss < 0 or loss_up and epoch == -1", "test_loss < 0")
MATRIX = ("nan", "norm(dW1) > 1e300 or ratio(W2) > 1e300")
MADE = ("norm(Z1) > 1e300 or norm(dX2) > 1e300",)
RECORDED = ("norm(dX1) > 1e300",)
CASES = {
    "full batch, 100,000 rows, 20 epochs": (RunConfig(samples=100_000), 20),
    "batches of 32, 20,000 rows, 3 epochs": (RunConfig(samples=20_000, batch_size=32), 3),
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
    print(f"  epoch-level: {' | '.join(EPOCH_LEVEL)}")
    print(f"  parameters: {' | '.join(MATRIX)}")
    print(f"  made on the way: {' | '.join(MADE)}  (copied as the fast step makes them)")
    print(f"  not made by the fast step: {' | '.join(RECORDED)}  (every iteration on the network's own step)")
    print(f"{'case':<40}{'plain s':>9}{'epoch ×':>9}{'param ×':>9}{'made ×':>9}{'dX₁ ×':>9}")
    verdicts = []
    for name, (config, epochs) in CASES.items():
        times: list[list[float]] = [[], [], [], [], []]
        seconds(config, 1, ())  # warm-up
        for _ in range(ROUNDS):
            for kind, conditions in enumerate(((), EPOCH_LEVEL, MATRIX, MADE, RECORDED)):
                times[kind].append(seconds(config, epochs, conditions))
        p, *others = (statistics.median(values) for values in times)
        print(f"{name:<40}{p:>9.3f}" + "".join(f"{p / other:>9.2f}" for other in others))
        verdicts.append([p / other >= 0.9 for other in others[:3]])
    kinds = ("epoch-level conditions and nan", "conditions on a parameter or its gradient",
             "conditions on what an operation makes")
    print("goal: continue ≥ 0.90× plain training: " + "; ".join(
        f"{kind} {'PASS' if all(verdict[index] for verdict in verdicts) else 'FAIL'}" for index, kind in
        enumerate(kinds)) + "; dX₁ and the like: not a goal (see the README)")


if __name__ == "__main__":
    main()
