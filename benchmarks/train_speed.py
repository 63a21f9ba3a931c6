"""How fast is scratchnet's training loop next to the same math written plainly, and next to PyTorch?

    .venv/bin/python benchmarks/train_speed.py              # the table (about 90 s)
    .venv/bin/python benchmarks/train_speed.py --profile    # plus where the fast path's time goes

Workload: the generated house prices, 100,000 samples, a 4-8-4-1 network, mean squared error, float64,
η = 0.01, one thread (OMP/OpenBLAS/MKL_NUM_THREADS=1, torch.set_num_threads(1)):

  full batch     60 epochs of full-batch gradient descent (the article's run)
  batches of 32  3 epochs of 3,125 iterations over scratchnet's shuffles, gradient descent, and Adam

Loops, each doing the same work per epoch:

  scratchnet     `scratchnet.train`: run_epochs on the fast path (scratchnet/fast)
  NumPy loop     the article's lines straight-line, no classes (it also makes dX₁, as the article does); for
                 batches, the same batches (X[rows], y[rows]) and, like scratchnet, each epoch's loss over
                 every row before it starts and the running loss of its batches
  PyTorch        idiomatic: nn.Sequential of nn.Linear, nn.MSELoss, autograd, optim.SGD, the same initial
                 weights and the same batches (skipped when torch is not installed: `pip install -e '.[bench]'`)

Only the epoch loops are timed: data, networks and tensors are built beforehand, and every repetition starts
from the same initial parameters. The loops take turns (round-robin, rotating who goes first); medians.
PyTorch runs in a process of its own, beside the NumPy loop again: loaded in the same process it slowed the
loops that ran after it (README, "Traps we measured"). Its ratios to scratchnet go through the NumPy loop,
timed in both processes: scratchnet ÷ PyTorch = (scratchnet ÷ NumPy loop) ÷ (PyTorch ÷ NumPy loop).

The memory-traffic floor: the bytes the fast path's operations must read and write at the least (each
streaming its operands and its result once), over a measured copy bandwidth, both from memory (a 256 MB
copy) and from the cache (a copy as large as the largest matrix, which is what each operation streams).

Goals (issue #17): full batch ≤ 0.75× the NumPy loop with bit-identical results, ≤ 1.0× PyTorch; batches of
32 ≤ 1.1× the NumPy loop and below PyTorch; Adam at batch 32 ≤ 1.3× gradient descent at batch 32.
Exit status: 1 if scratchnet and the NumPy loop do not give the same numbers; with --strict, also 1 if a
goal fails.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import time

import _timing  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

import scratchnet
from backprop_tui.config import RunConfig, build_run
from scratchnet.fast import FastStep
from scratchnet.seeding import shuffle_order
from scratchnet.training import Batches

SAMPLES = 100_000
EPOCHS = 60
BATCH_EPOCHS = 3
BATCH = 32
SEED = 0
LEARNING_RATE = 0.01
HIDDEN = (8, 4)
REPEATS = 5
GOALS = {"full_numpy": 0.75, "full_torch": 1.0, "batch_numpy": 1.1, "batch_torch": 1.0, "adam_sgd": 1.3}

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


def numpy_batch_loop(X: np.ndarray, y: np.ndarray, parameters: Parameters, learning_rate: float, epochs: int,
                     size: int):
    """The same lines over batches of `size` rows, scratchnet's shuffles; each epoch's loss over every row first,
    and the running loss of its batches, as scratchnet's epochs keep them."""
    (W1, b1), (W2, b2), (W3, b3) = parameters
    losses, running = [], []
    n = X.shape[0]
    for epoch in range(epochs):
        losses.append(float(np.mean((np.dot(np.dot(np.dot(X, W1) + b1, W2) + b2, W3) + b3 - y) ** 2)))
        order = shuffle_order(SEED, epoch, n)
        total = 0.0
        for start in range(0, n, size):
            rows = order[start:start + size]
            Xb, yb = X[rows], y[rows]
            Z1 = np.dot(Xb, W1) + b1
            Z2 = np.dot(Z1, W2) + b2
            logits = np.dot(Z2, W3) + b3
            error = logits - yb
            total += float(np.mean(error**2))
            G = (2 * error) / error.size
            dW3, db3, G = np.dot(Z2.T, G), np.sum(G, axis=0, keepdims=True), np.dot(G, W3.T)
            dW2, db2, G = np.dot(Z1.T, G), np.sum(G, axis=0, keepdims=True), np.dot(G, W2.T)
            dW1, db1, G = np.dot(Xb.T, G), np.sum(G, axis=0, keepdims=True), np.dot(G, W1.T)
            W1, b1 = W1 - learning_rate * dW1, b1 - learning_rate * db1
            W2, b2 = W2 - learning_rate * dW2, b2 - learning_rate * db2
            W3, b3 = W3 - learning_rate * dW3, b3 - learning_rate * db3
        running.append(total / -(-n // size))
    return losses, [(W1, b1), (W2, b2), (W3, b3)]


def torch_model(torch, parameters: Parameters):
    model = torch.nn.Sequential(*(torch.nn.Linear(*W.shape) for W, _ in parameters)).double()
    with torch.no_grad():
        for linear, (W, b) in zip(model, parameters, strict=True):
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0].copy()))
    return model


