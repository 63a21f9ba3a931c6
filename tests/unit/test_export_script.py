"""`export-script DIR`: run.py with only NumPy prints what `train` prints, byte for byte, for every kind of run.

Each case exports a run, runs `python run.py` in a subprocess (isolated, from the export folder, with every import
of a module outside the standard library and NumPy refused, so it is proven to need nothing of backprop-tui), and
compares its stdout, stderr's divergence line and exit code with `backprop-tui train` run in this process with the
same flags. Also: the folder's rules (what it may replace, what it refuses, one line and exit 2), data.npz's
contents, and the script reading like the article.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_tui.cli import main, parse
from backprop_tui.config import build_run
from backprop_tui.script_source import MARKER, train_flags
from tests.helpers import write

ONLY_NUMPY = """
import runpy, sys

allowed = set(sys.stdlib_module_names) | {"numpy"}


class OnlyNumPy:
    \"\"\"Refuses every import outside the standard library and NumPy, so the script cannot lean on anything else.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in allowed:
            raise ImportError(f"run.py may import only the standard library and NumPy, not {name}")
        return None


sys.meta_path.insert(0, OnlyNumPy())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

IRIS = "petal_length,petal_width,sepal_length,city,species\n" + "".join(
    f"{1.0 + (i * 37 % 50) / 10:.1f},{0.1 + (i * 13 % 25) / 10:.1f},{4.3 + (i * 7 % 36) / 10:.1f},Oslo,"
    f"{('setosa', 'versicolor', 'virginica')[i % 3]}\n" for i in range(45))
HOUSES = "size,rooms,age,price\n" + "".join(
    f"{800 + i * 37 % 900},{1 + i % 5},{i * 11 % 60},{100000 + (i * 7919) % 250000}\n" for i in range(40))
DIGITS = "a,b,digit\n" + "".join(f"{i % 7},{(i * 5) % 11},{(2, 10, 7)[i % 3]}\n" for i in range(30))


def cli(*argv: str) -> tuple[int, str, str]:
    """backprop-tui ARGV in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def export(folder: Path, *flags: str) -> Path:
    code, out, err = cli("export-script", str(folder), *flags)
    assert code == 0, err
    return folder


def run_script(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python run.py ARGS` from the export's folder, isolated (-I: no user site, no PYTHON* variables, not even the
    folder on the path), only NumPy importable beside the standard library."""
    env = {key: value for key, value in os.environ.items() if key == "PATH" or key.startswith(("OPENBLAS", "OMP_"))}
    return subprocess.run([sys.executable, "-I", "-c", ONLY_NUMPY, str(folder / "run.py"), *args], cwd=folder, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def assert_same(folder: Path, flags: list[str], output: str = "json", *extra: str) -> int:
    """run.py --format OUTPUT EXTRA prints what `train --format OUTPUT EXTRA FLAGS` prints, and exits the same way;
    returns the exit code."""
    code, out, err = cli("train", "--format", output, *extra, *flags)
    result = run_script(folder, "--format", output, *extra)
    assert result.stdout == out
    assert result.returncode == code, result.stderr
    diverged = [line for line in err.splitlines() if "diverged" in line]
    assert result.stderr.splitlines() == diverged
    return code


CASES = {
    "the article": ["--epochs", "25"],
    "relu, tanh, momentum, ragged batches": ["--hidden", "6:relu,5:tanh", "--samples", "50", "--batch-size", "16",
                                            "--optimizer", "momentum", "--momentum", "0.8", "--epochs", "6"],
    "sigmoid, leaky relu, softmax, adam, decay, held out": [
        "--dataset", "spiral", "--samples", "90", "--hidden", "7:sigmoid,5:leaky_relu", "--optimizer", "adam",
        "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-6", "--weight-decay", "0.01", "--batch-size", "32",
        "--test-fraction", "0.2", "--lr", "0.05", "--epochs", "6"],
    "float32 classes, full batch, held out, decay": [
        "--dataset", "moons", "--samples", "60", "--hidden", "8", "--activation", "tanh", "--dtype", "float32",
        "--test-fraction", "0.25", "--weight-decay", "0.001", "--lr", "0.3", "--epochs", "8"],
    "float32 adam, batches": ["--dtype", "float32", "--optimizer", "adam", "--samples", "70", "--batch-size", "20",
                              "--hidden", "5:relu", "--epochs", "5"],
    "mse on classes, no hidden layer": ["--dataset", "gauss", "--samples", "40", "--hidden", "", "--loss", "mse",
                                        "--epochs", "5"],
    "diverging": ["--lr", "5", "--samples", "60", "--epochs", "60"],
    "diverging float32 classes": ["--dataset", "xor", "--samples", "40", "--hidden", "6:relu", "--lr", "1e4",
                                  "--dtype", "float32", "--epochs", "40"],
    "no epochs": ["--epochs", "0", "--samples", "20", "--test-fraction", "0.2"],
}


@pytest.mark.parametrize("name", CASES)
def test_run_py_prints_trains_json_byte_for_byte(tmp_path, name):
    flags = CASES[name]
    code = assert_same(export(tmp_path / "run", *flags), flags)
    assert code == (3 if name.startswith("diverging") else 0)


@pytest.mark.parametrize(("name", "data", "flags"), [
    ("text labels, held out", IRIS, ["--hidden", "6:relu", "--test-fraction", "0.2", "--batch-size", "16"]),
    ("a regression", HOUSES, ["--target", "price", "--hidden", "4:sigmoid", "--optimizer", "adam",
                              "--test-fraction", "0.25"]),
    ("whole numbers as labels", DIGITS, ["--labels", "--optimizer", "momentum", "--dtype", "float32"]),
])
def test_a_csv_run_prints_the_same(tmp_path, name, data, flags):
    path = write(tmp_path, data, "data.csv")
    flags = ["--data", str(path), *flags, "--epochs", "7", "--lr", "0.05"]
    assert assert_same(export(tmp_path / "run", *flags), flags) == 0


@pytest.mark.parametrize(("flags", "output", "extra"), [
    (["--epochs", "130"], "text", ["--every", "20"]),  # the article's column beside ours, and the last epoch
    (CASES["sigmoid, leaky relu, softmax, adam, decay, held out"], "text", ["--every", "2"]),
    (CASES["sigmoid, leaky relu, softmax, adam, decay, held out"], "csv", []),
    (CASES["diverging"], "text", []),
    (CASES["diverging float32 classes"], "csv", []),
])
def test_text_and_csv_print_the_same(tmp_path, flags, output, extra):
    assert_same(export(tmp_path / "run", *flags), flags, output, *extra)


run_flags = st.fixed_dictionaries({
    "dataset": st.sampled_from(["houses", "circle", "spiral"]),
    "samples": st.integers(12, 40),
    "hidden": st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["none", "relu", "tanh", "sigmoid", "leaky_relu"])),
                       max_size=2),
    "optimizer": st.sampled_from(["sgd", "momentum", "adam"]),
    "lr": st.sampled_from(["0.01", "0.1", "0.5", "3"]),
    "weight_decay": st.sampled_from(["0", "0.01"]),
    "batch_size": st.sampled_from([None, 1, 5, 7, 100]),
    "test_fraction": st.sampled_from(["0", "0.25"]),
    "dtype": st.sampled_from(["float64", "float32"]),
    "epochs": st.integers(0, 5),
    "seed": st.integers(0, 3),
})


