"""Continue until a condition holds: the first iteration where it holds and not one before, against a plain NumPy
training loop that evaluates each condition on its own; where the debugger opens then."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_tui.config import RunConfig, build_run
from scratchnet import TapeRecorder
from scratchnet import trail as trail_module
from scratchnet.breaking import Breaker, run_until, stop_place
from scratchnet.conditions import parse_condition
from scratchnet.seeding import shuffle_order
from scratchnet.trail import squared_sum
from scratchnet.training import batch, run_epochs
from tests.reference import mlp_gradients

EPOCHS = 12


def reference_trace(config: RunConfig) -> list[dict]:
    """Every iteration of plain SGD with mean squared error, written out here: its epoch's loss over all rows, its
    batch loss, ‖dWₗ‖ and ‖ΔW₁‖/‖W₁‖, and whether anything was non-finite."""
    run = build_run(config)
    X, y = run.dataset.X, run.dataset.y
    parameters = [(W.copy(), b.copy()) for W, b in run.initial_parameters]
    activations = [*config.activations, "none"]
    size = config.batch_size or X.shape[0]
    trace = []
    with np.errstate(all="ignore"):
        _train(trace, config, X, y, parameters, activations, size)
    return trace


def _train(trace, config, X, y, parameters, activations, size) -> None:
    for epoch in range(EPOCHS):
        epoch_loss, _ = mlp_gradients(parameters, activations, X, y)
        order = np.arange(X.shape[0]) if size >= X.shape[0] else shuffle_order(config.seed, epoch, X.shape[0])
        for iteration, start in enumerate(range(0, X.shape[0], size)):
            rows = order[start:start + size]
            loss, gradients = mlp_gradients(parameters, activations, X[rows], y[rows])
            new = [(W - config.learning_rate * dW, b - config.learning_rate * db)
                   for (W, b), (dW, db) in zip(parameters, gradients)]
            finite = math.isfinite(loss) and all(np.isfinite(a).all() for pair in [*gradients, *new] for a in pair)
            trace.append({
                "epoch": epoch, "iteration": iteration, "loss": epoch_loss, "finite": finite,
                "norm_dW2": float(np.linalg.norm(gradients[1][0])),
                "ratio_W1": float(np.linalg.norm(new[0][0] - parameters[0][0]) / np.linalg.norm(parameters[0][0])),
            })
            parameters = new


def first_hit(trace: list[dict], holds) -> tuple[int, int] | None:
    losses = {entry["epoch"]: entry["loss"] for entry in trace}
    for entry in trace:
        if holds(entry, losses.get(entry["epoch"] - 1)):
            return entry["epoch"], entry["iteration"]
    return None


def between(values: list[float], index: int) -> float:
    """A threshold that `values[index]` exceeds and no earlier value reaches, half way between them."""
    assert values[index] > max(values[:index], default=-math.inf)
    return (values[index] + max(values[:index], default=values[index] - 1)) / 2


def breaker_hit(config: RunConfig, text: str, after: tuple[int, int] = (-1, -1)) -> tuple[int, int] | None:
    run = build_run(config)
    breaker = Breaker([parse_condition(text)], run.dataset.X, run.dataset.y, config.learning_rate,
                      batches=config.batches, start_parameters=run.network.parameters, after=after)
    ran = run_until(run.network, run.dataset.X, run.dataset.y, config.learning_rate, 0, EPOCHS, breaker,
                    batches=config.batches)
    if breaker.hit is None:
        return None
    stopped = breaker.stopped
    assert stopped is not None and (stopped.epoch, stopped.iteration) == (breaker.hit.epoch, breaker.hit.iteration)
    assert ran.stopped_at is not None and ran.stopped_at[0] == breaker.hit.epoch
    return breaker.hit.epoch, breaker.hit.iteration


CONFIGS = {
    "full batch": RunConfig(samples=60, learning_rate=0.01),
    "batches of 16": RunConfig(samples=60, learning_rate=0.01, batch_size=16),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_each_kind_stops_where_the_reference_first_sees_it_hold(name):
    config = CONFIGS[name]
    trace = reference_trace(config)
    losses = [entry["loss"] for entry in trace]
    late = len(trace) * 2 // 3
    norms = [entry["norm_dW2"] for entry in trace]
    ratios = [entry["ratio_W1"] for entry in trace]
    peak_norm = int(np.argmax(norms))
    peak_ratio = int(np.argmax(ratios))
    low = (losses[late] + min(losses[:late])) / 2 if losses[late] < min(losses[:late]) else losses[late] * 0.999
    cases = {
        f"loss < {low!r}": lambda e, p: e["loss"] < low,
        f"norm(dW2) > {between(norms, peak_norm)!r}": lambda e, p: e["norm_dW2"] > between(norms, peak_norm),
        f"ratio(W1) > {between(ratios, peak_ratio)!r}": lambda e, p: e["ratio_W1"] > between(ratios, peak_ratio),
        "epoch == 7": lambda e, p: e["epoch"] == 7,
        "loss_up": lambda e, p: p is not None and e["loss"] > p,
        "epoch >= 3 and (nan or norm(dW2) < 1e9)": lambda e, p: e["epoch"] >= 3,
        "nan": lambda e, p: not e["finite"],
    }
    for text, holds in cases.items():
        assert breaker_hit(config, text) == first_hit(trace, holds), text
    if config.batches.count(60) > 1:  # a continue from the middle of an epoch: the first batch after it that holds
        assert breaker_hit(config, "epoch >= 2", after=(2, 1)) == (2, 2)
        assert breaker_hit(config, "epoch >= 2", after=(2, 3)) == (3, 0)


def test_nan_and_loss_up_stop_where_a_diverging_run_first_shows_them():
    config = RunConfig(samples=60, learning_rate=5.0)
    trace = reference_trace(config)
    expected = first_hit(trace, lambda e, p: not e["finite"])
    assert expected is not None and expected[0] > 1  # it takes a few epochs to overflow
    assert breaker_hit(config, "nan") == expected
    assert breaker_hit(config, "loss_up") == first_hit(trace, lambda e, p: p is not None and e["loss"] > p)


def test_a_classifier_stops_at_the_accuracy_of_its_epoch():
    config = RunConfig(dataset="circle", samples=200, hidden=(8, 8), activations=("relu", "relu"),
                       learning_rate=0.5, batch_size=50, test_fraction=0.25)
    run = build_run(config)
    held = run.dataset.held_out
    breaker = Breaker([parse_condition("acc >= 0.9")], run.dataset.X, run.dataset.y, config.learning_rate,
                      batches=config.batches, start_parameters=run.network.parameters)
    ran = run_until(run.network, run.dataset.X, run.dataset.y, config.learning_rate, 0, 200, breaker,
                    batches=config.batches, held_out=held, accuracy=True)
    assert breaker.hit is not None and breaker.hit.iteration == 0  # an epoch's accuracy is known at its start
    whole = build_run(config)
    every = run_epochs(whole.network, whole.dataset.X, whole.dataset.y, config.learning_rate, 0, breaker.hit.epoch + 1,
                       batches=config.batches, held_out=whole.dataset.held_out, accuracy=True)
    assert every.accuracies[-1] >= 0.9 and max(every.accuracies[:-1]) < 0.9
    assert ran.stopped_at is not None and ran.stopped_at[0] == breaker.hit.epoch
    assert "acc" in breaker.hit.describe(4) and f"epoch {breaker.hit.epoch}, batch 1/4" in breaker.hit.describe(4)


def test_a_matrix_the_fast_path_keeps_no_copy_of_is_read_from_a_replay_with_the_same_numbers():
    config = RunConfig(samples=40, optimizer="adam", learning_rate=0.05)
    run = build_run(config)
    breaker = Breaker([parse_condition("norm(mhatW1) > 1e9 or norm(dX1) > 1e9")], run.dataset.X, run.dataset.y,
                      config.learning_rate)
    steps = []
    run_epochs(run.network, run.dataset.X, run.dataset.y, config.learning_rate, 0, 1,
               after_iteration=lambda step: steps.append(step) or breaker.check_iteration(step))
    assert breaker.hit is None and len(steps) == 1
    again = build_run(config)
    recorder = TapeRecorder(0)
    again.network.step(again.dataset.X, again.dataset.y, config.learning_rate, record=recorder)
    tape = breaker.replay(steps[0])
    assert np.array_equal(tape.matrix("m̂W1"), recorder.tape.matrix("m̂W1"))
    assert np.array_equal(tape.matrix("dX1"), recorder.tape.matrix("dX1"))


def test_nan_opens_at_the_first_phase_that_made_a_non_finite_value_with_that_cell():
    config = RunConfig(samples=60, learning_rate=5.0)
    run = build_run(config)
    X, y = run.dataset.X, run.dataset.y
    breaker = Breaker([parse_condition("nan")], X, y, config.learning_rate, start_parameters=run.network.parameters)
    run_until(run.network, X, y, config.learning_rate, 0, 50, breaker)
    hit = breaker.hit
    assert hit is not None
    start = build_run(config)
    run_epochs(start.network, X, y, config.learning_rate, 0, hit.epoch, stop_at_divergence=False)
    recorder = TapeRecorder(hit.epoch)
    with np.errstate(all="ignore"):
        start.network.step(*batch(X, y, None), config.learning_rate, record=recorder)
    place = stop_place(recorder.tape, hit, parse_condition("nan"))
    phases = recorder.tape.keys
    before = phases[:phases.index(place.phase)]
    assert all(np.isfinite(np.asarray(m)).all() for key in before
               for m in recorder.tape[phases.index(key)].outputs.values())
    assert place.matrix is not None and place.cell is not None
    made = np.asarray(recorder.tape[phases.index(place.phase)].outputs[place.matrix])
    assert not np.isfinite(made[place.cell])
    assert np.isfinite(made.reshape(-1)[:np.ravel_multi_index(place.cell, made.shape)]).all()


def test_a_condition_opens_at_the_phase_that_makes_what_it_reads():
    config = RunConfig(samples=30)
    run = build_run(config)
    recorder = TapeRecorder(0)
    run.network.step(run.dataset.X, run.dataset.y, config.learning_rate, record=recorder)
    tape, hit = recorder.tape, None
    for text, phase, matrix in [("norm(dW2) > 1", "backward.2.weight", "dW2"), ("ratio(W1) > 0", "update.1", "W1'"),
                                ("loss < 1", "loss", "loss"), ("norm(Z1) > 0 or norm(dW3) > 0", "forward.1", "Z1"),
                                ("epoch == 0", "forward.1", None)]:
        place = stop_place(tape, hit, parse_condition(text))  # type: ignore[arg-type]
        assert (place.phase, place.matrix) == (phase, matrix), text


# --- blocks of iterations against one iteration at a time -----------------------------------------------------------

def hits_both_ways(config: RunConfig, texts: list[str], after: tuple[int, int], epochs: int):
    """The hit found over blocks of iterations (what `run_until` does on the fast path) and the hit found reading
    each iteration of the network's own step on its own."""
    hits = []
    for blocks in (True, False):
        run = build_run(config)
        X, y = run.dataset.X, run.dataset.y
        breaker = Breaker([parse_condition(text) for text in texts], X, y, config.learning_rate,
                          batches=config.batches, after=after)
        if blocks:
            run_until(run.network, X, y, config.learning_rate, 0, epochs, breaker, batches=config.batches)
        else:
            breaker.bind(run.network)
            run_epochs(run.network, X, y, config.learning_rate, 0, epochs, batches=config.batches,
                       stop_at_divergence=False, after_iteration=breaker.check_iteration,
                       after_epoch=breaker.check_epoch)
        hits.append(breaker.hit)
    return hits


