"""Mini-batches and held-out rows: the shuffle a pure function of (seed, epoch), old seeds giving old runs, the
batches of an epoch, the loss of an epoch over all its rows, the held-out split and its standardization, the
command line (trace --iteration, train's columns and CSV, one-line errors), the session stepping through batches
and reopening them exactly, and session files with the new settings."""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui import memory
from backprop_tui.cli import main
from backprop_tui.config import RunConfig, build_run
from backprop_tui.session import Session
from backprop_tui.session_file import SessionError, load_session, merge_flags, save_session, session_file_from
from scratchnet import DenseNetwork, make_rngs
from scratchnet.data import HoldOut
from scratchnet.seeding import held_out_count, shuffle_order, split_rows
from scratchnet.training import Batches, batch, run_epochs
from tests.reference import mlp_gradients


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- seeds and shuffles ---------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 10_000), st.integers(1, 300))
def test_an_epochs_shuffle_is_a_pure_function_of_seed_and_epoch(seed, epoch, rows):
    order = shuffle_order(seed, epoch, rows)
    assert sorted(order.tolist()) == list(range(rows))
    assert np.array_equal(order, shuffle_order(seed, epoch, rows))  # again, without drawing any other epoch first
    shuffle_order(seed, epoch + 1, rows)
    assert np.array_equal(order, shuffle_order(seed, epoch, rows))
    expected = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2].spawn(epoch + 1)[epoch]).permutation(rows)
    assert np.array_equal(order, expected)  # SeedSequence child 2, one grandchild per epoch


def test_epochs_and_seeds_shuffle_differently():
    orders = {tuple(shuffle_order(seed, epoch, 50)) for seed in (0, 1) for epoch in (0, 1, 2)}
    assert len(orders) == 6


def test_old_seeds_give_old_data_and_weights():
    data_rng, weight_rng = make_rngs(9)
    data_seq, weight_seq = np.random.SeedSequence(9).spawn(2)
    assert data_rng.random() == np.random.default_rng(data_seq).random()
    assert weight_rng.random() == np.random.default_rng(weight_seq).random()
    plain, dynamic = build_run(RunConfig(seed=9)), build_run(RunConfig(seed=9, optimizer="adam", batch_size=7,
                                                                       weight_decay=0.1))
    assert np.array_equal(plain.dataset.X, dynamic.dataset.X)
    for (a, b), (c, d) in zip(plain.initial_parameters, dynamic.initial_parameters, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(1, 250), st.integers(0, 50))
def test_an_epoch_is_ceil_n_over_b_batches_covering_every_row_once(rows, size, epoch):
    batches = Batches(size, 3)
    count = batches.count(rows)
    if size >= rows:
        assert count == 1 and batches.rows(epoch, 0, rows) is None  # the article's full batch, in data order
        return
    assert count == math.ceil(rows / size)
    parts = [batches.rows(epoch, iteration, rows) for iteration in range(count)]
    assert all(part is not None and len(part) == size for part in parts[:-1])
    assert parts[-1] is not None and 1 <= len(parts[-1]) <= size
    assert np.array_equal(np.concatenate(parts), shuffle_order(3, epoch, rows))  # type: ignore[arg-type]


def test_a_batch_needs_a_row():
    with pytest.raises(ValueError):
        Batches(0)


# --- the loop ------------------------------------------------------------------------------------------------


def test_batches_train_like_a_plain_numpy_loop_over_the_same_batches():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(37, 3)), rng.normal(size=(37, 2))
    network = DenseNetwork.initialise((3, 5, 2), rng)
    parameters = [(w.copy(), b.copy()) for w, b in network.parameters]
    batches = Batches(8, 4)
    ran = run_epochs(network, X, y, 0.05, 0, 3, batches=batches)
    for epoch in range(3):
        order = np.random.default_rng(np.random.SeedSequence(4, spawn_key=(2, epoch))).permutation(37)
        for start in range(0, 37, 8):
            rows = order[start:start + 8]
            _, grads = mlp_gradients(parameters, ("none", "none"), X[rows], y[rows])
            parameters = [(w - 0.05 * dw, b - 0.05 * db) for (w, b), (dw, db) in zip(parameters, grads)]
    for (w, b), (rw, rb) in zip(network.parameters, parameters, strict=True):
        np.testing.assert_allclose(w, rw, rtol=1e-12)
        np.testing.assert_allclose(b, rb, rtol=1e-12)
    assert len(ran.losses) == len(ran.running_losses) == 3


