"""The memory a run needs, estimated before it allocates: checked against the arrays a run really
holds, and a run too big for the machine refused with one line (exit 2), never a traceback or a kill."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from backprop_tui import headless, memory
from backprop_tui.cli import main
from backprop_tui.config import RunConfig, build_run
from scratchnet import DenseLayer, DenseNetwork, TapeRecorder
from scratchnet.debugger.gradcheck import check_gradient
from tests.helpers import write


def owned_bytes(arrays) -> int:
    """Bytes of the distinct memory blocks behind `arrays` (tape matrices are read-only views)."""
    owners = {}
    for array in arrays:
        while isinstance(array.base, np.ndarray):
            array = array.base
        owners[id(array)] = array.nbytes
    return sum(owners.values())


@pytest.mark.parametrize("hidden, dtype", [((8, 4), "float64"), ((16, 8, 3), "float32"), ((), "float64")])
def test_the_estimate_counts_exactly_the_arrays_of_the_data_the_tape_and_the_parameters(hidden, dtype):
    samples = 1000
    config = RunConfig(samples=samples, hidden=hidden, dtype=dtype)
    run = build_run(config)
    data = run.dataset.X.nbytes + run.dataset.y.nbytes
    recorder = TapeRecorder()
    run.network.step(run.dataset.X, run.dataset.y, config.learning_rate, record=recorder)
    tape_arrays = [array for phase in recorder.tape for array in (*phase.inputs.values(), *phase.outputs.values())]
    row_arrays = [array for array in tape_arrays if array.ndim == 2 and array.shape[0] == samples]
    itemsize = np.dtype(dtype).itemsize
    sizes = run.sizes
    assert owned_bytes(row_arrays) == data + memory.tape_values_per_sample(sizes) * itemsize * samples
    parameter_bytes = sum(w.nbytes + b.nbytes for w, b in run.initial_parameters)
    assert parameter_bytes == memory.parameter_count(sizes) * itemsize
    printed = json.loads(headless.trace_json(config, recorder.tape))
    numbers = sum(np.size(np.asarray(matrix, dtype=float)) for phase in printed["phases"]
                  for matrices in (phase["inputs"], phase["outputs"]) for matrix in matrices.values()
                  if np.ndim(matrix) == 2 and len(matrix) == samples)
    assert numbers == memory.json_values_per_sample(sizes) * samples


def peak_bytes(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def train_fast(config, steps=4):
    run = build_run(config)
    for _ in range(steps):
        run.network.step(run.dataset.X, run.dataset.y, 0.01)


def trace_epoch_two(config):
    run = build_run(config)
    for _ in range(2):
        run.network.step(run.dataset.X, run.dataset.y, 0.01)
    run.network.step(run.dataset.X, run.dataset.y, 0.01, record=TapeRecorder(2))


def app_session(config):
    """What the app holds at once: the session's tape, a training run on its own network, a gradient check."""
    run = build_run(config)
    recorder = TapeRecorder()
    run.network.step(run.dataset.X, run.dataset.y, 0.01, record=recorder)
    trainer = DenseNetwork([DenseLayer(w, b) for w, b in run.network.parameters])
    for _ in range(3):
        trainer.step(run.dataset.X, run.dataset.y, 0.01)
    check_gradient(recorder.tape, "backward.1.input", max_cells=3)


@pytest.mark.parametrize("hidden", [(8, 4), (32,), (3, 5, 2)])
@pytest.mark.parametrize("purpose, scenario, epoch", [("train", train_fast, 0), ("trace", trace_epoch_two, 2),
                                                      ("app", app_session, 0)])
def test_the_estimate_covers_the_measured_peak_and_is_not_far_above_it(hidden, purpose, scenario, epoch):
    samples = 50_000
    config = RunConfig(samples=samples, hidden=hidden)
    measured = peak_bytes(lambda: scenario(config))
    estimated = memory.estimate(config, purpose, features=4, epoch=epoch).total(samples)
    if purpose == "app":
        estimated -= int(memory.MARGIN * memory.APP_BASE)  # the screens: not in this scenario
    assert measured <= estimated <= 2 * measured


def test_the_json_estimate_covers_the_measured_peak_of_trace_json():
    samples = 2000
    config = RunConfig(samples=samples)

    def trace_json():
        run = build_run(config)
        recorder = TapeRecorder()
        run.network.step(run.dataset.X, run.dataset.y, 0.01, record=recorder)
        headless.trace_json(config, recorder.tape)

    measured = peak_bytes(trace_json)
    estimated = memory.estimate(config, "trace-json", features=4).total(samples)
    assert measured <= estimated <= 2 * measured