def recorded_values(config: RunConfig, epochs: int) -> dict[str, list[float]]:
    """What each parameter condition reads at every iteration, one at a time on the network's own step."""
    run = build_run(config)
    X, y = run.dataset.X, run.dataset.y
    breaker = Breaker([parse_condition(f"{q} > 0") for q in QUANTITIES], X, y, config.learning_rate,
                      batches=config.batches)
    values: dict[str, list[float]] = {q: [] for q in QUANTITIES}

    def look(step) -> bool:
        for quantity, condition in zip(QUANTITIES, breaker.conditions, strict=True):
            values[quantity].append(breaker.getter(condition, step.network)(step))
        return False

    run_epochs(run.network, X, y, config.learning_rate, 0, epochs, batches=config.batches, stop_at_divergence=False,
               after_iteration=look)
    return values


QUANTITIES = ["norm(dW1)", "norm(db2)", "norm(W2)", "norm(b1')", "ratio(W1)", "ratio(b2)",
              "norm(Z1)", "norm(A2)", "norm(dZ1)", "norm(dX3)", "norm(Z3)", "norm(dX1)",
              "norm(vW1)", "norm(vb2')", "norm(mW1')", "norm(sb2)", "norm(m̂W1)", "norm(ŝb3)",
              "norm(dL/dŷ)", "norm(error)", "norm(squared_error)", "norm(P)", "norm(sample_loss)", "norm(dL/dZ3)"]