@settings(max_examples=10, deadline=None)
@given(run_flags)
def test_any_small_run_prints_the_same(chosen):
    layers = ",".join(f"{size}:{name}" for size, name in chosen["hidden"])
    flags = ["--dataset", chosen["dataset"], "--samples", str(chosen["samples"]), "--hidden", layers,
             "--optimizer", chosen["optimizer"], "--lr", chosen["lr"], "--weight-decay", chosen["weight_decay"],
             "--test-fraction", chosen["test_fraction"], "--dtype", chosen["dtype"], "--epochs", str(chosen["epochs"]),
             "--seed", str(chosen["seed"])]
    if chosen["batch_size"] is not None:
        flags += ["--batch-size", str(chosen["batch_size"])]
    with tempfile.TemporaryDirectory() as folder:
        assert_same(export(Path(folder), *flags), flags)


# --- what the folder holds -----------------------------------------------------------------------------------


def test_data_npz_holds_the_runs_data_and_initial_parameters_at_its_dtype(tmp_path):
    flags = ["--dataset", "circle", "--samples", "40", "--hidden", "3:relu", "--test-fraction", "0.25",
             "--dtype", "float32"]
    export(tmp_path, *flags)
    run = build_run(parse(flags)[1])
    with np.load(tmp_path / "data.npz") as data:
        arrays = dict(data)
    assert sorted(arrays) == ["W1", "W2", "X", "b1", "b2", "feature_names", "target_name", "test_X", "test_y", "y"]
    assert run.dataset.test_X is not None and run.dataset.test_y is not None
    expected = {"X": run.dataset.X, "y": run.dataset.y, "test_X": run.dataset.test_X, "test_y": run.dataset.test_y,
                "W1": run.initial_parameters[0][0], "b1": run.initial_parameters[0][1],
                "W2": run.initial_parameters[1][0], "b2": run.initial_parameters[1][1]}
    for name, array in expected.items():
        assert arrays[name].dtype == np.float32 and arrays[name].tobytes() == array.tobytes(), name
    assert arrays["feature_names"].tolist() == ["x1", "x2"] and arrays["target_name"].item() == "class"


