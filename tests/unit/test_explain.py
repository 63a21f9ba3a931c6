"""Cell explanations (`scratchnet.debugger.explain`) against values worked out here from the raw arrays.

Every expected number below comes from the X, y and starting parameters the test made itself: the
forward pass through tests/reference.py, the backward pass written out here with einsum, and the
sums behind a cell added up again with plain Python loops. The tape is only used for what the
explanation promises to copy from it exactly (the total is the tape's own value; the shown terms
are products of the tape's own operands).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnet import DenseLayer, DenseNetwork, TapeRecorder
from scratchnet.debugger.explain import SHOWN_TERMS, Read, change_matrix, explain, largest_changes
from tests.reference import forward_from, loss_of_prediction

LEARNING_RATE = 0.01


@dataclass
class Run:
    """A recorded iteration plus everything the test worked out independently."""

    tape: object
    X: np.ndarray
    y: np.ndarray
    params: list[tuple[np.ndarray, np.ndarray]]
    """The starting (W, b) per layer, copied before the step."""
    acts: list[np.ndarray]
    """acts[0] = X, acts[l] = Z_l."""
    error: np.ndarray
    loss: float
    G: dict[int, np.ndarray]
    """G[l]: the gradient arriving at layer l (dL/dŷ at the last layer)."""
    dW: dict[int, np.ndarray]
    db: dict[int, np.ndarray]
    dX: dict[int, np.ndarray]

    def phase(self, key):
        return self.tape[self.tape.index(key)]

    @property
    def n_layers(self) -> int:
        return len(self.params)

    @property
    def rows(self) -> int:
        return self.X.shape[0]


def record(sizes=(4, 8, 4, 1), rows=30, seed=1, dtype="float64", learning_rate=LEARNING_RATE) -> Run:
    rng = np.random.default_rng(seed)
    network = DenseNetwork.initialise(sizes, rng, dtype)
    X = rng.normal(size=(rows, sizes[0])).astype(dtype)
    y = rng.normal(size=(rows, sizes[-1])).astype(dtype)
    params = [(w.copy(), b.copy()) for w, b in network.parameters]
    recorder = TapeRecorder()
    network.step(X, y, learning_rate, record=recorder)

    # Independent forward and backward, in float64.
    p64 = [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]
    acts = [X.astype(np.float64)]
    for layer in range(1, len(p64) + 1):
        acts.append(forward_from(p64[layer - 1:layer], 1, acts[-1]))
    error = acts[-1] - y.astype(np.float64)
    loss = loss_of_prediction(acts[-1], y.astype(np.float64))
    G, dW, db, dX = {}, {}, {}, {}
    g = 2.0 * error / error.size
    for layer in range(len(p64), 0, -1):
        G[layer] = g
        dW[layer] = np.einsum("ik,ij->kj", acts[layer - 1], g)
        db[layer] = g.sum(axis=0, keepdims=True)
        dX[layer] = np.einsum("ij,kj->ik", g, p64[layer - 1][0])
        g = dX[layer]
    return Run(recorder.tape, X, y, params, acts, error, loss, G, dW, db, dX)


@pytest.fixture(scope="module")
def run() -> Run:
    return record()


def fmt(value: float) -> str:
    return f"{value:.6g}"


def input_name(layer: int) -> str:
    return "X" if layer == 1 else f"Z{layer - 1}"


def gradient_name(run: Run, layer: int) -> str:
    return "dL/dŷ" if layer == run.n_layers else f"dX{layer + 1}"


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_top(top, terms: list[float]) -> None:
    """`top` is exactly the (up to) 3 largest |terms|, biggest first, each with its share of Σ|terms|."""
    order = sorted(range(len(terms)), key=lambda i: -abs(terms[i]))[:3]
    assert len(top) == min(3, len(terms))
    assert [c.sample for c in top] == order
    assert [c.value for c in top] == [terms[i] for i in order]
    magnitudes = [abs(c.value) for c in top]
    assert magnitudes == sorted(magnitudes, reverse=True)
    total_abs = math.fsum(abs(t) for t in terms)
    for contributor in top:
        assert math.isclose(contributor.share, abs(contributor.value) / total_abs, rel_tol=1e-12)


# --- sanity: the tape saw the same numbers as the independent pass -----------------------------


def test_the_tape_agrees_with_the_independent_pass(run):
    for layer in range(1, run.n_layers + 1):
        np.testing.assert_allclose(run.phase(f"forward.{layer}").outputs[f"Z{layer}"], run.acts[layer], rtol=1e-12)
        np.testing.assert_allclose(run.phase(f"backward.{layer}.weight").outputs[f"dW{layer}"], run.dW[layer],
                                   rtol=1e-10, atol=1e-14)
    assert math.isclose(run.tape.loss, run.loss, rel_tol=1e-12)


# --- forward ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [1, 2, 3])
@pytest.mark.parametrize("cell", [(0, 0), (7, "last"), ("last", "last")])
def test_forward_cell(run, layer, cell):
    p = run.phase(f"forward.{layer}")
    A_tape = p.inputs[input_name(layer)]
    A = run.acts[layer - 1]
    W, b = run.params[layer - 1]
    i = A.shape[0] - 1 if cell[0] == "last" else cell[0]
    j = W.shape[1] - 1 if cell[1] == "last" else cell[1]

    e = explain(run.tape, p, f"Z{layer}", i, j)

    assert e.n_terms == A.shape[1]
    assert len(e.terms) == min(SHOWN_TERMS, A.shape[1])
    for k, term in enumerate(e.terms):
        assert term.factors == (A_tape[i, k], W[k, j])
        assert term.value == A_tape[i, k] * W[k, j]
        assert close(term.value, A[i, k] * W[k, j])
    assert e.constant == b[0, j]
    every = 0.0
    for k in range(A.shape[1]):
        every += A[i, k] * W[k, j]
    assert close(every + b[0, j], e.total)
    assert e.total == p.outputs[f"Z{layer}"][i, j]
    assert type(e.total) is float
    assert dict(e.reads) == {input_name(layer): Read(row=i), f"W{layer}": Read(column=j), f"b{layer}": Read(column=j)}
    assert e.before is None and e.change is None and e.top == ()


# --- error, loss, dL/dŷ -------------------------------------------------------------------------


@pytest.mark.parametrize("i", [0, 11, 29])
def test_error_cell(run, i):
    p = run.phase("error")
    e = explain(run.tape, p, "error", i, 0)
    prediction = p.inputs["Z3"]
    assert e.total == p.outputs["error"][i, 0]
    assert close(e.total, run.acts[3][i, 0] - run.y[i, 0])
    assert [t.value for t in e.terms] == [prediction[i, 0], run.y[i, 0]]
    assert e.n_terms == 2
    assert dict(e.reads) == {"Z3": Read(i, 0), "y": Read(i, 0)}
    assert " − " in e.text(fmt)


@pytest.mark.parametrize("i", [0, 13, 29])
def test_squared_error_cell(run, i):
    p = run.phase("loss")
    e = explain(run.tape, p, "squared_error", i, 0)
    err = p.inputs["error"][i, 0]
    assert e.total == p.outputs["squared_error"][i, 0]
    assert close(e.total, run.error[i, 0] ** 2)
    assert e.terms[0].factors == (err, err) and e.terms[0].value == err * err
    assert e.n_terms == 1
    assert dict(e.reads) == {"error": Read(i, 0)}


def test_loss_is_a_batch_sum_with_top_contributors(run):
    p = run.phase("loss")
    e = explain(run.tape, p, "loss", 0, 0)
    squared = [float(run.error[i, 0]) ** 2 for i in range(run.rows)]
    tape_squared = [float(v) for v in p.outputs["squared_error"][:, 0]]

    assert e.n_terms == run.rows
    assert e.total == float(p.outputs["loss"]) == run.tape.loss
    assert close(e.total, math.fsum(squared) / run.rows)
    assert [t.value for t in e.terms] == tape_squared[:SHOWN_TERMS]
    assert [t.sample for t in e.terms] == list(range(SHOWN_TERMS))
    for term, expected in zip(e.terms, squared):
        assert close(term.value, expected)
    check_top(e.top, tape_squared)
    text = e.text(fmt)
    assert text.startswith(f"loss = (1/N)·Σ squared_error = (1/{run.rows})·(")
    assert "…" in text and text.endswith(f") = {fmt(e.total)}")


@pytest.mark.parametrize("i", [0, 17, 29])
def test_loss_gradient_cell(run, i):
    p = run.phase("loss_gradient")
    e = explain(run.tape, p, "dL/dŷ", i, 0)
    assert e.total == p.outputs["dL/dŷ"][i, 0]
    assert close(e.total, 2 * run.error[i, 0] / run.rows)
    assert e.terms[0].factors == (2.0, p.inputs["error"][i, 0])
    assert e.n_terms == 1
    assert dict(e.reads) == {"error": Read(i, 0)}
    assert e.text(fmt).endswith(f"/{run.rows} = {fmt(e.total)}")


# --- the three gradients of a layer -------------------------------------------------------------


@pytest.mark.parametrize("layer", [1, 2, 3])
@pytest.mark.parametrize("cell", [(0, 0), ("last", "last"), (1, 0)])
def test_weight_gradient_cell(run, layer, cell):
    p = run.phase(f"backward.{layer}.weight")
    a_name, g_name = input_name(layer), gradient_name(run, layer)
    A_tape, G_tape = p.inputs[a_name], p.inputs[g_name]
    A, G = run.acts[layer - 1], run.G[layer]
    k = A.shape[1] - 1 if cell[0] == "last" else cell[0]
    j = G.shape[1] - 1 if cell[1] == "last" else cell[1]

    e = explain(run.tape, p, f"dW{layer}", k, j)

    tape_terms = [float(A_tape[i, k] * G_tape[i, j]) for i in range(run.rows)]
    assert e.n_terms == run.rows
    for i, term in enumerate(e.terms):
        assert term.sample == i
        assert term.factors == (A_tape[i, k], G_tape[i, j])
        assert term.value == tape_terms[i]
        assert close(term.value, A[i, k] * G[i, j])
    every = 0.0
    for i in range(run.rows):
        every += A[i, k] * G[i, j]
    assert close(every, e.total)
    assert e.total == p.outputs[f"dW{layer}"][k, j]
    check_top(e.top, tape_terms)
    assert dict(e.reads) == {a_name: Read(column=k), g_name: Read(column=j)}


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_bias_gradient_cell(run, layer):
    p = run.phase(f"backward.{layer}.bias")
    g_name = gradient_name(run, layer)
    G_tape, G = p.inputs[g_name], run.G[layer]
    j = G.shape[1] - 1
    e = explain(run.tape, p, f"db{layer}", 0, j)
    tape_terms = [float(G_tape[i, j]) for i in range(run.rows)]
    assert e.n_terms == run.rows
    assert [t.value for t in e.terms] == tape_terms[:SHOWN_TERMS]
    assert [t.sample for t in e.terms] == list(range(SHOWN_TERMS))
    every = 0.0
    for i in range(run.rows):
        every += G[i, j]
    assert close(every, e.total)
    assert e.total == p.outputs[f"db{layer}"][0, j]
    check_top(e.top, tape_terms)
    assert dict(e.reads) == {g_name: Read(column=j)}


@pytest.mark.parametrize("layer", [1, 2, 3])
@pytest.mark.parametrize("cell", [(0, 0), ("last", "last"), (5, 1)])
def test_input_gradient_cell(run, layer, cell):
    p = run.phase(f"backward.{layer}.input")
    g_name = gradient_name(run, layer)
    G_tape, G = p.inputs[g_name], run.G[layer]
    W = run.params[layer - 1][0]
    i = run.rows - 1 if cell[0] == "last" else cell[0]
    k = W.shape[0] - 1 if cell[1] == "last" else cell[1]

    e = explain(run.tape, p, f"dX{layer}", i, k)

    assert e.n_terms == G.shape[1]
    assert len(e.terms) == min(SHOWN_TERMS, G.shape[1])
    for c, term in enumerate(e.terms):
        assert term.factors == (G_tape[i, c], W[k, c])
        assert term.value == G_tape[i, c] * W[k, c]
    every = 0.0
    for c in range(G.shape[1]):
        every += G[i, c] * W[k, c]
    assert close(every, e.total)
    assert close(run.dX[layer][i, k], e.total)
    assert e.total == p.outputs[f"dX{layer}"][i, k]
    assert dict(e.reads) == {g_name: Read(row=i), f"W{layer}": Read(row=k)}


# --- the update ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_weight_update_cell(run, layer):
    p = run.phase(f"update.{layer}")
    W = run.params[layer - 1][0]
    k, j = W.shape[0] - 1, W.shape[1] - 1
    e = explain(run.tape, p, f"W{layer}'", k, j)
    assert e.before == W[k, j]
    assert e.total == p.outputs[f"W{layer}'"][k, j]
    assert close(e.total, W[k, j] - LEARNING_RATE * run.dW[layer][k, j])
    assert e.change == e.total - e.before
    assert close(e.change, -LEARNING_RATE * run.dW[layer][k, j])
    assert e.terms[0].value == W[k, j]
    assert e.terms[1].factors == (LEARNING_RATE, p.inputs[f"dW{layer}"][k, j])
    assert dict(e.reads) == {f"W{layer}": Read(k, j), f"dW{layer}": Read(k, j)}
    text = e.text(fmt)
    assert "−" in text and text.endswith(f"= {fmt(e.total)}")


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_bias_update_cell(run, layer):
    p = run.phase(f"update.{layer}")
    b = run.params[layer - 1][1]
    j = b.shape[1] - 1
    e = explain(run.tape, p, f"b{layer}'", 0, j)
    assert e.before == b[0, j]
    assert e.total == p.outputs[f"b{layer}'"][0, j]
    assert close(e.total, b[0, j] - LEARNING_RATE * run.db[layer][0, j])
    assert e.change == e.total - e.before
    assert e.terms[1].factors == (LEARNING_RATE, p.inputs[f"db{layer}"][0, j])
    assert dict(e.reads) == {f"b{layer}": Read(0, j), f"db{layer}": Read(0, j)}
    assert "−" in e.text(fmt)


# --- small batches -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_small_batches_list_every_sample_as_a_contributor(rows):
    small = record(rows=rows, seed=5)
    for key, name, cell in [("backward.2.weight", "dW2", (3, 2)), ("backward.1.bias", "db1", (0, 6)),
                            ("loss", "loss", (0, 0))]:
        e = explain(small.tape, small.phase(key), name, *cell)
        assert e.n_terms == rows and len(e.terms) == rows and len(e.top) == rows
        check_top(e.top, [t.value for t in e.terms])  # all the terms are shown when N ≤ 4
        assert "…" not in e.text(fmt)


# --- the text ------------------------------------------------------------------------------------


def test_text_of_a_hand_made_step_is_exact():
    network = DenseNetwork.initialise((2, 1), np.random.default_rng(0))
    network.set_parameters([(np.array([[0.5], [-0.25]]), np.array([[0.125]]))])
    recorder = TapeRecorder()
    # Z = 1·0.5 + 2·(−0.25) + 0.125 = 0.125; error = −1; dL/dŷ = −2; dW = [[−2], [−4]].
    network.step(np.array([[1.0, 2.0]]), np.array([[1.125]]), 0.125, record=recorder)
    tape = recorder.tape
    forward = explain(tape, tape[tape.index("forward.1")], "Z1", 0, 0)
    assert forward.text(fmt) == "Z₁[0,0] = X[0,:]·W₁[:,0] + b₁[0] = (1)·(0.5) + (2)·(-0.25) + (0.125) = 0.125"
    update = explain(tape, tape[tape.index("update.1")], "W1'", 0, 0)
    assert update.text(fmt) == "W₁'[0,0] = W₁[0,0] − η·dW₁[0,0] = (0.5) − (0.125)·(-2) = 0.75"
    assert update.change == 0.25


def test_text_marks_hidden_terms(run):
    cases = [
        ("forward.1", "Z1", (2, 3), False),  # 4 inputs: every term shown
        ("forward.2", "Z2", (2, 3), True),  # 8 inputs
        ("forward.3", "Z3", (2, 0), False),
        ("backward.2.weight", "dW2", (1, 1), True),  # 30 samples
        ("backward.3.input", "dX3", (0, 2), False),  # 1 output column
        ("backward.1.input", "dX1", (0, 2), True),  # 8 columns of G
        ("error", "error", (4, 0), False),
    ]
    for key, name, cell, hidden in cases:
        e = explain(run.tape, run.phase(key), name, *cell)
        assert (e.n_terms > SHOWN_TERMS) is hidden, key
        text = e.text(fmt)
        assert text.startswith(f"{e.cell} = {e.formula} = "), key
        assert ("…" in text) is hidden, key
        assert text.endswith(f" = {fmt(e.total)}"), key


def test_text_strips_padding_from_the_formatter(run):
    e = explain(run.tape, run.phase("forward.1"), "Z1", 0, 0)
    text = e.text(lambda v: f"{v:12.3f}")
    assert "(  " not in text and text.endswith(f"= {e.total:.3f}")


# --- made_by, change_matrix, largest_changes ----------------------------------------------------


def test_the_phase_that_made_a_matrix(run):
    made_by = {name: phase.key if (phase := run.tape.made_by(name)) else None
               for name in ("Z1", "Z3", "dL/dŷ", "squared_error", "dX2", "W2'", "X", "y", "W1")}
    assert made_by == {"Z1": "forward.1", "Z3": "forward.3", "dL/dŷ": "loss_gradient", "squared_error": "loss",
                       "dX2": "backward.2.input", "W2'": "update.2", "X": None, "y": None, "W1": None}
    assert run.tape.matrix("W1") is run.phase("forward.1").inputs["W1"] and run.tape.matrix("nothing") is None


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_change_matrix_is_new_minus_old(run, layer):
    p = run.phase(f"update.{layer}")
    W, b = run.params[layer - 1]
    np.testing.assert_array_equal(change_matrix(p, f"W{layer}'"), p.outputs[f"W{layer}'"] - W)
    np.testing.assert_array_equal(change_matrix(p, f"b{layer}'"), p.outputs[f"b{layer}'"] - b)
    np.testing.assert_allclose(change_matrix(p, f"W{layer}'"), -LEARNING_RATE * run.dW[layer], rtol=1e-8, atol=1e-15)


def test_largest_changes_by_hand():
    change = np.array([[0.1, -0.5, 0.0],
                       [0.3, np.nan, -0.2]])
    assert largest_changes(change) == [(0, 1), (1, 0), (1, 2)]
    assert largest_changes(change, count=1) == [(0, 1)]
    assert largest_changes(change, count=5) == [(0, 1), (1, 0), (1, 2), (0, 0), (0, 2)]
    assert len(largest_changes(change, count=50)) == 6
    assert largest_changes(np.array([[1.0, -np.inf], [2.0, 0.0]]), count=2) == [(0, 1), (1, 0)]
    assert largest_changes(np.array([3.0, -7.0, 5.0])) == [(0, 1), (0, 2), (0, 0)]


# --- random architectures -----------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 8), min_size=2, max_size=4), rows=st.integers(1, 20),
       seed=st.integers(0, 2**32 - 1), data=st.data())
def test_forward_and_weight_cells_on_random_architectures(sizes, rows, seed, data):
    r = record(tuple(sizes), rows, seed)
    layer = data.draw(st.integers(1, r.n_layers), label="layer")
    A, W, b = r.acts[layer - 1], *r.params[layer - 1]

    # forward: Z_l[i, j]
    i = data.draw(st.integers(0, rows - 1), label="i")
    j = data.draw(st.integers(0, W.shape[1] - 1), label="j")
    p = r.phase(f"forward.{layer}")
    e = explain(r.tape, p, f"Z{layer}", i, j)
    assert e.n_terms == A.shape[1] and len(e.terms) == min(SHOWN_TERMS, A.shape[1])
    A_tape = p.inputs[input_name(layer)]
    assert [t.value for t in e.terms] == [A_tape[i, k] * W[k, j] for k in range(len(e.terms))]
    assert all(close(t.value, A[i, k] * W[k, j]) for k, t in enumerate(e.terms))
    assert e.constant == b[0, j]
    every = 0.0
    for k in range(A.shape[1]):
        every += A[i, k] * W[k, j]
    assert close(every + b[0, j], e.total)
    assert e.total == p.outputs[f"Z{layer}"][i, j]
    assert ("…" in e.text(fmt)) is (A.shape[1] > SHOWN_TERMS)

    # weight gradient: dW_l[k, j]
    k = data.draw(st.integers(0, W.shape[0] - 1), label="k")
    p = r.phase(f"backward.{layer}.weight")
    A_tape, G_tape = p.inputs[input_name(layer)], p.inputs[gradient_name(r, layer)]
    e = explain(r.tape, p, f"dW{layer}", k, j)
    tape_terms = [float(A_tape[n, k] * G_tape[n, j]) for n in range(rows)]
    assert e.n_terms == rows
    assert [t.value for t in e.terms] == tape_terms[:SHOWN_TERMS]
    every = 0.0
    for n in range(rows):
        every += r.acts[layer - 1][n, k] * r.G[layer][n, j]
    assert math.isclose(every, e.total, rel_tol=1e-9, abs_tol=1e-12)
    assert e.total == p.outputs[f"dW{layer}"][k, j]
    check_top(e.top, tape_terms)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 8), min_size=2, max_size=4), rows=st.integers(1, 20),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(["float64", "float32"]))
def test_every_phase_total_is_the_tape_value(sizes, rows, seed, dtype):
    r = record(tuple(sizes), rows, seed, dtype)
    for p in r.tape:
        for name, out in p.outputs.items():
            if out.ndim == 0:
                cells = [(0, 0)]
            else:
                cells = [(0, 0), (out.shape[0] - 1, out.shape[1] - 1)]
            for i, j in cells:
                e = explain(r.tape, p, name, i, j)
                assert e.total == (float(out) if out.ndim == 0 else float(out[i, j])), (p.key, name)
                assert e.text(fmt).startswith(e.cell)



def test_largest_changes_ranks_inf_first_in_float32_without_an_overflow_warning():
    import warnings

    from scratchnet.debugger.explain import largest_changes

    change = np.array([[1.0, np.inf], [np.nan, -3.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert largest_changes(change, 3) == [(0, 1), (1, 1), (0, 0)]


def loss_explanation(X: np.ndarray):
    """The loss cell of one step of ŷ = X·1 + 0 against y = 0: its terms are the squares of X."""
    network = DenseNetwork([DenseLayer(np.ones((1, 1)), np.zeros((1, 1)))])
    recorder = TapeRecorder()
    with np.errstate(all="ignore"):
        network.step(X, np.zeros_like(X), LEARNING_RATE, record=recorder)
    tape = recorder.tape
    return explain(tape, tape[tape.index("loss")], "loss", 0, 0)


def test_shares_hold_when_the_sum_of_finite_terms_overflows():
    X = np.full((40, 1), 1e154)
    X[3, 0] = 1.2e154  # every square is finite, their sum is not
    e = loss_explanation(X)
    assert e.n_nonfinite == 0 and math.isinf(e.total)
    assert [c.sample for c in e.top] == [3, 0, 1]
    assert math.isclose(e.top[0].share, 1.44 / (1.44 + 39), rel_tol=1e-12)
    assert math.isclose(e.top[1].share, 1 / (1.44 + 39), rel_tol=1e-12)


def test_non_finite_terms_are_named_first_and_given_no_share():
    X = np.full((40, 1), 0.5)
    X[[7, 2], 0] = [1e200, np.nan]  # squares: inf and NaN
    e = loss_explanation(X)
    assert e.n_nonfinite == 2
    assert [c.sample for c in e.top] == [2, 7]
    assert math.isnan(e.top[0].value) and math.isinf(e.top[1].value)
    assert all(math.isnan(c.share) for c in e.top)