@pytest.mark.parametrize("argv", [
    ["--samples", "100000000000"],
    ["trace", "--samples", "100000000000"],
    ["train", "--samples", "100000000000"],
    ["trace", "--format", "json", "--samples", "100000000000"],
])
def test_a_sample_count_that_cannot_fit_is_refused_with_one_line(capsys, argv):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("backprop-tui: error: --samples 100,000,000,000 needs about ")
    assert "of memory" in err and "samples fit" in err and "Traceback" not in err


def test_the_samples_said_to_fit_do_fit(monkeypatch, capsys):
    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 2**30)
    assert main(["train", "--samples", "1000000000"]) == 2
    err = capsys.readouterr().err
    fit = int(err.split("at most about ")[1].split(" samples")[0].replace(",", ""))
    memory.check(RunConfig(samples=fit), "train")
    with pytest.raises(memory.NotEnoughMemory):
        memory.check(RunConfig(samples=int(fit * 1.01) + 10), "train")


def test_parameters_that_cannot_fit_name_the_hidden_layers(capsys):
    assert main(["train", "--hidden", "300000,300000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--hidden 300000,300000 makes" in err and "smaller hidden layers" in err


def test_the_app_counts_the_parameters_it_keeps_for_every_epoch(monkeypatch, capsys):
    monkeypatch.setattr(memory, "available_memory", lambda: 4 * 2**30)
    assert main(["--hidden", "1000,1000", "--epochs", "100000"]) == 2  # 8 MB of parameters × 100,001 epochs
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "for each of 100,001 epochs" in err and "fewer --epochs" in err
    assert main(["train", "--hidden", "1000,1000", "--epochs", "3"]) in (0, 3)  # train keeps only the latest (it diverges)
    capsys.readouterr()


def test_a_csv_too_big_for_the_memory_left_is_refused_by_name(tmp_path, monkeypatch, capsys):
    rows = "".join(f"{i},{i % 7},{2 * i + 1}\n" for i in range(5000))
    path = write(tmp_path, "size,rooms,price\n" + rows)
    assert memory._csv_shape(str(path)) == (path.stat().st_size, 5001, 2)
    monkeypatch.setattr(memory, "available_memory", lambda: 100_000)
    assert main(["train", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "of memory" in err
    monkeypatch.setattr(memory, "available_memory", lambda: 2**30)
    assert main(["train", "--data", str(path), "--epochs", "2"]) == 0
    capsys.readouterr()


def test_an_allocation_refused_anyway_is_one_line_too(monkeypatch, capsys):
    def refuse(config):
        raise MemoryError

    monkeypatch.setattr(headless, "build_run", refuse)
    assert main(["train"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("backprop-tui: error: out of memory")


def test_available_memory_is_read_on_this_machine():
    available = memory.available_memory()
    assert available is None or available > 0


@pytest.mark.parametrize("dataset, classes", [("spiral", 3), ("moons", 2)])
@pytest.mark.parametrize("hidden", [(8, 4), (32,)])
@pytest.mark.parametrize("purpose, scenario, epoch", [("train", train_fast, 0), ("trace", trace_epoch_two, 2),
                                                      ("app", app_session, 0)])
def test_the_estimate_covers_the_classification_sets(dataset, classes, hidden, purpose, scenario, epoch):
    samples = 50_000
    config = RunConfig(dataset=dataset, samples=samples, hidden=hidden)
    measured = peak_bytes(lambda: scenario(config))
    estimated = memory.estimate(config, purpose, features=2, outputs=classes, epoch=epoch).total(samples)
    if purpose == "app":
        estimated -= int(memory.MARGIN * memory.APP_BASE)
    assert measured <= estimated <= 2 * measured


def test_the_check_counts_two_features_and_a_column_per_class(monkeypatch, capsys):
    monkeypatch.setattr(memory, "available_memory", lambda: 2 * 2**30)
    assert main(["train", "--dataset", "spiral", "--samples", "1000000000"]) == 2
    err = capsys.readouterr().err
    fit = int(err.split("at most about ")[1].split(" samples")[0].replace(",", ""))
    spiral = RunConfig(dataset="spiral", samples=fit)
    assert fit == memory.estimate(spiral, "train", features=2, outputs=3).samples_that_fit(2 * 2**30)
    assert fit != memory.estimate(spiral, "train", features=4, outputs=1).samples_that_fit(2 * 2**30)
    memory.check(spiral, "train")
    with pytest.raises(memory.NotEnoughMemory):
        memory.check(RunConfig(dataset="spiral", samples=int(fit * 1.01) + 10), "train")
