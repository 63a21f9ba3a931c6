"""The command line: flags on either side of the subcommand, one-line errors, exit codes, the JSON interface."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from backprop_tui.cli import main
from backprop_tui.config import RunConfig, build_run
from scratchnet import TapeRecorder, phase_keys, train
from scratchnet.data import DEFAULT_NOISE, make_house_prices
from scratchnet.network import DenseNetwork
from scratchnet.seeding import make_rngs


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as stop:  # --help and --version exit through argparse
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,x\n")
    return str(path)


@pytest.mark.parametrize("argv", [
    ["--hidden", "0"], ["--hidden", "8,x"], ["--hidden", "-1"],
    ["--lr", "0"], ["--lr", "-1"], ["--lr", "nan"], ["--lr", "inf"], ["--lr", "abc"],
    ["--samples", "1"], ["--epochs", "-1"], ["--seed", "-3"], ["--dtype", "float16"],
    ["--data", "f.csv", "--samples", "10"], ["--data", "f.csv", "--noise", "5"], ["--target", "price"],
    ["--speed", "0"], ["--theme", "neon"], ["--frobnicate"], ["frobnicate"],
])
def test_bad_flags_give_one_line_and_exit_2(capsys, argv):
    code, out, err = run(capsys, "train", *argv)
    assert code == 2 and out == ""
    assert err.startswith("backprop-tui: error:") and err.count("\n") == 1


def test_a_bad_csv_is_reported_before_anything_runs(capsys, bad_csv):
    code, out, err = run(capsys, "train", "--data", bad_csv)
    assert code == 2 and out == "" and "line 3, column 'b': 'x' is not a number" in err and err.count("\n") == 1


def test_the_real_process_exits_2_without_a_traceback(bad_csv):
    for argv in (["--lr", "0"], ["--data", bad_csv], ["train", "--data", bad_csv]):
        result = subprocess.run([sys.executable, "-m", "backprop_tui", *argv], capture_output=True, text=True)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_flags_stand_before_or_after_the_subcommand(capsys):
    before = run(capsys, "--lr", "0.02", "--seed", "3", "train", "--epochs", "3", "--format", "json")
    after = run(capsys, "train", "--epochs", "3", "--format", "json", "--lr", "0.02", "--seed", "3")
    assert before == after and before[0] == 0
    config = strict_json(before[1])["config"]
    assert config["learning_rate"] == 0.02 and config["seed"] == 3


def test_train_json_matches_scratchnet_directly(capsys):
    code, out, _ = run(capsys, "train", "--format", "json")
    losses = strict_json(out)["losses"]
    data_rng, weight_rng = make_rngs(0)
    dataset = make_house_prices(1000, DEFAULT_NOISE, data_rng)
    network = DenseNetwork.initialise((4, 8, 4, 1), weight_rng)
    expected = train(network, dataset.X, dataset.y, 0.01, 125).losses
    assert code == 0 and losses == expected and losses[0] > 1 and losses[120] < 0.01


def test_zero_epochs_is_valid(capsys):
    code, out, _ = run(capsys, "train", "--epochs", "0", "--format", "json")
    assert code == 0 and strict_json(out)["losses"] == []


def test_train_text_stands_beside_the_article(capsys):
    code, out, _ = run(capsys, "train")
    assert code == 0 and "Article" in out and "14.3718" in out and "\n   120      0.0033      0.0034" in out


def test_divergence_is_one_line_exit_3_and_no_numpy_warning():
    result = subprocess.run([sys.executable, "-m", "backprop_tui", "train", "--lr", "5"], capture_output=True, text=True)
    assert result.returncode == 3
    assert result.stderr.startswith("backprop-tui: diverged at epoch ") and result.stderr.count("\n") == 1
    assert result.stderr.rstrip().endswith("lower the learning rate") and "Warning" not in result.stderr


def test_divergence_json_stays_valid(capsys):
    code, out, err = run(capsys, "train", "--lr", "5", "--epochs", "50", "--format", "json")
    document = strict_json(out)
    assert code == 3 and document["diverged_at"] is not None and "diverged at epoch" in err
    code, out, _ = run(capsys, "trace", "--lr", "50", "--epoch", "150", "--format", "json")
    document = strict_json(out)
    assert code == 3
    flat = json.dumps(document["phases"])
    assert "null" in flat  # non-finite values are null, not NaN


def test_trace_json_is_the_stable_interface(capsys):
    code, out, _ = run(capsys, "trace", "--format", "json", "--samples", "20")
    document = strict_json(out)
    assert code == 0
    config = document["config"]
    assert config["sizes"] == [4, 8, 4, 1] and config["learning_rate"] == 0.01
    assert config["dtype"] == "float64" and config["seed"] == 0
    phases = document["phases"]
    assert [p["key"] for p in phases] == phase_keys(3)
    for phase in phases:
        assert set(phase) == {"key", "title", "equation", "shapes", "code", "note", "inputs", "outputs"}
        assert set(phase["equation"]) == {"unicode", "latex"}
    run_ = build_run(RunConfig(samples=20))
    recorder = TapeRecorder()
    run_.network.step(run_.dataset.X, run_.dataset.y, 0.01, record=recorder)
    for phase, recorded in zip(phases, recorder.tape):
        for name, array in recorded.outputs.items():
            assert np.array_equal(np.array(phase["outputs"][name], dtype=np.float64), array)  # full precision


def test_trace_markdown_has_a_latex_equation_per_phase(capsys):
    code, out, _ = run(capsys, "trace", "--format", "markdown", "--samples", "5")
    assert code == 0 and out.count("$$") == 2 * len(phase_keys(3))


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("backprop-tui ")