def test_the_loss_of_an_epoch_is_over_every_row_and_the_running_loss_is_the_mean_of_its_batches():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=(30, 1))
    held = (rng.normal(size=(9, 4)), rng.normal(size=(9, 1)))
    network = DenseNetwork.initialise((4, 3, 1), rng)
    starts = [network.parameters]
    batch_losses: list[list[float]] = [[], [], []]

    def seen(iteration) -> bool:
        batch_losses[iteration.epoch].append(iteration.loss)
        return False

    ran = run_epochs(network, X, y, 0.05, 0, 3, batches=Batches(7, 1), held_out=held, keep_parameters=True,
                     after_iteration=seen)
    starts += ran.parameters
    for epoch in range(3):
        start = network.with_parameters(starts[epoch])
        assert ran.losses[epoch] == start.evaluate(X, y)[0]
        assert ran.test_losses[epoch] == start.evaluate(*held)[0]
        assert len(batch_losses[epoch]) == 5
        assert ran.running_losses[epoch] == pytest.approx(np.mean(batch_losses[epoch]), rel=1e-14)


def test_the_full_batch_is_todays_loop_bit_for_bit():
    run = build_run(RunConfig(samples=200))
    X, y = run.dataset.X, run.dataset.y
    today = run.network.with_parameters(run.initial_parameters)
    losses = [today.step(X, y, 0.01) for _ in range(5)]
    for size in (None, 200, 5000):
        network = run.network.with_parameters(run.initial_parameters)
        ran = run_epochs(network, X, y, 0.01, 0, 5, batches=Batches(size, 0))
        assert ran.losses == ran.running_losses == losses
        for (a, b), (c, d) in zip(network.parameters, today.parameters, strict=True):
            assert np.array_equal(a, c) and np.array_equal(b, d)


def test_accuracy_and_held_out_accuracy_per_epoch():
    run = build_run(RunConfig(dataset="gauss", test_fraction=0.3, batch_size=50))
    dataset = run.dataset
    assert dataset.held_out is not None
    ran = run_epochs(run.network, dataset.X, dataset.y, 0.01, 0, 2, batches=run.config.batches,
                     held_out=dataset.held_out, accuracy=True, keep_parameters=True)
    first = run.network.with_parameters(run.initial_parameters)
    from scratchnet import accuracy

    assert ran.accuracies[0] == accuracy(first.evaluate(dataset.X, dataset.y)[1], dataset.y)
    assert ran.test_accuracies[0] == accuracy(first.evaluate(*dataset.held_out)[1], dataset.held_out[1])


# --- held-out rows ------------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 400), st.floats(0.01, 0.6))
def test_the_held_out_rows_are_a_seeded_ceil_share_apart_from_the_training_rows(seed, rows, fraction):
    training, held = split_rows(seed, rows, fraction)
    assert held.size == held_out_count(rows, fraction) == math.ceil(round(fraction * rows, 6))
    assert np.array_equal(np.sort(np.concatenate([training, held])), np.arange(rows))
    assert np.all(np.diff(training) > 0) and np.all(np.diff(held) > 0)
    expected = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3]).permutation(rows)[:held.size]
    assert np.array_equal(held, np.sort(expected))  # SeedSequence child 3