def torch_full(torch, X, y, parameters: Parameters, learning_rate: float, epochs: int):
    """Idiomatic PyTorch, full batch: zero_grad, loss, backward, step."""
    model = torch_model(torch, parameters)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_function = torch.nn.MSELoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)

    def run():
        losses = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_function(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    return run


def torch_batches(torch, X, y, parameters: Parameters, learning_rate: float, epochs: int, size: int):
    """Idiomatic PyTorch over the same batches, with the epoch's loss over every row and the running loss."""
    model = torch_model(torch, parameters)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_function = torch.nn.MSELoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y)
    n = X.shape[0]

    def run():
        losses = []
        for epoch in range(epochs):
            with torch.no_grad():
                losses.append(loss_function(model(inputs), targets).item())
            order = torch.from_numpy(shuffle_order(SEED, epoch, n))
            total = 0.0
            for start in range(0, n, size):
                rows = order[start:start + size]
                optimizer.zero_grad()
                loss = loss_function(model(inputs[rows]), targets[rows])
                loss.backward()
                optimizer.step()
                total += loss.item()
        return losses

    return run


# --------------------------------------------------------------------------- the two processes


def workload(samples: int, optimizer: str = "sgd"):
    run = build_run(RunConfig(samples=samples, hidden=HIDDEN, learning_rate=LEARNING_RATE, optimizer=optimizer))
    X, y = run.dataset.X, run.dataset.y
    assert run.sizes == (4, *HIDDEN, 1) and X.dtype == y.dtype == np.float64
    return run, X, y


def copies(parameters: Parameters) -> Parameters:
    return [(W.copy(), b.copy()) for W, b in parameters]


def ours_case(run, X, y, epochs: int, batches: Batches):
    def case():
        network = run.network.with_parameters(run.initial_parameters)  # set up outside the timing
        assert FastStep.supports(network, X, y), "the fast path does not apply"

        def go():
            result = scratchnet.train(network, X, y, LEARNING_RATE, epochs, batches=batches)
            return result.losses, network.parameters

        return go

    return case


def main_round(samples: int, repeats: int):
    """scratchnet and the NumPy loops, in this process (torch never loads here)."""
    run, X, y = workload(samples)
    adam, _, _ = workload(samples, "adam")
    initial = run.initial_parameters
    cases = {
        "full: scratchnet": ours_case(run, X, y, EPOCHS, Batches()),
        "full: NumPy loop": lambda: (lambda: numpy_loop(X, y, copies(initial), LEARNING_RATE, EPOCHS)),
        "batch 32, SGD: scratchnet": ours_case(run, X, y, BATCH_EPOCHS, Batches(BATCH, SEED)),
        "batch 32, SGD: NumPy loop": lambda: (
            lambda: numpy_batch_loop(X, y, copies(initial), LEARNING_RATE, BATCH_EPOCHS, BATCH)),
        "batch 32, Adam: scratchnet": ours_case(adam, X, y, BATCH_EPOCHS, Batches(BATCH, SEED)),
    }
    return _timing.round_robin(cases, repeats)


