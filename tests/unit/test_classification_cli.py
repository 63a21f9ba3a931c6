"""--dataset and --labels on the command line: conflicts, the config of trace json, and train's accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_tui.cli import main, parse
from backprop_tui.config import RunConfig, build_run
from scratchnet import accuracy


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


CONFLICTS = {
    "--dataset with --data": (["--data", "f.csv", "--dataset", "spiral"], "--data cannot be combined with --dataset"),
    "--labels without --data": (["--labels"], "--labels needs --data"),
    "--labels with --dataset": (["--dataset", "xor", "--labels"], "--labels needs --data"),
    "an unknown data set": (["--dataset", "rings"], "argument --dataset: invalid choice: 'rings'"),
}


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("case", list(CONFLICTS))
@pytest.mark.parametrize("command", ["train", "trace"])
def test_conflicting_data_flags_are_one_line_and_exit_2(capsys, case, where, command):
    flags, fragment = CONFLICTS[case]
    argv = [command, *flags] if where == "after" else [*flags, command]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("backprop-tui: error: ") and fragment in err


def test_the_app_refuses_the_conflicts_too(capsys):
    code, out, err = run(capsys, "--dataset", "moons", "--data", "f.csv")
    assert code == 2 and err.count("\n") == 1 and "--data cannot be combined with --dataset" in err


def test_dataset_flags_stand_before_or_after_the_subcommand():
    assert parse(["--dataset", "xor", "train"])[1] == parse(["train", "--dataset", "xor"])[1]
    config = parse(["--dataset", "xor", "train", "--noise", "0.2"])[1]
    assert (config.dataset, config.samples, config.noise) == ("xor", 500, 0.2)
    assert parse([])[1] == RunConfig() and parse([])[1].dataset == "houses" and parse([])[1].labels is False


def trace_config(capsys, *argv: str) -> dict:
    code, out, _ = run(capsys, "trace", "--format", "json", *argv)
    assert code == 0
    return json.loads(out)["config"]


def test_trace_json_config_gains_dataset_labels_and_classes(capsys):
    houses = trace_config(capsys)
    assert houses["dataset"] == "houses" and houses["classes"] is None and houses["labels"] is False
    assert (houses["samples"], houses["noise"]) == (1000, 30000.0)
    spiral = trace_config(capsys, "--dataset", "spiral", "--seed", "4")
    assert spiral["dataset"] == "spiral" and spiral["classes"] == ["arm1", "arm2", "arm3"]
    assert (spiral["samples"], spiral["noise"], spiral["sizes"]) == (600, 0.05, [2, 8, 4, 3])
    assert set(houses) == set(spiral)


def test_trace_json_of_a_classification_set_has_the_one_hot_target(capsys):
    code, out, _ = run(capsys, "trace", "--format", "json", "--dataset", "circle", "--samples", "6")
    document = json.loads(out)
    y = np.array(next(phase["inputs"]["y"] for phase in document["phases"] if "y" in phase["inputs"]))
    assert y.shape == (6, 2) and np.all(y.sum(axis=1) == 1) and y.sum(axis=0).tolist() == [3, 3]


def expected_accuracies(config: RunConfig) -> list[float]:
    """Each epoch's accuracy the plain way: the predictions of the parameters the epoch starts with."""
    run_ = build_run(config)
    X, y = run_.dataset.X, run_.dataset.y
    accuracies = []
    for _ in range(config.epochs):
        accuracies.append(accuracy(run_.network.predict(X), y))
        run_.network.step(X, y, config.learning_rate)
    return accuracies


@pytest.mark.parametrize("dataset", ["gauss", "spiral"])
def test_train_json_has_an_accuracy_per_epoch(capsys, dataset):
    code, out, _ = run(capsys, "train", "--format", "json", "--dataset", dataset, "--epochs", "30", "--lr", "0.1")
    document = json.loads(out)
    assert code == 0 and len(document["accuracy"]) == len(document["losses"]) == 30
    assert document["accuracy"] == expected_accuracies(RunConfig(dataset=dataset, epochs=30, learning_rate=0.1))
    assert all(0 <= value <= 1 for value in document["accuracy"])


def test_gauss_is_learned_by_the_linear_network(capsys):
    document = json.loads(run(capsys, "train", "--format", "json", "--dataset", "gauss", "--lr", "0.1")[1])
    assert document["accuracy"][-1] > 0.97 > document["accuracy"][0]


def test_a_diverged_classification_run_keeps_one_accuracy_per_loss_and_valid_json(capsys):
    code, out, err = run(capsys, "train", "--format", "json", "--dataset", "moons", "--lr", "5", "--epochs", "200")
    document = json.loads(out, parse_constant=lambda constant: pytest.fail(f"non-JSON constant {constant}"))
    assert code == 3 and "diverged" in err
    assert len(document["accuracy"]) == len(document["losses"]) == document["diverged_at"] + 1


def test_train_text_has_an_accuracy_column_for_classes_only(capsys):
    code, out, _ = run(capsys, "train", "--dataset", "spiral", "--epochs", "41")
    lines = out.splitlines()
    assert code == 0 and lines[0] == " Epoch        Loss   Accuracy"
    assert [line.split()[0] for line in lines[1:]] == ["0", "20", "40"]
    accuracies = expected_accuracies(RunConfig(dataset="spiral", epochs=41))
    assert lines[1].endswith(f"{accuracies[0]:9.2%}") and lines[3].endswith(f"{accuracies[40]:9.2%}")
    _, regression, _ = run(capsys, "train", "--epochs", "41")
    assert "Accuracy" not in regression and "%" not in regression
    assert regression.splitlines()[0] == " Epoch        Loss     Article"
    _, other, _ = run(capsys, "train", "--epochs", "41", "--dataset", "circle", "--samples", "1000")
    assert "Article" not in other  # the article's losses are for its own data only


def test_regression_train_json_has_no_accuracy_key(capsys):
    document = json.loads(run(capsys, "train", "--format", "json", "--epochs", "2")[1])
    assert list(document) == ["config", "losses", "diverged_at"]