@pytest.mark.parametrize("dataset", ["houses", "spiral"])
def test_standardization_is_fitted_on_the_training_rows_only(dataset):
    whole = build_run(RunConfig(dataset=dataset)).dataset
    split = build_run(RunConfig(dataset=dataset, test_fraction=0.25)).dataset
    assert split.rows is not None and split.test_rows is not None and split.test_X is not None
    assert split.X.shape[0] + split.test_X.shape[0] == whole.X.shape[0]
    np.testing.assert_allclose(split.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(split.X.std(axis=0), 1, atol=1e-12)
    assert abs(split.test_X.mean(axis=0)).max() > 1e-6  # not standardized on its own
    raw_whole = whole.feature_scaler.inverse(whole.X)  # the same raw data, through either scaler
    np.testing.assert_allclose(split.feature_scaler.inverse(split.X), raw_whole[split.rows], rtol=1e-12)
    np.testing.assert_allclose(split.feature_scaler.inverse(split.test_X), raw_whole[split.test_rows], rtol=1e-12)
    if dataset == "spiral":
        assert np.array_equal(split.test_y, whole.y[split.test_rows])


def test_no_held_out_rows_gives_the_old_data_exactly():
    assert RunConfig().holdout is None
    a, b = build_run(RunConfig(seed=3)).dataset, build_run(RunConfig(seed=3, test_fraction=0.0)).dataset
    assert np.array_equal(a.X, b.X) and a.held_out is None and a.rows is None


def test_a_csv_holds_rows_out_too(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,t\n" + "".join(f"{i},{i * i % 7},{2 * i}\n" for i in range(20)))
    from scratchnet import load_csv

    dataset = load_csv(path, holdout=HoldOut(0.2, 5))
    assert dataset.X.shape[0] == 16 and dataset.test_X is not None and dataset.test_X.shape[0] == 4
    with pytest.raises(Exception, match="leaves 1 to train on"):
        load_csv(path, holdout=HoldOut(0.95, 5))


# --- the command line ---------------------------------------------------------------------------------------------


BAD = {
    "--batch-size 0": (["--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
    "--batch-size x": (["--batch-size", "x"], "--batch-size must be a whole number"),
    "--momentum 1.5": (["--optimizer", "momentum", "--momentum", "1.5"], "--momentum must be a number in [0, 1)"),
    "--momentum -0.1": (["--optimizer", "momentum", "--momentum", "-0.1"], "(got '-0.1')"),
    "--beta1 1": (["--optimizer", "adam", "--beta1", "1"], "--beta1 must be a number in [0, 1)"),
    "--beta2 1": (["--optimizer", "adam", "--beta2", "1"], "--beta2 must be a number in [0, 1)"),
    "--beta2 nan": (["--optimizer", "adam", "--beta2", "nan"], "--beta2 must be a number in [0, 1)"),
    "--eps 0": (["--optimizer", "adam", "--eps", "0"], "--eps must be a finite number above 0"),
    "--weight-decay -1": (["--weight-decay", "-1"], "--weight-decay must be a finite number ≥ 0"),
    "--weight-decay inf": (["--weight-decay", "inf"], "--weight-decay must be a finite number ≥ 0"),
    "--test-fraction 1": (["--test-fraction", "1"], "--test-fraction must be a number in [0, 1)"),
    "--test-fraction -0.2": (["--test-fraction", "-0.2"], "--test-fraction must be a number in [0, 1)"),
    "--optimizer rmsprop": (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    "--momentum without momentum": (["--momentum", "0.5"], "--momentum applies to --optimizer momentum"),
    "--beta1 with momentum": (["--optimizer", "momentum", "--beta1", "0.5"], "--beta1 applies to --optimizer adam"),
    "too few training rows": (["--samples", "4", "--test-fraction", "0.9"], "leaves 0 to train on"),
}


@pytest.mark.parametrize("command", ["train", "trace"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_training_flags_are_one_line_and_exit_2(capsys, case, command):
    flags, fragment = BAD[case]
    code, out, err = run_cli(capsys, command, *flags)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("backprop-tui: error: "), err
    assert fragment in err, err


def test_an_iteration_past_the_epoch_is_one_line(capsys):
    code, out, err = run_cli(capsys, "trace", "--batch-size", "32", "--iteration", "32")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--iteration 32 is past the end of an epoch: 1000 training rows in batches of 32 make 32" in err


def test_trace_json_of_a_batch_says_which_rows_and_records_that_iteration(capsys):
    argv = ["--samples", "60", "--batch-size", "16", "--optimizer", "adam", "--weight-decay", "0.01",
            "--test-fraction", "0.2"]
    code, out, _ = run_cli(capsys, "trace", "--format", "json", "--epoch", "2", "--iteration", "1", *argv)
    document = json.loads(out)
    config = document["config"]
    assert code == 0 and config["epoch"] == 2 and config["iteration"] == 1
    assert (config["batch_size"], config["optimizer"], config["weight_decay"], config["test_fraction"]) == (
        16, "adam", 0.01, 0.2)
    assert {"beta1", "beta2", "eps", "momentum"} <= set(config)
    run = build_run(RunConfig(samples=60, batch_size=16, optimizer="adam", weight_decay=0.01, test_fraction=0.2))
    X, y = run.dataset.X, run.dataset.y
    rows = run.config.batches.rows(2, 1, 48)
    assert rows is not None and document["batch_rows"] == run.dataset.original_rows()[rows].tolist()
    phases = {phase["key"]: phase for phase in document["phases"]}
    assert np.array_equal(np.array(phases["forward.1"]["inputs"]["X"]), X[rows])
    run_epochs(run.network, X, y, 0.01, 0, 2, batches=run.config.batches)
    for iteration in range(2):  # the fast path to the end of the traced iteration
        run.network.step(*batch(X, y, run.config.batches.rows(2, iteration, 48)), 0.01)
    assert np.array_equal(np.array(phases["update.1"]["outputs"]["W1'"]), run.network.parameters[0][0])
    assert "penalty" in phases and "m̂W1" in phases["update.1"]["outputs"]


def test_the_default_trace_lists_every_row_as_its_batch(capsys):
    document = json.loads(run_cli(capsys, "trace", "--format", "json", "--samples", "12")[1])
    assert document["batch_rows"] == list(range(12)) and document["config"]["iteration"] == 0
    assert document["config"]["optimizer"] == "sgd" and document["config"]["batch_size"] is None


def test_trace_text_of_a_batch_says_where_it_is(capsys):
    out = run_cli(capsys, "trace", "--samples", "50", "--batch-size", "20", "--iteration", "2")[1]
    assert out.startswith("epoch 0 · iteration 2 of 3 (0–2): a batch of 10 rows, data rows ")
    assert "This is the loss of this batch" in out


def test_train_shows_running_and_held_out_columns_and_writes_csv(capsys):
    argv = ["train", "--dataset", "gauss", "--samples", "100", "--batch-size", "25", "--test-fraction", "0.2",
            "--epochs", "6", "--every", "5"]
    code, out, _ = run_cli(capsys, *argv)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["Epoch", "Loss", "Running", "Test", "loss", "Accuracy", "Test", "acc."]
    assert [line.split()[0] for line in lines[1:]] == ["0", "5"]
    code, out, _ = run_cli(capsys, *argv, "--format", "json")
    document = json.loads(out)
    assert {"running_losses", "test_losses", "accuracy", "test_accuracy"} <= set(document)
    code, out, _ = run_cli(capsys, *argv, "--format", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["epoch", "loss", "running_loss", "test_loss", "accuracy", "test_accuracy"]
    assert len(table) == 7 and [float(value) for value in table[1][1:]] == [
        document["losses"][0], document["running_losses"][0], document["test_losses"][0], document["accuracy"][0],
        document["test_accuracy"][0]]


def test_the_articles_train_output_is_unchanged_and_its_csv_is_every_epoch(capsys):
    out = run_cli(capsys, "train", "--format", "json", "--epochs", "3")[1]
    assert list(json.loads(out)) == ["config", "losses", "diverged_at"]
    table = run_cli(capsys, "train", "--format", "csv", "--epochs", "3")[1].splitlines()
    assert table[0] == "epoch,loss,running_loss" and len(table) == 4
    assert "Article" not in run_cli(capsys, "train", "--epochs", "1", "--optimizer", "momentum")[1]


# --- the session ------------------------------------------------------------------------------------------------------


CONFIG = RunConfig(samples=50, batch_size=16, optimizer="momentum", weight_decay=0.01, test_fraction=0.2)


def test_the_session_steps_through_batches_and_back():
    session = Session.start(CONFIG)
    assert session.iterations == 3 and session.losses and session.test_losses  # 40 training rows, 16 a batch
    phases = len(session.tape)
    visited = []
    for _ in range(3 * phases + 1):
        visited.append((session.epoch, session.iteration))
        session.next_phase()
    assert visited[::phases] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert (session.epoch, session.iteration, session.position.phase) == (1, 0, 1)
    assert session.tape.batch_rows is not None and len(session.tape.batch_rows) == 16
    session.previous_phase()
    session.previous_phase()
    assert (session.epoch, session.iteration, session.position.phase) == (0, 2, phases - 1)
    assert len(session.tape.data_rows()) == 8  # the last batch is smaller


def test_the_session_reopens_any_batch_exactly_as_training_reached_it():
    session = Session.start(CONFIG)
    session.go_to_epoch(3, "update.2", iteration=2)
    assert (session.epoch, session.iteration, session.phase.key) == (3, 2, "update.2")
    run = build_run(CONFIG)
    dataset = run.dataset
    ran = run_epochs(run.network, dataset.X, dataset.y, 0.01, 0, 4, batches=CONFIG.batches,
                     held_out=dataset.held_out, keep_parameters=True)
    assert session.losses[:4] == ran.losses and session.test_losses[:4] == ran.test_losses
    for kept, trained in zip(session.parameters[1:5], ran.parameters, strict=True):
        assert kept.state.step == trained.state.step
        for (a, b), (c, d) in zip(kept, trained, strict=True):
            assert np.array_equal(a, c) and np.array_equal(b, d)
        for mine, theirs in zip(kept.state.arrays, trained.state.arrays, strict=True):
            assert all(np.array_equal(u, v) for u, v in zip(mine, theirs, strict=True))
    assert session.parameters[4].state.step == 12  # 3 batches an epoch, 4 epochs
    update = session.phase
    assert np.array_equal(update.outputs["W2'"], ran.parameters[3][1][0])  # the epoch's last batch ends the epoch
    with pytest.raises(ValueError):
        session.go_to_epoch(1, iteration=3)


def test_a_stepped_batch_and_a_reopened_one_are_the_same_tape():
    stepped, reopened = Session.start(CONFIG), Session.start(CONFIG)
    for _ in range(len(stepped.tape) * 4):
        stepped.next_phase()
    reopened.go_to_epoch(1, iteration=1)
    assert (stepped.epoch, stepped.iteration) == (reopened.epoch, reopened.iteration) == (1, 1)
    for a, b in zip(stepped.tape, reopened.tape, strict=True):
        for name in a.matrix_names:
            assert np.array_equal(a.matrix(name), b.matrix(name)), (a.key, name)


def test_the_memory_estimate_counts_the_optimizers_state():
    plain = memory.estimate(RunConfig(), "app", features=4, epochs_kept=100)
    adam = memory.estimate(RunConfig(optimizer="adam"), "app", features=4, epochs_kept=100)
    momentum = memory.estimate(RunConfig(optimizer="momentum"), "app", features=4, epochs_kept=100)
    assert plain.fixed < momentum.fixed < adam.fixed
    assert adam.fixed - plain.fixed >= 2 * 100 * plain.parameters  # two moments kept with every epoch


# --- session files ------------------------------------------------------------------------------------------------


def test_a_session_file_keeps_the_new_settings_and_an_iteration(tmp_path):
    config = RunConfig(optimizer="adam", beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.001, batch_size=32,
                       test_fraction=0.1, samples=200)
    saved = session_file_from(config, "dark", [("m̂W2", (1, 0)), ("vW1'", (0, 0))], 3, "penalty", "ŝW1", (2, 1),
                              iteration=4)
    path = tmp_path / "s.toml"
    save_session(path, saved)
    document = tomllib.loads(path.read_text())
    assert document["training"] == {"learning_rate": 0.01, "epochs": 125, "optimizer": "adam", "beta1": 0.8,
                                    "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.001, "batch_size": 32}
    assert document["data"]["test_fraction"] == 0.1 and document["position"]["iteration"] == 4
    assert document["position"]["matrix"] == "shatW1" and document["pin"][0]["matrix"] == "mhatW2"
    assert load_session(path) == saved


def test_the_articles_session_file_is_written_as_before_and_old_files_open_with_the_articles_training(tmp_path):
    path = tmp_path / "s.toml"
    save_session(path, session_file_from(RunConfig(), "dark", [], 0, "forward.1", None, (0, 0)))
    text = path.read_text()
    for key in ("optimizer", "momentum", "beta", "eps", "weight_decay", "batch_size", "test_fraction", "iteration"):
        assert key not in text
    old = tmp_path / "old.toml"
    old.write_text('version = 1\n[training]\nlearning_rate = 0.02\nepochs = 5\n[position]\nepoch = 2\n')
    loaded = load_session(old)
    assert loaded.iteration == 0 and loaded.config.optimizer == "sgd" and loaded.config.batch_size is None
    assert loaded.config.weight_decay == 0 and loaded.config.test_fraction == 0


@pytest.mark.parametrize("text, line, words", [
    ('[training]\noptimizer = "rmsprop"\n', 2, "optimizer must be one of sgd, momentum, adam"),
    ('[training]\nmomentum = 0.5\n', 2, "momentum applies to optimizer = \"momentum\""),
    ('[training]\noptimizer = "momentum"\nmomentum = 1.0\n', 3, "momentum must be a number in [0, 1)"),
    ('[training]\noptimizer = "adam"\nbeta2 = 1\n', 3, "beta2 must be a number in [0, 1)"),
    ('[training]\noptimizer = "adam"\neps = 0\n', 3, "eps must be a finite number above 0"),
    ('[training]\nweight_decay = -1\n', 2, "weight_decay must be a finite number ≥ 0"),
    ('[training]\nbatch_size = 0\n', 2, "batch_size must be at least 1"),
    ('[training]\nbatch_size = 2.5\n', 2, "batch_size must be integer"),
    ('[data]\ntest_fraction = 1.0\n', 2, "test_fraction must be a number in [0, 1)"),
    ('[position]\niteration = -1\n', 2, "iteration must be ≥ 0"),
])
def test_bad_new_settings_in_a_session_file_say_where(tmp_path, text, line, words):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SessionError) as caught:
        load_session(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:") and words in message and "\n" not in message


def test_flags_against_the_files_training_settings(tmp_path):
    path = tmp_path / "s.toml"
    save_session(path, session_file_from(RunConfig(optimizer="momentum", batch_size=8), "dark", [], 0, "forward.1",
                                         None, (0, 0)))
    saved = load_session(path)
    assert merge_flags(saved, {"optimizer": "momentum", "momentum": 0.9, "batch_size": 8}) == saved.config
    with pytest.raises(SessionError, match="--batch-size 16 contradicts the session file's batch size 8"):
        merge_flags(saved, {"batch_size": 16})
    with pytest.raises(SessionError, match="--beta1 0.5 does not apply: the session file's optimizer is momentum"):
        merge_flags(saved, {"beta1": 0.5})
    with pytest.raises(SessionError, match="--weight-decay 0.1 contradicts the session file's weight decay 0"):
        merge_flags(saved, {"weight_decay": 0.1})


def test_the_app_refuses_a_session_files_iteration_past_the_epoch(tmp_path, capsys):
    path = tmp_path / "s.toml"
    save_session(path, session_file_from(RunConfig(samples=40, batch_size=16), "dark", [], 0, "forward.1", None,
                                         (0, 0), iteration=3))
    code, out, err = run_cli(capsys, "--session", str(path))
    assert code == 2 and "iteration 3 is past the last batch of an epoch (this run has 3, numbered 0–2)" in err