"""Parameters and their gradients; what operations make and pass back (taken as the fast step makes them); the
update rule's state (momentum, Adam: the others read nothing); what the loss head makes (regression or classes)."""


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch_size=st.sampled_from([None, 7, 16]), optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
       block_bytes=st.sampled_from([1, 300, trail_module.BLOCK_BYTES]), quantity=st.sampled_from(QUANTITIES),
       op=st.sampled_from([">", ">=", "<", "==", "!="]), pick=st.floats(0, 1), extra=st.sampled_from(
           ["", " or nan", " and not loss_up", " and epoch >= 1", " or loss < 0"]),
       after=st.sampled_from([(-1, -1), (1, 0), (2, 1)]), lr=st.sampled_from([0.01, 0.5, 5.0]),
       dtype=st.sampled_from(["float64", "float32"]), dataset=st.sampled_from(["houses", "gauss"]))
def test_blocks_of_iterations_stop_where_one_iteration_at_a_time_does_with_the_same_values(
        batch_size, optimizer, block_bytes, quantity, op, pick, extra, after, lr, dtype, dataset):
    config = RunConfig(dataset=dataset, samples=40, learning_rate=lr, batch_size=batch_size, optimizer=optimizer,
                       activations=("tanh", "relu"), dtype=dtype)
    epochs = 4
    values = [v for v in recorded_values(config, epochs)[quantity] if v is not None and math.isfinite(v)]
    threshold = sorted(values)[int(pick * (len(values) - 1))] if values else 1.0  # a value read on the way: ties
    texts = [f"{quantity} {op} {threshold!r}{extra}", "nan"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trail_module, "BLOCK_BYTES", block_bytes)
        in_blocks, one_by_one = hits_both_ways(config, texts, after, epochs)
    assert repr(in_blocks) == repr(one_by_one)  # a float's repr is its exact value, and a NaN read is the same