def test_the_config_printed_is_trains_and_the_script_says_the_same_run(tmp_path):
    flags = ["--dataset", "spiral", "--samples", "30", "--hidden", "4:tanh", "--noise", "0.1", "--epochs", "2",
             "--optimizer", "adam", "--eps", "1e-07", "--weight-decay", "0.5", "--batch-size", "8", "--seed", "5"]
    export(tmp_path, *flags)
    result = run_script(tmp_path, "--format", "json")
    assert json.loads(result.stdout)["config"] == json.loads(cli("train", "--format", "json", *flags)[1])["config"]
    config = parse(flags)[1]
    run = build_run(config)
    named = train_flags(run.config, run.dataset.is_classification)
    assert f"backprop-tui train {' '.join(named)}" in (tmp_path / "run.py").read_text()
    assert replace(parse(named)[1], loss=run.config.loss) == run.config


def test_the_article_run_reads_like_the_article(tmp_path):
    text = (export(tmp_path) / "run.py").read_text()
    for line in ("class DenseLayer:", "def get_local_derivative_wrt_weights(self):",
                 "def get_local_derivative_wrt_inputs(self):", "output = np.dot(input_matrix, self.weight) + self.bias",
                 "np.sum(cumulated_backpropagating_gradient, axis=0, keepdims=True)", "class DenseNetwork:",
                 "class MeanSquaredError:", "class GradientDescent:", "ARTICLE_LOSSES = {0: 14.3718"):
        assert line in text, line
    for absent in ("class Activation", "weight_decay", "Softmax", "class Adam", "class Momentum", "backprop_tui",
                   "scratchnet"):
        assert absent not in text.split("ARTICLE_LOSSES =", 1)[1], absent  # the code, after the settings
    assert text.startswith(MARKER + "\n")


def test_the_script_passes_the_linter(tmp_path):
    """The blocks put together are tidy Python (the repository's rules), with every optional block in, and no line of
    code is longer than the repository's 120 characters (the docstring's backprop-tui command may be)."""
    folder = export(tmp_path, "--dataset", "spiral", "--samples", "30", "--hidden", "3:relu,3:tanh,3:sigmoid,3:leaky_relu",
                    "--optimizer", "adam", "--weight-decay", "0.1", "--epochs", "1")
    other = export(tmp_path / "other", "--optimizer", "momentum", "--epochs", "1")
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select",
                             "E,F,I,UP,B,W", "--ignore", "E501,B905", "--target-version", "py311",
                             str(folder / "run.py"), str(other / "run.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for script in (folder / "run.py", other / "run.py"):
        code = script.read_text().split('"""\n', 1)[1]  # after the marker and the docstring
        assert max(map(len, code.splitlines())) <= 120


# --- the folder's rules ----------------------------------------------------------------------------------------


def test_the_folder_is_made_and_what_was_written_is_said(tmp_path):
    folder = tmp_path / "a" / "b"
    code, out, err = cli("export-script", str(folder), "--samples", "20", "--test-fraction", "0.25")
    assert code == 0 and err == ""
    assert sorted(path.name for path in folder.iterdir()) == ["data.npz", "run.py"]
    assert out.splitlines() == [
        f"wrote {folder / 'run.py'} and {folder / 'data.npz'} (15 training rows and 5 held-out rows, 4 → 8 → 4 → 1, "
        "float64)",
        f"run it with only Python and NumPy:  python {folder / 'run.py'} [--format text|json|csv] [--every K]"]


def test_an_earlier_export_is_replaced(tmp_path):
    export(tmp_path, "--epochs", "3", "--samples", "20")
    (tmp_path / "notes.txt").write_text("mine")
    export(tmp_path, "--epochs", "4", "--samples", "20")
    assert '"epochs": 4,' in (tmp_path / "run.py").read_text()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data.npz", "notes.txt", "run.py"]  # no temp files


@pytest.mark.parametrize(("present", "fragment"), [
    ({"run.py": "print('my own work')\n"}, "run.py exists and was not written by export-script"),
    ({"data.npz": "mine"}, "data.npz exists without the run.py of an export"),
])
def test_a_learners_files_are_never_replaced(tmp_path, present, fragment):
    for name, text in present.items():
        (tmp_path / name).write_text(text)
    code, out, err = cli("export-script", str(tmp_path), "--epochs", "1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("backprop-tui: error: ") and fragment in err
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == present


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--break", "nan"], "--break is not part of an exported script"),
    (["--data", "missing.csv"], "missing.csv"),
])
def test_bad_requests_are_one_line_and_write_nothing(tmp_path, argv, fragment):
    folder = tmp_path / "new"
    code, out, err = cli("export-script", str(folder), *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and fragment in err
    assert not folder.exists()


def test_a_file_where_the_folder_should_be_is_refused(tmp_path):
    path = write(tmp_path, "x", "run")
    code, out, err = cli("export-script", str(path))
    assert code == 2 and err == f"backprop-tui: error: {path}: exists and is not a folder\n"


def test_a_failed_write_leaves_no_half_file(tmp_path, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", refuse)
    code, out, err = cli("export-script", str(tmp_path), "--epochs", "1")
    assert code == 2 and err == f"backprop-tui: error: cannot write {tmp_path / 'data.npz'}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []
