"""The cost of one step (a key press, then idle) under run_test, against a bare Textual app.

Configurations: the default; 100,000 samples with --hidden 256,256 (cost must not grow
with the data); and the floor, a bare app that imports NumPy and redraws a 12×8 Rich
table on each key. Also: launch to first frame, the cost of moving the cell cursor in a
100,000-row matrix, one dW cell's expansion over 100,000 samples, and the big tape's bytes
against the arrays it references (no copies). Configurations take turns; medians.

Launch is measured as a person sees it, a real process in a pseudo-terminal from spawn to
the first frame with content (launch.py), and also inside one process under run_test.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import _timing
import launch
import numpy as np
from bare_app import BareApp

from backprop_tui.cli import make_app
from scratchnet.debugger.explain import explain

PRESSES = 30
SIZE = (160, 48)
BIG = ["--samples", "100000", "--hidden", "256,256"]
NONLINEAR = ["--activation", "relu", "--dataset", "spiral"]


async def step_costs(app, keys: list[str]) -> tuple[list[float], list[float]]:
    """CPU and wall seconds per key, after a warm-up; keys alternate so the phase stays in epoch 0."""
    app.animation_level = "none"
    cpu, wall = [], []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys[:4]:
            await pilot.press(key)
            await pilot.pause()
        for key in keys[4:]:
            c, w = time.process_time(), time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
    return cpu, wall


def phase_keys(n: int) -> list[str]:
    return (["right", "right", "left", "left"] * (n // 4 + 2))[: n + 4]


async def cursor_costs(app) -> list[float]:
    """The cursor moving down a 100,000-row result (forward.1's Z1)."""
    app.animation_level = "none"
    costs = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await pilot.pause()
        for _ in range(PRESSES + 4):
            c = time.process_time()
            await pilot.press("j")
            await pilot.pause()
            costs.append(time.process_time() - c)
    return costs[4:]


async def first_frame(factory) -> float:
    """From building the app object to the first idle screen (the teardown is not counted)."""
    started = time.perf_counter()
    app = factory()
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


def tape_bytes(app) -> tuple[int, int, int]:
    """(bytes of distinct buffers the tape references, bytes if every phase's matrix were its own, copies)."""
    tape = app.session.tape
    owners: dict[int, np.ndarray] = {}
    listed = 0
    for phase in tape:
        for array in (*phase.inputs.values(), *phase.outputs.values()):
            listed += array.nbytes
            owner = array
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            owners[id(owner)] = owner
    network, session = app.session.run.network, app.session
    head = network.loss_head
    held = [session.run.dataset.X, session.run.dataset.y, head.error, head.squared_error, network.logits,
            head.loss_gradient_wrt_prediction, np.asarray(head.loss)]
    for layer in network.layers:
        held += [layer.input_matrix, layer.output, layer.weight, layer.bias, layer.incoming_gradient,
                 layer.weight_gradient, layer.bias_gradient, layer.input_gradient]
    held += [array for params in session.parameters for pair in params for array in pair]
    # The loss is a NumPy scalar, which cannot be viewed, only wrapped: its 8 bytes are the one exception.
    copies = sum(1 for owner in owners.values()
                 if owner.ndim > 0 and not any(np.shares_memory(owner, h) for h in held))
    return sum(o.nbytes for o in owners.values()), listed, copies


def med_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    print("\n".join(_timing.machine_lines()))
    runs: dict[str, list[float]] = {"bare": [], "default": [], "big": [], "nonlinear": []}
    walls: dict[str, list[float]] = {"bare": [], "default": [], "big": [], "nonlinear": []}
    factories = {"bare": BareApp, "default": lambda: make_app([]), "big": lambda: make_app(BIG),
                 "nonlinear": lambda: make_app(NONLINEAR)}
    big_app = None
    for _ in range(2):
        for name, factory in factories.items():
            app = factory()
            cpu, wall = asyncio.run(step_costs(app, phase_keys(PRESSES)))
            runs[name] += cpu
            walls[name] += wall
            if name == "big":
                big_app = app
    print(f"\none step (a key, then idle), {2 * PRESSES} presses each, medians")
    print(f"{'configuration':<34}{'CPU ms':>9}{'wall ms':>9}{'× bare':>9}")
    for name, label in (("bare", "bare app, 12×8 Rich table"), ("default", "default (1000 × 4-8-4-1)"),
                        ("big", "100,000 × 4-256-256-1"), ("nonlinear", "--activation relu --dataset spiral")):
        print(f"{label:<34}{med_ms(runs[name]):>9.2f}{med_ms(walls[name]):>9.2f}"
              f"{med_ms(runs[name]) / med_ms(runs['bare']):>9.2f}")
    d, b, g = med_ms(runs["default"]), med_ms(runs["bare"]), med_ms(runs["big"])
    for name in ("default", "big", "nonlinear"):
        ratio = med_ms(runs[name]) / b
        print(f"goal {name} ≤ 2× bare: {ratio:.2f}× {'PASS' if ratio <= 2 else 'FAIL'}")
    print(f"goal big ≤ 2× default: {g / d:.2f}× {'PASS' if g <= 2 * d else 'FAIL'}")

    bare_launch, app_launch = launch.launch_times()
    print("\n" + launch.report(bare_launch, app_launch))
    lb = statistics.median(cpu for _, cpu in bare_launch)
    la = statistics.median(cpu for _, cpu in app_launch)
    print(f"goal launch ≤ 1.5× bare (CPU, like the steps): {la / lb:.2f}× {'PASS' if la <= 1.5 * lb else 'FAIL'}")
    frames = {"bare": [], "default": []}
    for _ in range(5):
        frames["bare"].append(asyncio.run(first_frame(BareApp)))
        frames["default"].append(asyncio.run(first_frame(lambda: make_app([]))))
    fb, fd = statistics.median(frames["bare"]), statistics.median(frames["default"])
    print(f"the same inside one process under run_test (app object to idle, no imports): "
          f"bare {fb * 1000:.0f} ms, default {fd * 1000:.0f} ms, {fd / fb:.2f}×")

    cursor = asyncio.run(cursor_costs(make_app(["--samples", "100000"])))
    print(f"\ncursor move in a 100,000-row matrix: {med_ms(cursor):.2f} ms CPU, {med_ms(cursor) / b:.2f}× the bare step "
          f"({'PASS' if med_ms(cursor) <= 2 * b else 'FAIL'} against ≤ 2×)")
    tape = big_app.session.tape
    weight = tape[tape.index("backward.1.weight")]
    costs = []
    for _ in range(20):
        started = time.perf_counter()
        explain(tape, weight, "dW1", 3, 200)
        costs.append(time.perf_counter() - started)
    print(f"one dW cell over 100,000 samples: {med_ms(costs):.2f} ms ({'PASS' if med_ms(costs) <= 20 else 'FAIL'} "
          "against ≤ 20 ms)")

    distinct, listed, copies = tape_bytes(big_app)
    print(f"\nbig tape references {distinct / 1e6:,.0f} MB of distinct arrays; listing every phase's matrices "
          f"separately would be {listed / 1e6:,.0f} MB; copies made for the tape: {copies} "
          "(besides the 0-d loss)")


if __name__ == "__main__":
    main()