def test_blocks_stop_at_a_non_finite_loss_that_no_condition_asked_for_like_one_at_a_time():
    config = RunConfig(samples=40, learning_rate=5.0, batch_size=16)
    in_blocks, one_by_one = hits_both_ways(config, ["norm(dW1) < 0"], (-1, -1), 30)
    assert in_blocks is not None and in_blocks.non_finite and in_blocks == one_by_one


@pytest.mark.parametrize(("config", "names"), [
    (RunConfig(samples=40, batch_size=16), ["error", "squared_error", "dL/dŷ"]),
    (RunConfig(dataset="gauss", samples=40, batch_size=16), ["P", "sample_loss", "error", "dL/dZ3"]),
])
def test_what_the_loss_head_made_is_read_from_the_networks_own_step_as_a_replay_records_it(config, names):
    """One iteration at a time (a network the fast path cannot run, say), as a block would read it from a tap."""
    run = build_run(config)
    X, y = run.dataset.X, run.dataset.y
    breaker = Breaker([parse_condition(f"norm({name}) > 1e300") for name in names], X, y, config.learning_rate,
                      batches=config.batches)
    assert not breaker.reads_recorded(run.network) and breaker.made_matrices(run.network) == names
    read: list[list[float]] = []
    steps = []

    def look(step) -> bool:
        read.append([breaker.getter(condition, step.network)(step) for condition in breaker.conditions])
        steps.append(step)
        return False

    run_epochs(run.network, X, y, config.learning_rate, 0, 1, batches=config.batches, after_iteration=look)
    for values, step in zip(read[:3], steps[:3], strict=True):
        tape = breaker.replay(step)
        expected = [math.sqrt(float(squared_sum(tape.matrix(name)))) for name in names]
        assert [value.hex() for value in values] == [value.hex() for value in expected]
