"""Cell explanations and the gradient check, against values computed independently here."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import DenseNetwork, TapeRecorder
from scratchnet.explain import change_matrix, explain, largest_changes, producer
from scratchnet.gradcheck import Cancelled, check_gradient, is_gradient_phase, relative_error
from tests.reference import central_difference, forward_from, loss_of_prediction


def recorded(sizes=(4, 8, 4, 1), rows=30, seed=1, dtype="float64"):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, sizes[0])).astype(dtype)
    y = rng.normal(size=(rows, sizes[-1])).astype(dtype)
    network = DenseNetwork.initialise(sizes, rng, dtype)
    recorder = TapeRecorder()
    network.step(X, y, 0.01, record=recorder)
    return recorder.tape


def phase(tape, key):
    return tape[tape.index(key)]


def fmt(value: float) -> str:
    return f"{value:.4f}"


def test_forward_terms_constant_and_total():
    tape = recorded()
    p = phase(tape, "forward.2")
    A, W, b, Z = p.inputs["Z1"], p.inputs["W2"], p.inputs["b2"], p.outputs["Z2"]
    e = explain(tape, p, "Z2", 3, 1)
    assert [t.value for t in e.terms] == [A[3, k] * W[k, 1] for k in range(4)]
    assert e.n_terms == 8 and e.constant == b[0, 1] and e.total == Z[3, 1]
    assert np.isclose(sum(A[3, k] * W[k, 1] for k in range(8)) + b[0, 1], e.total)
    assert (e.reads["Z1"].row, e.reads["Z1"].column) == (3, None)
    assert (e.reads["W2"].row, e.reads["W2"].column) == (None, 1)
    text = e.text(fmt)
    assert text.startswith("Z₂[3,1] = Z₁[3,:]·W₂[:,1] + b₂[1] = ") and "…" in text and text.endswith(fmt(e.total))
    assert "…" not in explain(tape, phase(tape, "forward.1"), "Z1", 0, 0).text(fmt)  # 4 terms: all shown


def test_error_loss_and_loss_gradient():
    tape = recorded()
    p = phase(tape, "error")
    e = explain(tape, p, "error", 5, 0)
    assert e.total == p.inputs["Z3"][5, 0] - p.inputs["y"][5, 0]
    assert (e.reads["y"].row, e.reads["y"].column) == (5, 0)
    loss = phase(tape, "loss")
    squared = loss.outputs["squared_error"][:, 0]
    s = explain(tape, loss, "squared_error", 2, 0)
    assert s.total == squared[2] and s.terms[0].value == loss.inputs["error"][2, 0] ** 2
    m = explain(tape, loss, "loss", 0, 0)
    assert m.n_terms == 30 and m.total == float(loss.outputs["loss"])
    assert [c.sample for c in m.top] == list(np.argsort(-squared)[:3])
    assert np.isclose(m.top[0].share, squared.max() / squared.sum())
    g = explain(tape, phase(tape, "loss_gradient"), "dL/dŷ", 4, 0)
    assert g.total == phase(tape, "loss_gradient").outputs["dL/dŷ"][4, 0]
    assert np.isclose(2 * loss.inputs["error"][4, 0] / 30, g.total)


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_weight_bias_and_input_gradients(layer):
    tape = recorded()
    w = phase(tape, f"backward.{layer}.weight")
    a_name, g_name = list(w.inputs)
    A, G = w.inputs[a_name], w.inputs[g_name]
    k, j = A.shape[1] - 1, G.shape[1] - 1
    e = explain(tape, w, f"dW{layer}", k, j)
    terms = A[:, k] * G[:, j]
    assert e.n_terms == 30 and e.total == w.outputs[f"dW{layer}"][k, j]
    assert [t.value for t in e.terms] == list(terms[:4]) and np.isclose(terms.sum(), e.total)
    assert [c.sample for c in e.top] == list(np.argsort(-np.abs(terms))[:3])
    assert np.isclose(sum(c.share for c in e.top), np.sort(np.abs(terms))[-3:].sum() / np.abs(terms).sum())
    assert (e.reads[a_name].column, e.reads[g_name].column) == (k, j)
    b = explain(tape, phase(tape, f"backward.{layer}.bias"), f"db{layer}", 0, j)
    assert np.isclose(G[:, j].sum(), b.total) and b.total == phase(tape, f"backward.{layer}.bias").outputs[f"db{layer}"][0, j]
    x = phase(tape, f"backward.{layer}.input")
    W = x.inputs[f"W{layer}"]
    d = explain(tape, x, f"dX{layer}", 2, 0)
    assert np.isclose(sum(G[2, c] * W[0, c] for c in range(G.shape[1])), d.total)
    assert (d.reads[g_name].row, d.reads[f"W{layer}"].row) == (2, 0)


def test_update_old_new_and_change():
    tape = recorded()
    u = phase(tape, "update.2")
    e = explain(tape, u, "W2'", 1, 3)
    assert e.before == u.inputs["W2"][1, 3] and e.total == u.outputs["W2'"][1, 3]
    assert e.change == e.total - e.before and np.isclose(e.change, -0.01 * u.inputs["dW2"][1, 3])
    assert " − " in e.text(fmt)
    np.testing.assert_array_equal(change_matrix(u, "W2'"), u.outputs["W2'"] - u.inputs["W2"])


def test_fewer_than_three_samples_have_that_many_top_contributors():
    tape = recorded(rows=2)
    assert len(explain(tape, phase(tape, "backward.3.bias"), "db3", 0, 0).top) == 2


def test_producer_and_largest_changes():
    tape = recorded()
    assert producer(tape, "Z1") == "forward.1" and producer(tape, "dL/dŷ") == "loss_gradient"
    assert producer(tape, "X") is None and producer(tape, "W1") is None
    change = np.array([[0.1, -0.5], [0.3, np.nan]])
    assert largest_changes(change) == [(0, 1), (1, 0), (0, 0)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=2, max_size=4), st.integers(1, 20), st.integers(0, 10**6))
def test_expansions_sum_to_the_tape_on_random_shapes(sizes, rows, seed):
    tape = recorded(tuple(sizes), rows, seed)
    for p in tape:
        name = p.result_name
        out = p.outputs[name]
        i, j = (0, 0) if out.ndim == 0 else (out.shape[0] - 1, out.shape[1] - 1)
        e = explain(tape, p, name, i, j)
        assert e.total == (float(out) if out.ndim == 0 else out[i, j]), p.key


# --- the gradient check ------------------------------------------------------------------


@pytest.mark.parametrize("key", [k for k in recorded().keys if k.startswith("backward") or k == "loss_gradient"])
def test_every_gradient_checks_out(key):
    tape = recorded(rows=40)
    check = check_gradient(tape, key)
    assert check.max_relative_error < 1e-8
    p = phase(tape, key)
    analytic = np.atleast_2d(p.outputs[p.result_name])
    np.testing.assert_array_equal(check.analytic, analytic[check.cells[:, 0], check.cells[:, 1]])


def test_numeric_values_agree_with_an_independent_difference():
    tape = recorded(rows=25)
    check = check_gradient(tape, "backward.2.weight")
    params = [(phase(tape, f"forward.{l}").inputs[f"W{l}"].copy(), phase(tape, f"forward.{l}").inputs[f"b{l}"].copy())
              for l in (1, 2, 3)]
    X, y = tape[0].inputs["X"], phase(tape, "error").inputs["y"]

    def loss_with(weight):
        changed = list(params)
        changed[1] = (weight, params[1][1])
        return loss_of_prediction(forward_from(changed, 1, X), y)

    reference = central_difference(loss_with, params[1][0])
    np.testing.assert_allclose(check.numeric, reference[check.cells[:, 0], check.cells[:, 1]], rtol=1e-7, atol=1e-10)


def test_large_gradients_are_sampled_reproducibly():
    tape = recorded(rows=300)
    a = check_gradient(tape, "backward.3.input", max_cells=100, seed=1)
    b = check_gradient(tape, "backward.3.input", max_cells=100, seed=1)
    c = check_gradient(tape, "backward.3.input", max_cells=100, seed=2)
    assert a.sampled and len({tuple(cell) for cell in a.cells}) == 100
    np.testing.assert_array_equal(a.cells, b.cells)
    assert not np.array_equal(a.cells, c.cells)
    errors = a.error_matrix()
    assert np.isnan(errors).sum() == 300 * 4 - 100
    small = check_gradient(tape, "backward.3.weight", max_cells=100)
    assert not small.sampled and len(small.cells) == 4


def test_relative_error_floor_cancel_and_refusal():
    assert relative_error(np.array([0.0]), np.array([0.0]))[0] == 0.0
    assert np.isclose(relative_error(np.array([2.0]), np.array([1.0]))[0], 0.5)
    assert relative_error(np.array([1e-12]), np.array([0.0]))[0] == pytest.approx(1e-4)
    tape = recorded()
    with pytest.raises(Cancelled):
        check_gradient(tape, "backward.1.weight", should_stop=lambda: True)
    with pytest.raises(ValueError):
        check_gradient(tape, "forward.1")
    assert not is_gradient_phase(tape[0])


def test_float32_tapes_are_checked_in_float64():
    tape = recorded(dtype="float32")
    assert check_gradient(tape, "backward.1.weight").max_relative_error < 1e-3


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=2, max_size=4), st.integers(1, 32), st.integers(0, 10**6))
def test_gradient_check_on_random_architectures(sizes, rows, seed):
    tape = recorded(tuple(sizes), rows, seed)
    for p in tape:
        if is_gradient_phase(p):
            assert check_gradient(tape, p.key, max_cells=200).max_relative_error < 1e-6, p.key
