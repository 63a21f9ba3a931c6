"""A nonlinear classifier's training loop next to the same math written plainly, and next to PyTorch.

    .venv/bin/python benchmarks/train_speed_relu.py     # the table (about a minute)

Workload: the spiral data (3 classes), 100,000 samples, a 2-64-64-3 network with ReLU after each hidden
layer, softmax with cross-entropy, 20 epochs of full-batch gradient descent, float64, η = 0.5, one thread.

  scratchnet.train   the project's loop (operations as objects, per-epoch divergence check)
  NumPy loop         the same math as straight-line NumPy, no classes: what the loop could cost at best
  PyTorch idiomatic  nn.Sequential(Linear, ReLU, Linear, ReLU, Linear), CrossEntropyLoss, autograd,
                     optim.SGD: how a person would write it in PyTorch (skipped without torch)

Only the epoch loops are timed; loops take turns (round-robin) and medians are reported. PyTorch runs in a
process of its own beside the NumPy loop (once loaded, it slows the loops that run after it), and its ratio
to the NumPy loop is reported from that process.
Goal: scratchnet at most 1.25× the NumPy loop; the PyTorch ratio is reported.
"""

from __future__ import annotations

import subprocess
import sys

import _timing  # noqa: I001  (first: pins BLAS threads before numpy loads)
import numpy as np

from backprop_tui.config import RunConfig, build_run
from scratchnet import train

SAMPLES = 100_000
EPOCHS = 20
LEARNING_RATE = 0.5
HIDDEN = (64, 64)
REPEATS = 5
RATIO_GOAL = 1.25


def numpy_loop(X, y, parameters, learning_rate, epochs):
    (W1, b1), (W2, b2), (W3, b3) = parameters
    losses = []
    n = X.shape[0]
    for _ in range(epochs):
        Z1 = np.dot(X, W1) + b1
        A1 = np.maximum(Z1, 0)
        Z2 = np.dot(A1, W2) + b2
        A2 = np.maximum(Z2, 0)
        Z3 = np.dot(A2, W3) + b3
        shifted = Z3 - np.max(Z3, axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        sums = np.sum(exponentials, axis=1, keepdims=True)
        P = exponentials / sums
        log_P = shifted - np.log(sums)
        losses.append(float(np.mean(-np.sum(y * log_P, axis=1, keepdims=True))))
        G = (P - y) / n
        dW3, db3 = np.dot(A2.T, G), np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W3.T) * (Z2 > 0)
        dW2, db2 = np.dot(A1.T, G), np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W2.T) * (Z1 > 0)
        dW1, db1 = np.dot(X.T, G), np.sum(G, axis=0, keepdims=True)
        G = np.dot(G, W1.T)
        W1, b1 = W1 - learning_rate * dW1, b1 - learning_rate * db1
        W2, b2 = W2 - learning_rate * dW2, b2 - learning_rate * db2
        W3, b3 = W3 - learning_rate * dW3, b3 - learning_rate * db3
    return losses


def torch_case(torch, X, y, parameters, learning_rate, epochs):
    model = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 3)).double()
    with torch.no_grad():
        for linear, (W, b) in zip([model[0], model[2], model[4]], parameters, strict=True):
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0].copy()))
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y.argmax(axis=1))
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_function = torch.nn.CrossEntropyLoss()

    def run():
        losses = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = loss_function(model(inputs), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    return run


def workload():
    run = build_run(RunConfig(dataset="spiral", samples=SAMPLES, hidden=HIDDEN, activations=("relu", "relu"),
                              learning_rate=LEARNING_RATE))
    return run, run.dataset.X, run.dataset.y, run.network.parameters


def table(times: dict[str, list[float]]) -> float:
    base = _timing.median(times["NumPy loop"])
    print(f"\n{'loop':<20}{'median s':>10}{'ms/epoch':>10}{'× NumPy loop':>14}")
    for name, values in times.items():
        seconds = _timing.median(values)
        print(f"{name:<20}{seconds:>10.3f}{1000 * seconds / EPOCHS:>10.1f}{seconds / base:>13.2f}×")
    return base


def torch_round() -> int:
    """In a process of its own: PyTorch beside the NumPy loop. Loaded and run in the main process, torch slowed
    the loop that ran after it (measured: scratchnet 1.15× the NumPy loop without torch in the process, 1.30×
    with it), so the two NumPy loops are timed where torch never loads."""
    torch = _timing.import_torch()
    if torch is None:
        print("PyTorch column skipped: torch is not installed (pip install -e '.[bench]')")
        return 0
    _, X, y, initial = workload()
    times, results = _timing.round_robin({
        "NumPy loop": lambda: (lambda: numpy_loop(X, y, initial, LEARNING_RATE, EPOCHS)),
        "PyTorch idiomatic": lambda: torch_case(torch, X, y, initial, LEARNING_RATE, EPOCHS),
    }, REPEATS)
    print("\n".join(_timing.blas_lines(torch)))
    table(times)
    print(f"final loss: PyTorch {results['PyTorch idiomatic'][-1]:.12f}, NumPy loop {results['NumPy loop'][-1]:.12f}")
    return 0


def main() -> int:
    if "--torch" in sys.argv:
        return torch_round()
    print("\n".join(_timing.machine_lines() + _timing.blas_lines()))
    run, X, y, initial = workload()
    print(f"workload: {SAMPLES:,} samples × 2-64-64-3, ReLU, softmax cross-entropy, {EPOCHS} epochs, float64, "
          f"η = {LEARNING_RATE}; {REPEATS} round-robin rounds after 1 warm-up, medians")

    def ours():
        network = run.network.with_parameters(initial)  # set up outside the timing
        return lambda: train(network, X, y, LEARNING_RATE, EPOCHS).losses

    times, results = _timing.round_robin({
        "scratchnet.train": ours,
        "NumPy loop": lambda: (lambda: numpy_loop(X, y, initial, LEARNING_RATE, EPOCHS)),
    }, REPEATS)
    base = table(times)
    mine, plain = results["scratchnet.train"], results["NumPy loop"]
    print(f"final loss: scratchnet {mine[-1]:.12f}, NumPy loop {plain[-1]:.12f}, "
          f"the same to {max(abs(a - b) for a, b in zip(mine, plain, strict=True)):.1e}")
    ratio = _timing.median(times["scratchnet.train"]) / base
    print(f"goal: scratchnet ≤ {RATIO_GOAL}× the NumPy loop   {ratio:.2f}×  {'PASS' if ratio <= RATIO_GOAL else 'FAIL'}")
    print("\nPyTorch, in a process of its own, beside the NumPy loop again:")
    sys.stdout.flush()
    subprocess.run([sys.executable, __file__, "--torch"], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
