"""How fast is scratchnet's training loop next to the same math written plainly?

    .venv/bin/python benchmarks/train_speed.py              # the table (about 30 s)
    .venv/bin/python benchmarks/train_speed.py --profile    # plus where the time goes (about 95 s)

Workload: the generated house-price data, 100,000 samples, a 4-8-4-1 network,
60 epochs of full-batch gradient descent, float64, η = 0.01. Three loops do the
same work per epoch: forward through three dense layers, error, mean squared
error, dL/dŷ = 2·error/N, then for each layer from last to first dW = Xᵀ·G,
db = column sum of G (keepdims), G ← G·Wᵀ (the first layer too), and finally
W ← W − η·dW, b ← b − η·db as new arrays.

  scratchnet.train   the project's loop (classes, per-epoch divergence check)
  NumPy loop         the article's code as straight-line NumPy, no classes
  PyTorch loop       the same manual math in torch ops on the CPU, no autograd
                     (skipped when torch is not installed: `pip install -e '.[bench]'`)

Everything runs on one thread (OMP/OpenBLAS/MKL_NUM_THREADS=1, torch.set_num_threads(1)).
Only the epoch loops are timed: data, network and tensors are built beforehand,
and every repetition starts from copies of the same initial parameters. The loops
take turns (round-robin, rotating who goes first) and the median of each is reported.

Goals: scratchnet at most 1.25× the NumPy loop, and faster than PyTorch.
Exit status: 1 if the three loops do not reach the same loss (the comparison
would be unfair); with --strict, also 1 if a goal fails.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import timeit
from collections import defaultdict

import _timing  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import scratchnet
from backprop_tui.config import RunConfig, build_run

SAMPLES = 100_000
EPOCHS = 60
LEARNING_RATE = 0.01
HIDDEN = (8, 4)
REPEATS = 7
RATIO_GOAL = 1.25
LOSS_RTOL = 1e-9

Parameters = list[tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- loops


def numpy_loop(X: np.ndarray, y: np.ndarray, parameters: Parameters, learning_rate: float, epochs: int):
    """The article's code, straight-line. Returns (loss per epoch, final parameters)."""
    (W1, b1), (W2, b2), (W3, b3) = parameters
    losses = []
    for _ in range(epochs):
        Z1 = np.dot(X, W1) + b1
        Z2 = np.dot(Z1, W2) + b2
        logits = np.dot(Z2, W3) + b3
        error = logits - y
        squared_error = error**2
        loss = np.mean(squared_error)
        losses.append(float(loss))

        G = (2 * error) / error.size
        dW3 = np.dot(Z2.T, G)
        db3 = np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W3.T)
        dW2 = np.dot(Z1.T, G)
        db2 = np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W2.T)
        dW1 = np.dot(X.T, G)
        db1 = np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W1.T)

        W1 = W1 - learning_rate * dW1
        b1 = b1 - learning_rate * db1
        W2 = W2 - learning_rate * dW2
        b2 = b2 - learning_rate * db2
        W3 = W3 - learning_rate * dW3
        b3 = b3 - learning_rate * db3
    return losses, [(W1, b1), (W2, b2), (W3, b3)]


def torch_loop(torch, X, y, parameters, learning_rate: float, epochs: int):
    """The same math in torch ops (float64 CPU tensors, no autograd)."""
    (W1, b1), (W2, b2), (W3, b3) = parameters
    losses = []
    with torch.inference_mode():
        for _ in range(epochs):
            Z1 = torch.mm(X, W1) + b1
            Z2 = torch.mm(Z1, W2) + b2
            logits = torch.mm(Z2, W3) + b3
            error = logits - y
            squared_error = error**2
            loss = squared_error.mean()
            losses.append(loss.item())

            G = (2 * error) / error.numel()
            dW3 = torch.mm(Z2.T, G)
            db3 = G.sum(dim=0, keepdim=True)
            G = torch.mm(G, W3.T)
            dW2 = torch.mm(Z1.T, G)
            db2 = G.sum(dim=0, keepdim=True)
            G = torch.mm(G, W2.T)
            dW1 = torch.mm(X.T, G)
            db1 = G.sum(dim=0, keepdim=True)
            G = torch.mm(G, W1.T)

            W1 = W1 - learning_rate * dW1
            b1 = b1 - learning_rate * db1
            W2 = W2 - learning_rate * dW2
            b2 = b2 - learning_rate * db2
            W3 = W3 - learning_rate * dW3
            b3 = b3 - learning_rate * db3
    return losses, [(W1.numpy(), b1.numpy()), (W2.numpy(), b2.numpy()), (W3.numpy(), b3.numpy())]


