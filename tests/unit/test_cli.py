"""The command line in this process: flags on either side of the subcommand, one-line errors, exit codes, JSON.

The same rules in a real process (exit codes, no traceback, a closed pipe) are in tests/system/test_processes.py.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

from backprop_tui import __version__
from backprop_tui.cli import main
from scratchnet import TapeRecorder, phase_keys, train
from scratchnet.data import DEFAULT_NOISE, make_house_prices
from scratchnet.network import DenseNetwork
from scratchnet.seeding import make_rngs
from tests.helpers import write

DIVERGED = re.compile(r"backprop-tui: diverged at epoch (\d+) \(loss = ([^)]+)\): lower the learning rate\n")


def strict_json(text: str):
    """json.loads, but NaN, Infinity and -Infinity (not JSON) are refused."""

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) in this process, with any warning (a NumPy overflow, say) raised as an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            code = main(list(argv))
    except SystemExit as stop:  # --help and --version exit through argparse
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2 and out == ""
    assert err.startswith("backprop-tui: error: ") and err.endswith("\n") and err.count("\n") == 1
    for fragment in fragments:
        assert fragment in err


def build_network(samples: int = 1000, seed: int = 0, dtype: str = "float64"):
    """The default run, built from scratchnet's parts without backprop_tui's config."""
    data_rng, weight_rng = make_rngs(seed)
    dataset = make_house_prices(samples, DEFAULT_NOISE, data_rng).astype(dtype)
    return dataset, DenseNetwork.initialise((4, 8, 4, 1), weight_rng, dtype)


def record_tape(samples: int, learning_rate: float, epoch: int, dtype: str = "float64"):
    dataset, network = build_network(samples, dtype=dtype)
    with np.errstate(all="ignore"):
        for _ in range(epoch):
            network.step(dataset.X, dataset.y, learning_rate)
        recorder = TapeRecorder(epoch=epoch)
        network.step(dataset.X, dataset.y, learning_rate, record=recorder)
    return recorder.tape


def assert_same_matrix(from_json, recorded: np.ndarray) -> None:
    """JSON floats equal the recorded ones bit for bit; NaN and ±inf went out as null."""
    recorded = np.asarray(recorded, dtype=np.float64)
    got = np.array(from_json, dtype=np.float64)  # null → nan
    assert got.shape == recorded.shape
    finite = np.isfinite(recorded)
    assert np.array_equal(got[finite], recorded[finite])
    assert np.all(np.isnan(got[~finite]))


BAD_FLAGS = {
    "--hidden 0": (["--hidden", "0"], "argument --hidden: hidden sizes must be positive integers"),
    "--hidden 8,x": (["--hidden", "8,x"], "(got '8,x')"),
    "--hidden -1": (["--hidden", "-1"], "(got '-1')"),
    "--lr 0": (["--lr", "0"], "argument --lr: the learning rate must be a finite number above 0 (got '0')"),
    "--lr -1": (["--lr", "-1"], "above 0 (got '-1')"),
    "--lr nan": (["--lr", "nan"], "above 0 (got 'nan')"),
    "--lr inf": (["--lr", "inf"], "above 0 (got 'inf')"),
    "--lr abc": (["--lr", "abc"], "the learning rate must be a number (got 'abc')"),
    "--samples 1": (["--samples", "1"], "--samples must be at least 2 (got 1)"),
    "--epochs -1": (["--epochs", "-1"], "--epochs must be at least 0 (got -1)"),
    "--seed -3": (["--seed", "-3"], "--seed must be at least 0 (got -3)"),
    "--dtype float16": (["--dtype", "float16"], "invalid choice: 'float16'"),
    "--data with --samples": (["--data", "f.csv", "--samples", "10"], "--data cannot be combined with --samples"),
    "--data with --noise": (["--data", "f.csv", "--noise", "5"], "--data cannot be combined with --noise"),
    "--target without --data": (["--target", "price"], "--target needs --data"),
    "unknown flag": (["--frobnicate"], "unrecognized arguments: --frobnicate"),
}


@pytest.mark.parametrize("where", ["after", "before"])
@pytest.mark.parametrize("case", list(BAD_FLAGS))
def test_bad_flags_give_one_line_and_exit_2(capsys, case, where):
    flags, fragment = BAD_FLAGS[case]
    argv = ["train", *flags] if where == "after" else [*flags, "train"]
    assert_usage_error(*run(capsys, *argv), fragment)


@pytest.mark.parametrize("argv", [["frobnicate"], ["--lr", "0.1", "frobnicate", "--epochs", "2"]])
def test_an_unknown_subcommand_is_a_usage_error(capsys, argv):
    assert_usage_error(*run(capsys, *argv), "invalid choice: 'frobnicate'")


@pytest.mark.parametrize("argv", [["trace", "--format", "yaml"], ["train", "--format", "markdown"],
                                  ["train", "--every", "0"], ["trace", "--epoch", "-1"], ["train", "--lr"]])
def test_bad_subcommand_flags_are_usage_errors(capsys, argv):
    assert_usage_error(*run(capsys, *argv), f"argument {argv[1]}: ")


def test_a_missing_csv_or_a_directory_is_one_line_and_exit_2(capsys, tmp_path):
    assert_usage_error(*run(capsys, "train", "--data", str(tmp_path / "nope.csv")), "nope.csv: no such file")
    assert_usage_error(*run(capsys, "trace", "--data", str(tmp_path)), "is a directory")


def test_the_app_refuses_a_bad_csv_before_any_ui_exists(capsys, tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,x\n4,5\n")
    assert_usage_error(*run(capsys, "--data", str(path)), "line 3, column 'b': 'x' is not a number")
    assert_usage_error(*run(capsys, "--lr", "0"), "the learning rate must be a finite number above 0")


def test_a_csv_trains_through_the_command_line(capsys, tmp_path):
    rows = "".join(f"{size},{size % 7},{2 * size + (size % 7)}\n" for size in range(10, 40))
    path = write(tmp_path, "size,rooms,price\n" + rows)
    code, out, err = run(capsys, "train", "--data", str(path), "--epochs", "4", "--format", "json")
    document = strict_json(out)
    assert code == 0 and err == ""
    assert document["config"]["data"] == str(path) and document["config"]["sizes"] == [2, 8, 4, 1]
    assert document["config"]["samples"] is None and len(document["losses"]) == 4


def test_a_csv_with_text_columns_says_once_which_were_left_out(capsys, tmp_path):
    rows = "".join(f"{size},Oslo,{size % 7},north,{2 * size}\n" for size in range(10, 20))
    path = write(tmp_path, "size,city,rooms,side,price\n" + rows)
    code, out, err = run(capsys, "train", "--data", str(path), "--epochs", "2")
    assert code == 0 and out.startswith(" Epoch")
    assert err == "backprop-tui: note: columns 'city', 'side' have no numbers, so they are not features\n"


def test_flags_before_and_after_the_subcommand_give_identical_output(capsys):
    before = run(capsys, "--lr", "0.02", "train", "--epochs", "3")
    after = run(capsys, "train", "--epochs", "3", "--lr", "0.02")
    default_lr = run(capsys, "train", "--epochs", "3")
    assert before == after and before[0] == 0 and before[2] == ""
    assert before[1].splitlines()[0].split() == ["Epoch", "Loss"]
    assert before[1] != default_lr[1]  # the learning rate really was 0.02


def test_a_flag_before_the_subcommand_is_not_overwritten_by_a_default(capsys):
    code, out, _ = run(capsys, "--epochs", "4", "--lr", "0.02", "--seed", "3", "--dtype", "float32",
                       "--hidden", "5", "train", "--format", "json")
    document = strict_json(out)
    assert code == 0 and len(document["losses"]) == 4
    config = document["config"]
    assert config["epochs"] == 4 and config["learning_rate"] == 0.02 and config["seed"] == 3
    assert config["dtype"] == "float32" and config["sizes"] == [4, 5, 1]


def test_zero_epochs_is_valid(capsys):
    code, out, err = run(capsys, "train", "--epochs", "0", "--format", "json")
    document = strict_json(out)
    assert code == 0 and err == "" and document["losses"] == [] and document["diverged_at"] is None


def test_train_json_has_a_loss_per_epoch_equal_to_scratchnet_directly(capsys):
    code, out, err = run(capsys, "train", "--format", "json")
    document = strict_json(out)
    dataset, network = build_network()
    expected = train(network, dataset.X, dataset.y, 0.01, 125).losses
    assert code == 0 and err == ""
    assert document["losses"] == expected and len(expected) == 125
    assert document["losses"][0] > 1 and document["losses"][120] < 0.01
    assert document["diverged_at"] is None


def test_train_text_stands_beside_the_article(capsys):
    code, out, _ = run(capsys, "train")
    assert code == 0 and "Article" in out and "14.3718" in out and "\n   120      0.0033      0.0034" in out
    assert out.splitlines()[-1].split()[0] == "124"  # the last epoch run closes the table


def test_divergence_json_stays_valid(capsys):
    code, out, err = run(capsys, "train", "--lr", "5", "--format", "json")
    document = strict_json(out)
    match = DIVERGED.fullmatch(err)
    assert code == 3 and match
    losses = document["losses"]
    dataset, network = build_network()
    expected = train(network, dataset.X, dataset.y, 5.0, 125)
    assert losses == expected.losses and document["diverged_at"] == expected.diverged_at == len(losses) - 1
    assert int(match[1]) == document["diverged_at"] and match[2] == f"{losses[-1]:.4g}"


def test_a_non_finite_loss_goes_out_as_null(capsys):
    code, out, err = run(capsys, "train", "--lr", "1e300", "--format", "json")
    document = strict_json(out)
    losses = document["losses"]
    assert code == 3 and losses[-1] is None and all(isinstance(loss, float) for loss in losses[:-1])
    assert document["diverged_at"] == len(losses) - 1
    assert DIVERGED.fullmatch(err) and "(loss = nan)" in err


def test_trace_json_is_the_stable_interface_at_full_precision(capsys):
    code, out, err = run(capsys, "trace", "--format", "json", "--samples", "20")
    document = strict_json(out)
    assert code == 0 and err == ""
    config = document["config"]
    assert config["sizes"] == [4, 8, 4, 1] and config["learning_rate"] == 0.01
    assert config["dtype"] == "float64" and config["seed"] == 0 and config["epoch"] == 0
    phases = document["phases"]
    assert [phase["key"] for phase in phases] == phase_keys(3)
    tape = record_tape(20, 0.01, 0)
    for phase, recorded in zip(phases, tape, strict=True):
        assert set(phase) == {"key", "title", "equation", "shapes", "code", "note", "inputs", "outputs"}
        assert phase["equation"] == {"unicode": recorded.equation.unicode, "latex": recorded.equation.latex}
        assert phase["title"] == recorded.title and phase["code"] == recorded.code
        assert phase["shapes"] == recorded.shapes and phase["note"] == recorded.note
        assert list(phase["inputs"]) == list(recorded.inputs) and list(phase["outputs"]) == list(recorded.outputs)
        for side, matrices in (("inputs", recorded.inputs), ("outputs", recorded.outputs)):
            for name, array in matrices.items():
                assert_same_matrix(phase[side][name], array)
    z1 = np.array(phases[0]["outputs"]["Z1"])
    assert z1.shape == (20, 8) and np.array_equal(z1, tape[0].outputs["Z1"])  # not rounded anywhere


def test_trace_json_of_a_float32_run_round_trips(capsys):
    code, out, _ = run(capsys, "trace", "--format", "json", "--samples", "10", "--dtype", "float32")
    document = strict_json(out)
    assert code == 0 and document["config"]["dtype"] == "float32"
    tape = record_tape(10, 0.01, 0, "float32")
    for phase, recorded in zip(document["phases"], tape, strict=True):
        for name, array in recorded.outputs.items():
            assert array.dtype == np.float32
            assert np.array_equal(np.array(phase["outputs"][name], dtype=np.float32), array)


@pytest.mark.parametrize(("learning_rate", "samples", "some_null"), [("5", 1000, False), ("1e300", 50, True)])
def test_trace_of_a_diverged_run_is_still_valid_json(capsys, learning_rate, samples, some_null):
    code, out, err = run(capsys, "trace", "--lr", learning_rate, "--epoch", "3", "--format", "json",
                         *(["--samples", str(samples)] if samples != 1000 else []))
    document = strict_json(out)
    assert code == 3 and DIVERGED.fullmatch(err) and document["config"]["epoch"] == 3
    tape = record_tape(samples, float(learning_rate), 3)
    non_finite = 0
    for phase, recorded in zip(document["phases"], tape, strict=True):
        for side, matrices in (("inputs", recorded.inputs), ("outputs", recorded.outputs)):
            for name, array in matrices.items():
                assert_same_matrix(phase[side][name], array)
                non_finite += int(np.count_nonzero(~np.isfinite(array)))
    assert (non_finite > 0) == some_null  # at η = 5 epoch 3 is huge but finite; at η = 1e300 it is NaN
    assert out.count("null") >= non_finite


def test_trace_markdown_has_a_latex_equation_per_phase(capsys):
    code, out, err = run(capsys, "trace", "--format", "markdown", "--samples", "5")
    assert code == 0 and err == ""
    tape = record_tape(5, 0.01, 0)
    # each phase: its equation, and one cell worked out in LaTeX
    assert out.count("$$") == 2 * 2 * len(phase_keys(3)) == 4 * len(tape)
    position = 0
    for phase in tape:  # each phase's equation, in order
        position = out.index(f"$${phase.equation.latex}$$", position) + 1


def test_trace_text_lists_every_phase(capsys):
    code, out, _ = run(capsys, "trace", "--samples", "5")
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("── ")]
    assert [heading.split()[2] for heading in headings] == phase_keys(3)


def test_version(capsys):
    assert run(capsys, "--version") == (0, f"backprop-tui {__version__}\n", "")


@pytest.mark.parametrize("flag", ["--lr", "--noise", "--speed"])
def test_a_flag_value_with_a_newline_still_gives_one_line(capsys, flag):
    assert_usage_error(*run(capsys, "train", flag, "-1\n"), flag)


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_a_diverged_trace_prints_nan_quietly_and_exits_3(capsys, output_format):
    code, out, err = run(capsys, "trace", "--lr", "1e300", "--epoch", "3", "--samples", "20", "--format", output_format)
    assert code == 3 and DIVERGED.fullmatch(err) and "(loss = nan)" in err
    assert out.lower().count("nan") > 20 and "Warning" not in out


def test_the_article_column_stands_beside_the_articles_network_only(capsys):
    code, out, _ = run(capsys, "train", "--epochs", "3")
    assert code == 0 and "Article" in out.splitlines()[0]
    for flags in (("--activation", "relu"), ("--hidden", "8:tanh,4"), ("--lr", "0.02")):
        code, out, _ = run(capsys, "train", "--epochs", "3", *flags)
        assert code == 0 and "Article" not in out.splitlines()[0], flags
