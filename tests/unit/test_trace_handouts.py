"""`trace --format npz` and `trace --format markdown --lesson`, in this process: where the file goes, what it holds,
the one-line errors, and a lesson's notes beside their phases."""

from __future__ import annotations

import errno
import json

import numpy as np
import pytest

from backprop_tui.cli import main
from backprop_tui.lesson import load_lesson
from scratchnet.debugger.names import ascii_name


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2 and out == ""
    assert err.startswith("backprop-tui: error: ") and err.count("\n") == 1 and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def json_matrices(capsys, *flags: str) -> dict[str, np.ndarray]:
    code, out, _ = run(capsys, "trace", "--format", "json", *flags)
    assert code == 0
    matrices: dict[str, np.ndarray] = {}
    for phase in json.loads(out)["phases"]:
        for side in ("inputs", "outputs"):
            for name, values in phase[side].items():
                array = np.array(values, dtype=object)
                matrices[ascii_name(name)] = np.where(array == None, np.nan, array).astype(np.float64)  # noqa: E711
    return matrices


@pytest.mark.parametrize("flags,some_keys", [
    (("--samples", "20"), {"dL_dyhat", "W2_new", "dW2", "squared_error"}),
    (("--samples", "24", "--optimizer", "adam", "--batch-size", "8", "--epoch", "1", "--iteration", "2"),
     {"mhatW1", "shatb3", "mW2_new", "sb1"}),
    (("--dataset", "spiral", "--samples", "30", "--activation", "relu", "--optimizer", "momentum"),
     {"dL_dZ3", "P", "A1", "dZ2", "vW1_new", "sample_loss"}),
])
def test_npz_holds_every_matrix_of_the_iteration_by_its_ascii_name(capsys, tmp_path, flags, some_keys):
    target = tmp_path / "iteration.npz"
    code, out, err = run(capsys, "trace", "--format", "npz", "--out", str(target), *flags)
    assert code == 0 and err == "" and out == f"{target}\n"
    expected = json_matrices(capsys, *flags)
    assert some_keys <= set(expected)
    with np.load(target) as saved:
        assert sorted(saved.files) == sorted(expected)
        for name, array in expected.items():
            assert np.array_equal(np.asarray(saved[name], dtype=np.float64).reshape(array.shape), array,
                                  equal_nan=True), name


def test_npz_keeps_the_runs_dtype_and_goes_into_a_folder_named_after_the_iteration(capsys, tmp_path):
    out = tmp_path / "new" / "folder"
    code, printed, _ = run(capsys, "trace", "--format", "npz", "--out", str(out), "--dtype", "float32", "--samples",
                           "9", "--batch-size", "4", "--epoch", "2", "--iteration", "1")
    assert code == 0 and printed == f"{out / 'backprop-epoch2-iteration1.npz'}\n"
    with np.load(out / "backprop-epoch2-iteration1.npz") as saved:
        assert saved["X"].shape == (4, 4) and saved["W1"].dtype == np.float32 and saved["loss"].shape == ()
    code, printed, _ = run(capsys, "trace", "--format", "npz", "--out", str(out), "--samples", "9")
    assert printed == f"{out / 'backprop-epoch0.npz'}\n"


def test_npz_paths_that_cannot_be_written_are_one_line_and_exit_2(capsys, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    assert_one_line_error(*run(capsys, "trace", "--format", "npz", "--out", str(tmp_path / "missing" / "a.npz")),
                          "missing does not exist")
    assert_one_line_error(*run(capsys, "trace", "--format", "npz", "--out", str(tmp_path / "file" / "a.npz")),
                          "file is not a folder")
    assert_one_line_error(*run(capsys, "trace", "--format", "npz", "--out", str(tmp_path / "file")),
                          "exists and is not a folder")
    assert_one_line_error(*run(capsys, "trace", "--format", "npz", "--out", str(tmp_path / "file" / "below")),
                          "cannot be created")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    assert_one_line_error(*run(capsys, "trace", "--format", "npz", "--out", str(tmp_path / "a.npz"), "--samples",
                               "5"), f"cannot write {tmp_path / 'a.npz'}: No space left on device")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]  # no half file, no temporary file


def test_a_lessons_notes_stand_beside_their_phases_in_the_handout(capsys):
    code, out, err = run(capsys, "trace", "--format", "markdown", "--lesson", "article", "--samples", "20")
    assert code == 0 and err == ""
    lesson = load_lesson("article")
    sections = {section.split("\n\n`", 1)[1].split("`", 1)[0]: section for section in out.split("\n## ")[1:]}
    for number, step in enumerate(lesson.steps, 1):
        assert f"> **Lesson step {number}/{len(lesson.steps)}.** {step.note}" in sections[step.phase]
    pinned = sections["update.2"]  # pin = "W2[3,1]": the update's W₂'[3,1] is worked out from it
    assert "`W₂'[3,1] = W₂[3,1] − η·dW₂[3,1] = " in pinned
    assert "`∂L/∂W₃[0,0] = " in sections["backward.3.weight"]  # pin = "dW3[0,0]"
    assert "Lesson step" not in sections["backward.2.bias"]


def test_a_lesson_with_flags_traces_the_network_it_opens_on_with_that_networks_steps(capsys):
    code, out, _ = run(capsys, "trace", "--format", "markdown", "--lesson", "nonlinear", "--samples", "40")
    assert code == 0
    assert "Network 2→8→8→2" in out and "3 of its 6 steps beside their phases" in out
    assert "## ReLU" not in out and "Lesson step 4/6" not in out  # the ReLU network's steps are another run's
    code, relu, _ = run(capsys, "trace", "--format", "markdown", "--lesson", "nonlinear", "--samples", "40",
                        "--activation", "relu")
    assert code == 0 and "6 of its 6 steps" in relu and "`dZ₁[0,0] = " in relu  # step 5 pins dZ1[0,0]
    code, later, _ = run(capsys, "trace", "--format", "markdown", "--lesson", "nonlinear", "--samples", "40",
                         "--epoch", "1")
    assert code == 0 and "0 of its 6 steps" in later


def test_a_lesson_step_the_network_has_not_got_is_one_line(capsys, tmp_path):
    lesson = tmp_path / "l.toml"
    lesson.write_text('[[step]]\nphase = "activation.1"\nnote = "No such phase here."\n')
    assert_one_line_error(*run(capsys, "trace", "--format", "markdown", "--lesson", str(lesson), "--samples", "5"),
                          "unknown phase 'activation.1'")


def test_the_article_lesson_leaves_the_json_contract_as_it_is(capsys):
    plain = run(capsys, "trace", "--format", "json", "--samples", "10")
    with_lesson = run(capsys, "trace", "--format", "json", "--samples", "10", "--lesson", "article")
    assert plain == with_lesson and plain[0] == 0