def copies(parameters: Parameters) -> Parameters:
    return [(W.copy(), b.copy()) for W, b in parameters]


# --------------------------------------------------------------------------- benchmark


def build(samples: int):
    run = build_run(RunConfig(samples=samples, hidden=HIDDEN, learning_rate=LEARNING_RATE, dtype="float64"))
    X, y = run.dataset.X, run.dataset.y
    assert run.sizes == (4, *HIDDEN, 1), run.sizes
    assert X.dtype == np.float64 and y.dtype == np.float64
    return run, X, y


def make_cases(run, X, y, torch, epochs: int):
    network = run.network
    initial = copies(run.initial_parameters)

    def scratchnet_case():
        network.set_parameters(copies(initial))

        def go():
            result = scratchnet.train(network, X, y, LEARNING_RATE, epochs)
            assert result.diverged_at is None, f"scratchnet diverged at epoch {result.diverged_at}"
            return result.losses, network.parameters

        return go

    def numpy_case():
        parameters = copies(initial)
        return lambda: numpy_loop(X, y, parameters, LEARNING_RATE, epochs)

    cases = {"scratchnet.train": scratchnet_case, "NumPy loop": numpy_case}

    if torch is not None:
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def torch_case():
            parameters = [(torch.from_numpy(W), torch.from_numpy(b)) for W, b in copies(initial)]
            return lambda: torch_loop(torch, tX, ty, parameters, LEARNING_RATE, epochs)

        cases["PyTorch loop"] = torch_case
    return cases


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), np.finfo(np.float64).tiny)


def check_agreement(results: dict, epochs: int) -> bool:
    """Same final loss to LOSS_RTOL (relative to the NumPy loop), and the same number of epochs."""
    reference_losses, reference_parameters = results["NumPy loop"]
    ok = True
    print(f"final loss (epoch {epochs - 1}, before its update), relative to the NumPy loop; tolerance {LOSS_RTOL:g}:")
    for name, (losses, parameters) in results.items():
        if len(losses) != len(reference_losses):
            print(f"  {name:<18} ran {len(losses)} epochs, expected {len(reference_losses)}  MISMATCH")
            ok = False
            continue
        final_rel = relative(losses[-1], reference_losses[-1])
        curve_rel = max(relative(a, b) for a, b in zip(losses, reference_losses))
        param_rel = max(
            float(np.max(np.abs(p - q) / np.maximum(np.abs(q), 1e-300)))
            for pair, ref_pair in zip(parameters, reference_parameters)
            for p, q in zip(pair, ref_pair)
        )
        identical = losses == reference_losses and all(
            np.array_equal(p, q)
            for pair, ref_pair in zip(parameters, reference_parameters)
            for p, q in zip(pair, ref_pair)
        )
        agrees = np.isfinite(losses[-1]) and final_rel <= LOSS_RTOL
        ok &= bool(agrees)
        verdict = "bit-identical" if identical else ("agrees" if agrees else "MISMATCH")
        print(
            f"  {name:<18} {losses[-1]:.15g}  rel {final_rel:.1e}  "
            f"(whole curve ≤ {curve_rel:.1e}, final parameters ≤ {param_rel:.1e})  {verdict}"
        )
    return ok


def print_table(times: dict[str, list[float]], epochs: int) -> None:
    base = _timing.median(times["NumPy loop"])
    print(f"{'loop':<18} {'median s':>9} {'ms/epoch':>9} {'min–max s':>13} {'× NumPy loop':>13}")
    for name, values in times.items():
        med = _timing.median(values)
        print(
            f"{name:<18} {med:>9.3f} {1000 * med / epochs:>9.2f} "
            f"{min(values):>6.3f}–{max(values):<6.3f} {med / base:>12.2f}×"
        )


def print_goals(times: dict[str, list[float]], torch) -> bool:
    ours = _timing.median(times["scratchnet.train"])
    ratio = ours / _timing.median(times["NumPy loop"])
    passed = ratio <= RATIO_GOAL
    print(f"goal: scratchnet ≤ {RATIO_GOAL}× the NumPy loop   {ratio:.2f}×  {'PASS' if passed else 'FAIL'}")
    if torch is None:
        print("goal: scratchnet faster than PyTorch   SKIPPED (torch not installed)")
        return passed
    theirs = _timing.median(times["PyTorch loop"])
    faster = ours < theirs
    print(
        f"goal: scratchnet faster than PyTorch   {ours:.3f} s vs {theirs:.3f} s "
        f"(PyTorch takes {theirs / ours:.2f}× as long)  {'PASS' if faster else 'FAIL'}"
    )
    return passed and faster


# --------------------------------------------------------------------------- profile


def profile_scratchnet(run, X, y, epochs: int) -> None:
    network = run.network
    network.set_parameters(copies(run.initial_parameters))
    profiler = cProfile.Profile()
    profiler.enable()
    scratchnet.train(network, X, y, LEARNING_RATE, epochs)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"cProfile of scratchnet.train, {epochs} epochs, by own time (tottime):")
    total = next((line for line in lines if "function calls" in line), "")
    print("  " + total.strip())
    for line in lines[start:]:
        if line.strip():
            print("  " + line.replace(str(_timing._ROOT) + "/", ""))


def line_timings(X, y, parameters: Parameters, learning_rate: float, epochs: int) -> None:
    """The NumPy loop (the same operations as scratchnet's step) with a clock between lines."""
    (W1, b1), (W2, b2), (W3, b3) = parameters
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter

    def tick(label: str, since: float) -> float:
        now = clock()
        spent[label] += now - since
        return now

    for _ in range(epochs):
        t = clock()
        Z1 = np.dot(X, W1)
        t = tick("forward  X·W (3 layers)", t)
        Z1 = Z1 + b1
        t = tick("forward  + b (3 layers)", t)
        Z2 = np.dot(Z1, W2)
        t = tick("forward  X·W (3 layers)", t)
        Z2 = Z2 + b2
        t = tick("forward  + b (3 layers)", t)
        logits = np.dot(Z2, W3)
        t = tick("forward  X·W (3 layers)", t)
        logits = logits + b3
        t = tick("forward  + b (3 layers)", t)
        error = logits - y
        squared_error = error**2
        loss = float(np.mean(squared_error))
        G = (2 * error) / error.size
        t = tick("loss: error, ², mean, 2·error/N", t)
        for A, W, shape in ((Z2, W3, "N×1"), (Z1, W2, "N×4"), (X, W1, "N×8")):
            dW = np.dot(A.T, G)
            t = tick("backward dW = Xᵀ·G (3 layers)", t)
            db = np.sum(G, axis=0, keepdims=True)
            t = tick(f"backward db = np.sum(G, axis=0), G {shape}", t)
            G = np.dot(G, W.T)
            t = tick("backward G·Wᵀ (3 layers)", t)
            if W is W3:
                dW3, db3 = dW, db
            elif W is W2:
                dW2, db2 = dW, db
            else:
                dW1, db1 = dW, db
        W1, b1 = W1 - learning_rate * dW1, b1 - learning_rate * db1
        W2, b2 = W2 - learning_rate * dW2, b2 - learning_rate * db2
        W3, b3 = W3 - learning_rate * dW3, b3 - learning_rate * db3
        tick("update (6 small arrays)", t)
    del loss
    total = sum(spent.values())
    print(f"line timings of the same step, {epochs} epochs, total {total:.3f} s:")
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(
            f"  {label:<42} {seconds:7.3f} s  {1000 * seconds / epochs:6.2f} ms/epoch  {100 * seconds / total:5.1f} %"
        )


def _loop_with_column_sum(X, y, parameters: Parameters, learning_rate: float, epochs: int, column_sum):
    """numpy_loop with its three `np.sum(G, axis=0, keepdims=True)` replaced by `column_sum(G)`."""
    (W1, b1), (W2, b2), (W3, b3) = parameters
    losses = []
    for _ in range(epochs):
        Z1 = np.dot(X, W1) + b1
        Z2 = np.dot(Z1, W2) + b2
        logits = np.dot(Z2, W3) + b3
        error = logits - y
        losses.append(float(np.mean(error**2)))
        G = (2 * error) / error.size
        dW3, db3, G = np.dot(Z2.T, G), column_sum(G), np.dot(G, W3.T)
        dW2, db2, G = np.dot(Z1.T, G), column_sum(G), np.dot(G, W2.T)
        dW1, db1, G = np.dot(X.T, G), column_sum(G), np.dot(G, W1.T)
        W1, b1 = W1 - learning_rate * dW1, b1 - learning_rate * db1
        W2, b2 = W2 - learning_rate * dW2, b2 - learning_rate * db2
        W3, b3 = W3 - learning_rate * dW3, b3 - learning_rate * db3
    return losses, [(W1, b1), (W2, b2), (W3, b3)]


def what_if_loops(run, X, y, epochs: int, repeats: int = 3) -> None:
    """The whole NumPy loop with the column sum swapped: the saving it would buy, and the cost in bits."""
    N = X.shape[0]
    ones = np.ones(N)
    variants = {
        "np.sum (as now)": lambda G: np.sum(G, axis=0, keepdims=True),
        "einsum, np.sum for N×1": lambda G: (
            np.einsum("ij->j", G)[None, :] if G.shape[1] > 1 else np.sum(G, axis=0, keepdims=True)
        ),
        "einsum everywhere": lambda G: np.einsum("ij->j", G)[None, :],
        "ones @ G": lambda G: (ones @ G)[None, :],
    }
    initial = copies(run.initial_parameters)
    cases = {
        name: (lambda fn=fn: lambda: _loop_with_column_sum(X, y, copies(initial), LEARNING_RATE, epochs, fn))
        for name, fn in variants.items()
    }
    times, results = _timing.round_robin(cases, repeats)
    reference_losses, reference_parameters = results["np.sum (as now)"]
    base = _timing.median(times["np.sum (as now)"])
    print(f"what-if: the NumPy loop with its column sum replaced ({repeats} round-robin rounds, median):")
    for name, values in times.items():
        losses, parameters = results[name]
        identical = losses == reference_losses and all(
            np.array_equal(p, q) for pair, ref in zip(parameters, reference_parameters) for p, q in zip(pair, ref)
        )
        rel = relative(losses[-1], reference_losses[-1])
        note = "bit-identical to np.sum" if identical else f"not bit-identical (final loss rel {rel:.1e})"
        med = _timing.median(values)
        print(f"  {name:<24} {med:6.3f} s  {1000 * med / epochs:6.2f} ms/epoch  {med / base:5.2f}×  {note}")


def column_sum_generality(rows: int) -> None:
    """Is an alternative bit-identical to np.sum in general, or only on the arrays above?"""
    rng = np.random.default_rng(12345)
    ones = np.ones(rows)
    print(f"bit-identical to np.sum(G, axis=0) on 20 random {rows}×k float64 arrays per k?")
    for k in (1, 2, 4, 8, 16):
        einsum_same = ones_same = 0
        for _ in range(20):
            G = rng.standard_normal((rows, k)) * 10.0 ** rng.integers(-3, 4) + rng.uniform(-1, 1, k)
            reference = np.sum(G, axis=0)
            einsum_same += np.array_equal(np.einsum("ij->j", G), reference)
            ones_same += np.array_equal(ones @ G, reference)
        print(f"  k = {k:>2}: einsum {einsum_same:>2}/20, ones @ G {ones_same:>2}/20")


def column_sum_alternatives(run, X, y, torch) -> None:
    """The bias-gradient column sum in isolation, on the G each layer really receives."""
    network = run.network
    network.set_parameters(copies(run.initial_parameters))
    network.step(X, y, LEARNING_RATE)
    N = X.shape[0]
    ones = np.ones(N)
    ones_row = np.ones((1, N))
    alternatives = {
        "np.sum(G, axis=0, keepdims=True)": lambda G: np.sum(G, axis=0, keepdims=True),
        "G.sum(0, keepdims=True)": lambda G: G.sum(0, keepdims=True),
        "np.add.reduce(G, axis=0, keepdims=True)": lambda G: np.add.reduce(G, axis=0, keepdims=True),
        "np.ones(N) @ G": lambda G: (np.ones(N) @ G)[None, :],
        "ones @ G (ones made once)": lambda G: (ones @ G)[None, :],
        "np.dot(ones_row, G) (1×N made once)": lambda G: np.dot(ones_row, G),
        "np.einsum('ij->j', G)": lambda G: np.einsum("ij->j", G)[None, :],
    }
    if torch is not None:
        alternatives["torch G.sum(0) (for reference)"] = lambda G: torch.from_numpy(G).sum(0, keepdim=True).numpy()

    print("column sum of G in isolation (per call: median of 5 × ≥0.2 s batches); ✓ = bit-identical to np.sum here:")
    for layer in reversed(network.layers):
        G = layer.incoming_gradient
        reference = np.sum(G, axis=0, keepdims=True)
        print(f"  G {G.shape[0]}×{G.shape[1]} ({'C' if G.flags.c_contiguous else 'F'}-ordered):")
        for label, fn in alternatives.items():
            result = fn(G)
            timer = timeit.Timer(lambda fn=fn, G=G: fn(G))
            number, _ = timer.autorange()
            per_call = _timing.median(timer.repeat(repeat=5, number=number)) / number
            same = result.shape == reference.shape and np.array_equal(result, reference)
            if same:
                note = "✓ bit-identical"
            else:
                rel = float(np.max(np.abs(result - reference) / np.maximum(np.abs(reference), 1e-300)))
                note = f"✗ differs, max rel {rel:.1e}"
            print(f"    {label:<40} {1e6 * per_call:9.1f} µs   {note}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds (default {REPEATS})")
    parser.add_argument("--samples", type=int, default=SAMPLES, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="also profile scratchnet and time column-sum variants")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    args = parser.parse_args(argv)

    torch = _timing.import_torch()
    for line in _timing.machine_lines(torch) + _timing.blas_lines(torch):
        print(line)
    print(
        f"workload: {args.samples:,} samples × 4-{'-'.join(map(str, HIDDEN))}-1 × {args.epochs} epochs, "
        f"float64, η = {LEARNING_RATE}; {args.repeats} round-robin rounds after 1 warm-up, median reported"
    )
    if torch is None:
        print("PyTorch column skipped: torch is not installed (pip install -e '.[bench]')")
    print()

    run, X, y = build(args.samples)
    cases = make_cases(run, X, y, torch, args.epochs)
    times, results = _timing.round_robin(cases, args.repeats)

    print_table(times, args.epochs)
    print()
    agree = check_agreement(results, args.epochs)
    print()
    goals = print_goals(times, torch)

    if args.profile:
        print()
        profile_scratchnet(run, X, y, args.epochs)
        print()
        line_timings(X, y, copies(run.initial_parameters), LEARNING_RATE, args.epochs)
        print()
        column_sum_alternatives(run, X, y, torch)
        print()
        column_sum_generality(args.samples)
        print()
        what_if_loops(run, X, y, args.epochs)

    if not agree:
        print("the loops did not reach the same loss: the timings are not comparable", file=sys.stderr)
        return 1
    return 1 if args.strict and not goals else 0


if __name__ == "__main__":
    sys.exit(main())
