"""`train --break`: stops at the first iteration where a condition holds and says where, in every format."""

from __future__ import annotations

import json
import warnings

import pytest

from backprop_tui.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) in this process, with any warning raised as an error (a run that overflows must silence it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_it_stops_where_a_gradient_first_exceeds_a_norm_and_says_the_phase(capsys):
    code, out, err = run(capsys, "train", "--samples", "200", "--lr", "0.05", "--break", "norm(dW1) > 10")
    assert code == 0 and err == ""
    assert out.splitlines()[-1].startswith("stopped at epoch 0: norm(dW1) > 10 (norm(dW1) = ")
    assert "phase backward.1.weight (dW1[0,0] = " in out


def test_nan_stops_at_the_first_phase_that_made_a_non_finite_value(capsys):
    code, out, err = run(capsys, "train", "--samples", "200", "--lr", "2", "--break", "nan")
    last = out.splitlines()[-1]
    assert code == 0 and err == "" and last.startswith("stopped at epoch ") and ": nan, phase forward." in last
    assert "= inf)" in last or "= nan)" in last or "= -inf)" in last


def test_the_divergence_rule_does_not_end_a_run_that_has_conditions(capsys):
    code, out, err = run(capsys, "train", "--samples", "200", "--lr", "0.15")
    assert code == 3 and "diverged at epoch" in err
    code, out, err = run(capsys, "train", "--samples", "200", "--lr", "0.15", "--break", "epoch == 7", "--every", "1")
    assert code == 0 and out.splitlines()[-1].startswith("stopped at epoch 7: epoch == 7")
    # an epoch-level condition is checked as its epoch ends: epoch 7's loss is in the table
    assert [line.split()[0] for line in out.splitlines()[1:-1]] == [str(epoch) for epoch in range(8)]


def test_a_non_finite_loss_that_no_condition_asked_for_ends_the_run_with_exit_3(capsys):
    code, out, err = run(capsys, "train", "--samples", "200", "--lr", "2", "--break", "loss < 0.01")
    assert code == 3 and "stopped" not in out
    assert err.startswith("backprop-tui: the loss is not a finite number at epoch ") and "--break nan" in err
    assert err.count("\n") == 1


def test_the_first_of_several_conditions_to_hold_stops_it_and_none_holding_runs_to_the_end(capsys):
    code, out, _ = run(capsys, "train", "--samples", "200", "--lr", "0.05", "--break", "epoch == 9", "--break", "loss < 1",
                       "--every", "1")
    rows, last = out.splitlines()[1:-1], out.splitlines()[-1]
    assert code == 0 and last.startswith(f"stopped at epoch {len(rows) - 1}: loss < 1 (loss = 0.") and len(rows) < 9
    assert all(float(row.split()[1]) >= 1 for row in rows[:-1]) and float(rows[-1].split()[1]) < 1
    code, out, err = run(capsys, "train", "--samples", "200", "--epochs", "5", "--break", "epoch == 9")
    assert code == 0 and err == "backprop-tui: no condition held in 5 epochs\n"


def test_json_says_where_it_stopped_and_batches_say_which_batch(capsys):
    code, out, _ = run(capsys, "train", "--samples", "200", "--batch-size", "50", "--break", "norm(dW2) > 0",
                       "--format", "json")
    stopped = json.loads(out)["stopped"]
    assert code == 0 and (stopped["epoch"], stopped["iteration"]) == (0, 0)
    assert stopped["phase"] == "backward.2.weight" and stopped["matrix"] == "dW2" and stopped["condition"] == "norm(dW2) > 0"
    code, out, _ = run(capsys, "train", "--samples", "200", "--batch-size", "50", "--break", "epoch == 1 and ratio(W2) > 0")
    assert "stopped at epoch 1, batch 1/4: epoch == 1 and ratio(W2) > 0" in out


@pytest.mark.parametrize(("condition", "fragments"), [
    ("norm(dW9) > 1", ("no matrix 'dW9'", "column 6")),
    ("__import__('os').system('echo hi')", ("unknown name '__import__'", "column 1")),
    ("loss <", ("expected a number", "column 7")),
    ("ratio(dW1) > 1", ("ratio reads a weight or a bias",)),
])
def test_a_bad_condition_is_a_one_line_usage_error(capsys, condition, fragments):
    code, out, err = run(capsys, "train", "--samples", "50", "--break", condition)
    assert code == 2 and out == "" and err.startswith("backprop-tui: error: ") and err.count("\n") == 1
    assert all(fragment in err for fragment in fragments), err