def torch_round(samples: int, repeats: int) -> int:
    """In a process of its own: PyTorch beside the NumPy loops; prints the medians as JSON."""
    torch = _timing.import_torch()
    if torch is None:
        print(json.dumps(None))
        return 0
    run, X, y = workload(samples)
    initial = run.initial_parameters
    cases = {
        "full: NumPy loop": lambda: (lambda: numpy_loop(X, y, copies(initial), LEARNING_RATE, EPOCHS)[0]),
        "full: PyTorch": lambda: torch_full(torch, X, y, initial, LEARNING_RATE, EPOCHS),
        "batch 32: NumPy loop": lambda: (
            lambda: numpy_batch_loop(X, y, copies(initial), LEARNING_RATE, BATCH_EPOCHS, BATCH)[0]),
        "batch 32: PyTorch": lambda: torch_batches(torch, X, y, initial, LEARNING_RATE, BATCH_EPOCHS, BATCH),
    }
    times, results = _timing.round_robin(cases, repeats)
    print(json.dumps({"medians": {name: _timing.median(values) for name, values in times.items()},
                      "losses": {name: list(losses) for name, losses in results.items()},
                      "lines": _timing.blas_lines(torch)}))
    return 0


# --------------------------------------------------------------------------- the memory-traffic floor


def fast_path_traffic(rows: int, sizes: tuple[int, ...], itemsize: int) -> int:
    """Bytes the fast path's full-batch epoch reads and writes at the least: each of its operations streams its
    operands and its result once (the parameters, a few hundred bytes, left out)."""
    n, moved = rows * itemsize, 0
    for n_in, n_out in zip(sizes, sizes[1:]):  # forward: Z = X·W, then Z += b
        moved += n * (n_in + n_out) + 2 * n * n_out
    k = sizes[-1]
    moved += n * k * (3 + 2 + 1 + 2 + 2)  # error = Z − y, error², its mean, 2·error, /N
    for number, (n_in, n_out) in reversed(list(enumerate(zip(sizes, sizes[1:])))):
        moved += n * (n_in + n_out) + n * n_out  # dW = Xᵀ·G, db = Σᵢ Gᵢ
        if number > 0:
            moved += n * (n_out + n_in)  # dX = G·Wᵀ (not for the first layer: skipped)
    return moved


def copy_bandwidth(nbytes: int, repeats: int) -> float:
    """Bytes per second of np.copyto, counting the read and the write; the best of `repeats` copies in a row
    (no garbage collection between them: walking the heap would push the arrays out of the cache)."""
    source = np.ones(nbytes // 8)
    target = np.zeros_like(source)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best


# --------------------------------------------------------------------------- report


def same(a, b) -> bool:
    losses_a, parameters_a = a
    losses_b, parameters_b = b
    return losses_a == losses_b and all(np.array_equal(p, q) for pair_a, pair_b in zip(parameters_a, parameters_b)
                                        for p, q in zip(pair_a, pair_b, strict=True))


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), np.finfo(np.float64).tiny)


def verdict(ratio: float | None, goal: float, strict_below: bool = False) -> str:
    if ratio is None:
        return "skipped"
    met = ratio < goal if strict_below else ratio <= goal
    return "met" if met else "NOT MET"


def report(times, results, torch_result, samples: int) -> tuple[bool, bool]:
    median = {name: _timing.median(values) for name, values in times.items()}
    per_epoch = {name: 1000 * seconds / (EPOCHS if name.startswith("full") else BATCH_EPOCHS)
                 for name, seconds in median.items()}
    print(f"{'loop':<30}{'median s':>10}{'ms/epoch':>10}")
    for name in median:
        print(f"{name:<30}{median[name]:>10.3f}{per_epoch[name]:>10.2f}")

    full_identical = same(results["full: scratchnet"], results["full: NumPy loop"])
    batch_identical = same(results["batch 32, SGD: scratchnet"], results["batch 32, SGD: NumPy loop"])
    adam_losses = results["batch 32, Adam: scratchnet"][0]
    print(f"\nfull batch: scratchnet and the NumPy loop {'bit-identical' if full_identical else 'DIFFER'} "
          f"(every epoch's loss and the final parameters; final loss {results['full: scratchnet'][0][-1]:.15g})")
    print(f"batch 32: scratchnet and the NumPy loop {'bit-identical' if batch_identical else 'DIFFER'} "
          f"(every epoch's loss and the final parameters)")
    print(f"batch 32, Adam: losses {', '.join(f'{loss:.6g}' for loss in adam_losses)}")

    full_numpy = median["full: scratchnet"] / median["full: NumPy loop"]
    batch_numpy = median["batch 32, SGD: scratchnet"] / median["batch 32, SGD: NumPy loop"]
    adam_sgd = median["batch 32, Adam: scratchnet"] / median["batch 32, SGD: scratchnet"]
    full_torch = batch_torch = None
    if torch_result is not None:
        theirs = torch_result["medians"]
        full_torch_numpy = theirs["full: PyTorch"] / theirs["full: NumPy loop"]
        batch_torch_numpy = theirs["batch 32: PyTorch"] / theirs["batch 32: NumPy loop"]
        full_torch, batch_torch = full_numpy / full_torch_numpy, batch_numpy / batch_torch_numpy
        print("\nPyTorch, in a process of its own, beside the NumPy loops again:")
        for line in torch_result["lines"]:
            print(f"  {line}")
        for name, seconds in theirs.items():
            epochs = EPOCHS if name.startswith("full") else BATCH_EPOCHS
            print(f"  {name:<28}{seconds:>10.3f} s{1000 * seconds / epochs:>10.2f} ms/epoch")
        print(f"  PyTorch ÷ NumPy loop: full batch {full_torch_numpy:.2f}×, batch 32 {batch_torch_numpy:.2f}×")
        losses = torch_result["losses"]
        print(f"  final loss, PyTorch against the NumPy loop: full batch rel "
              f"{relative(losses['full: PyTorch'][-1], losses['full: NumPy loop'][-1]):.1e}, batch 32 rel "
              f"{relative(losses['batch 32: PyTorch'][-1], losses['batch 32: NumPy loop'][-1]):.1e}")

    sizes = (4, *HIDDEN, 1)
    traffic = fast_path_traffic(samples, sizes, 8)
    from_memory = copy_bandwidth(256 * 2**20, 5)
    from_cache = copy_bandwidth(samples * max(sizes) * 8, 30)
    ours_ms = per_epoch["full: scratchnet"]
    memory_floor, cache_floor = 1000 * traffic / from_memory, 1000 * traffic / from_cache
    print(f"\nmemory traffic of the fast path's full-batch epoch: {traffic / 1e6:.1f} MB read and written at the least")
    print(f"  copy bandwidth from memory (256 MB): {from_memory / 1e9:.1f} GB/s → floor {memory_floor:.2f} ms/epoch")
    print(f"  copy bandwidth from the cache ({samples * max(sizes) * 8 / 2**20:.1f} MB): {from_cache / 1e9:.1f} GB/s "
          f"→ floor {cache_floor:.2f} ms/epoch")
    print(f"  scratchnet: {ours_ms:.2f} ms/epoch = {ours_ms / memory_floor:.2f}× the memory floor, "
          f"{ours_ms / cache_floor:.2f}× the cache floor")

    rows = [
        ("full batch ÷ NumPy loop", full_numpy, GOALS["full_numpy"], False),
        ("full batch ÷ PyTorch", full_torch, GOALS["full_torch"], False),
        ("batch 32 ÷ NumPy loop (same batches)", batch_numpy, GOALS["batch_numpy"], False),
        ("batch 32 ÷ PyTorch (same batches)", batch_torch, GOALS["batch_torch"], True),
        ("Adam ÷ SGD, batch 32", adam_sgd, GOALS["adam_sgd"], False),
    ]
    print(f"\n{'ratio (scratchnet, one run)':<40}{'measured':>10}  {'goal':<8}")
    met = True
    for label, ratio, goal, below in rows:
        shown = "—" if ratio is None else f"{ratio:.2f}×"
        verdict_text = verdict(ratio, goal, below)
        met &= verdict_text != "NOT MET"
        print(f"{label:<40}{shown:>10}  {('< ' if below else '≤ ') + f'{goal:g}×':<8}  {verdict_text}")
    return full_identical and batch_identical, met


# --------------------------------------------------------------------------- profile


def profile(samples: int) -> None:
    """cProfile of the fast path at batch 32, and the full-batch step's operations one by one."""
    run, X, y = workload(samples)
    network = run.network.with_parameters(run.initial_parameters)
    profiler = cProfile.Profile()
    profiler.enable()
    scratchnet.train(network, X, y, LEARNING_RATE, 1, batches=Batches(BATCH, SEED))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    print("cProfile of one epoch at batch 32, by own time (NumPy's calls count in their callers):")
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    for line in lines[start:]:
        if line.strip():
            print("  " + line.replace(str(_timing._ROOT) + "/", ""))

    step = FastStep(run.network.with_parameters(run.initial_parameters))
    step.start()
    step(X, y, LEARNING_RATE)
    plan = step.plans[X.shape[0]]
    print("\nthe full-batch fast step, operation by operation (best of 20):")

    def best(label: str, action) -> None:
        seconds = min(_timing.time_once(action)[0] for _ in range(20))
        print(f"  {label:<36}{1e6 * seconds:>9.1f} µs")

    values = [X]
    for number, operation in enumerate(plan.forward, 1):
        value = values[-1]
        best(f"forward {number} ({type(operation).__name__})", lambda o=operation, v=value: o.forward(v, step.parameters))
        values.append(operation.forward(value, step.parameters))
    best("loss", lambda: plan.head.compute_loss(values[-1], y))
    gradients = [plan.head.backward()]
    best("loss gradient", plan.head.backward)
    for number, operation in zip(range(len(plan.backward), 0, -1), plan.backward):
        best(f"backward {number} ({type(operation).__name__})",
             lambda o=operation, g=gradients[-1]: o.backward(g, step.parameters))
        gradients.append(operation.backward(gradients[-1], step.parameters))
    best("update", lambda: step.rule.update(step.theta, step.gradient, LEARNING_RATE))


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds (default {REPEATS})")
    parser.add_argument("--samples", type=int, default=SAMPLES, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="also show where the fast path's time goes")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument("--torch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch:
        return torch_round(args.samples, args.repeats)

    for line in _timing.machine_lines() + _timing.blas_lines():
        print(line)
    print(f"workload: {args.samples:,} samples × 4-{'-'.join(map(str, HIDDEN))}-1, float64, η = {LEARNING_RATE}; "
          f"full batch × {EPOCHS} epochs, batches of {BATCH} × {BATCH_EPOCHS} epochs; {args.repeats} round-robin "
          "rounds after 1 warm-up, medians\n")
    started = time.perf_counter()
    times, results = main_round(args.samples, args.repeats)
    sys.stdout.flush()
    torch_process = subprocess.run([sys.executable, __file__, "--torch", "--samples", str(args.samples),
                                    "--repeats", str(args.repeats)], check=True, capture_output=True, text=True)
    torch_result = json.loads(torch_process.stdout.strip().splitlines()[-1])
    if torch_result is None:
        print("PyTorch skipped: torch is not installed (pip install -e '.[bench]')")
    agree, met = report(times, results, torch_result, args.samples)
    if args.profile:
        print()
        profile(args.samples)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if not agree:
        print("scratchnet and the NumPy loop did not give the same numbers", file=sys.stderr)
        return 1
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
