"""A network built from operations the project has never seen: one of each kind, in a few dozen lines each.

ScaleBy (a chain operation: S = c·Z), AbsoluteError (a loss head: mean |ŷ − y|) and SignSGD (an update
rule: W ← W − η·sign(∂L/∂W)) are defined here and nowhere else. The tape, `trace --format json` and
`markdown`, the inspector, the gradient check and the app must handle them without a line changed
outside this file: that is what "one place per operation" promises.
"""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from backprop_tui.app import BackpropApp
from backprop_tui.cell_format import expansion_text
from backprop_tui.config import Run, RunConfig
from backprop_tui.handout import tape_markdown
from backprop_tui.headless import trace_json
from backprop_tui.session import Session
from backprop_tui.widgets.inspector import Inspector
from scratchnet import DenseLayer, DenseNetwork, TapeRecorder, make_house_prices
from scratchnet.debugger.explain import Explanation, Read, Term, cell_value, explain
from scratchnet.debugger.gradcheck import check_gradient
from scratchnet.debugger.names import pretty_name
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import (
    Arrays,
    ChainOperation,
    ChainPhases,
    LossHead,
    LossPhases,
    Place,
    Trainable,
    UpdatePhases,
    UpdateRule,
)

# --- a chain operation: S = c·Z ---------------------------------------------------------------------


class ScaleBy(ChainOperation):
    def __init__(self, factor: float) -> None:
        self.factor = factor

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = self.factor * input_matrix
        self.output = output
        return output

    def backward(self, cumulated_backpropagating_gradient: np.ndarray) -> np.ndarray:
        self.incoming_gradient = cumulated_backpropagating_gradient
        input_gradient = self.factor * cumulated_backpropagating_gradient
        self.input_gradient = input_gradient
        return input_gradient

    def rebuilt(self, parameters: Arrays) -> ScaleBy:
        return ScaleBy(self.factor)

    def output_name(self, layer: int) -> str:
        return f"S{layer}"

    def gradient_name(self, layer: int) -> str:
        return f"dZ{layer}"

    def who(self, layer: int) -> str:
        return f"the scaling of layer {layer}"


def _explain_scaled(tape: Tape, phase: Phase, name: str, row: int, column: int, *, factor: float) -> Explanation:
    (read,) = phase.inputs
    value = float(phase.inputs[read][row, column])
    return Explanation(f"{pretty_name(name)}[{row},{column}]", f"c·{pretty_name(read)}[{row},{column}]",
                       (Term((factor, value), factor * value),), 1, cell_value(phase.outputs[name], row, column),
                       reads={read: Read(row, column)})


class ScalePhases(ChainPhases):
    def forward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, ScaleBy)
        S, Z = pretty_name(place.output), pretty_name(place.input)
        writer.add(f"scale.{place.layer}", "scale", "forward", place.layer,
                   Words(f"Layer {place.layer} · scale", Equation(f"{S} = c·{Z}", rf"{S} = c \cdot {Z}"),
                         f"c = {operation.factor:g}", "Every entry times one number."),
                   f"c·({shape_text(operation.input_matrix)}) → ({shape_text(operation.output)})",
                   code_line(ScaleBy.forward, "output ="), {place.input: operation.input_matrix},
                   {place.output: operation.output}, partial(_explain_scaled, factor=operation.factor))

    def backward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, ScaleBy)
        dZ = pretty_name(place.gradient_out)
        writer.add(f"backward.{place.layer}.scale", "scale_gradient", "backward", place.layer,
                   Words(f"Layer {place.layer} · {dZ}", Equation(f"{dZ} = c·G", rf"{dZ} = c G"),
                         f"G = {place.gradient_legend}", "The local derivative of c·Z is c."),
                   f"c·({shape_text(operation.incoming_gradient)}) → ({shape_text(operation.input_gradient)})",
                   code_line(ScaleBy.backward, "input_gradient ="), {place.gradient_in: operation.incoming_gradient},
                   {place.gradient_out: operation.input_gradient}, partial(_explain_scaled, factor=operation.factor),
                   gradient_of=place.input)


ScaleBy.phases = ScalePhases()

# --- a loss head: L = mean |ŷ − y| ---------------------------------------------------------------------


class AbsoluteError(LossHead):
    gradient_name = "dL/dŷ"
    gradient_legend = "∂L/∂ŷ = sign(ŷ − y)/N, where backpropagation starts"

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        self.logits, self.target = logits, target
        error = logits - target
        loss = np.mean(np.abs(error))
        self.error, self.loss = error, loss
        return loss

    def backward(self) -> np.ndarray:
        loss_gradient = np.sign(self.error) / self.error.size
        self.loss_gradient = loss_gradient
        return loss_gradient


def _explain_absolute(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    error = phase.outputs["error"] if "error" in phase.outputs else phase.inputs["error"]
    e = float(error[row, column])
    return Explanation(f"{name}[{row},{column}]", f"|error[{row},{column}]|", (Term((e,), abs(e)),), 1,
                       cell_value(phase.outputs[name], row, column), reads={"error": Read(row, column)})


class AbsoluteErrorPhases(LossPhases):
    def record(self, writer: PhaseWriter, loss: LossHead, prediction: str, y: np.ndarray) -> None:
        assert isinstance(loss, AbsoluteError)
        writer.add("loss", "loss", "loss", None,
                   Words("Loss", Equation("L = mean|ŷ − y|", r"L = \frac{1}{N}\sum_i |\hat y_i - y_i|"), "", "L1."),
                   f"mean|({shape_text(loss.error)})| → scalar", code_line(AbsoluteError.compute_loss, "loss ="),
                   {prediction: loss.logits, "y": y}, {"error": loss.error, "loss": loss.loss}, _explain_absolute)
        writer.add("loss_gradient", "loss_gradient", "loss", None,
                   Words("∂L/∂ŷ", Equation("∂L/∂ŷ = sign(ŷ − y)/N", r"\mathrm{sign}(\hat y - y)/N"), "", "±1/N."),
                   f"sign({shape_text(loss.error)})/N", code_line(AbsoluteError.backward, "loss_gradient ="),
                   {"error": loss.error}, {"dL/dŷ": loss.loss_gradient}, _explain_absolute, gradient_of=prediction)


AbsoluteError.phases = AbsoluteErrorPhases()

# --- an update rule: W ← W − η·sign(∂L/∂W) -------------------------------------------------------------


class SignSGD(UpdateRule):
    def optimize(self, layers: list[Trainable], learning_rate: float) -> None:
        for layer in layers:
            new_weight = layer.weight - learning_rate * np.sign(layer.weight_gradient)
            new_bias = layer.bias - learning_rate * np.sign(layer.bias_gradient)
            layer.weight, layer.bias = new_weight, new_bias


def _explain_signed(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    stem = name.rstrip("'")
    old, slope = float(phase.inputs[stem][row, column]), float(np.sign(phase.inputs[f"d{stem}"][row, column]))
    return Explanation(f"{name}[{row},{column}]", f"{stem} − η·sign(d{stem})",
                       (Term((old,), old), Term((tape.learning_rate, slope), tape.learning_rate * slope)), 2,
                       cell_value(phase.outputs[name], row, column), joiner=" − ", before=old,
                       reads={stem: Read(row, column), f"d{stem}": Read(row, column)})


class SignSGDPhases(UpdatePhases):
    def record(self, writer: PhaseWriter, rule: UpdateRule, layer: Trainable, place: Place, parameters: Arrays,
               learning_rate: float) -> None:
        (weight, bias), l = parameters, place.layer
        writer.add(f"update.{l}", "update", "update", l,
                   Words(f"Layer {l} · sign update", Equation("W' = W − η·sign(∂L/∂W)", r"W' = W - \eta\,\mathrm{sign}(g)"),
                         f"η = {learning_rate:g}", "Only the sign of each gradient counts."),
                   f"({shape_text(weight)}) → ({shape_text(layer.weight)})",
                   code_line(SignSGD.optimize, "new_weight ="),
                   {f"W{l}": weight, f"b{l}": bias, f"dW{l}": layer.weight_gradient, f"db{l}": layer.bias_gradient},
                   {f"W{l}'": layer.weight, f"b{l}'": layer.bias}, _explain_signed)


SignSGD.phases = SignSGDPhases()

# --- the network, and what every part of the debugger makes of it ---------------------------------------------

RNG = np.random.default_rng(11)
TOY = DenseNetwork([DenseLayer.initialise(4, 3, RNG, np.dtype("float64")), ScaleBy(2.5),
                    DenseLayer.initialise(3, 1, RNG, np.dtype("float64"))], AbsoluteError(), SignSGD())
KEYS = ["forward.1", "scale.1", "forward.2", "loss", "loss_gradient", "backward.2.weight", "backward.2.bias",
        "backward.2.input", "backward.1.scale", "backward.1.weight", "backward.1.bias", "backward.1.input",
        "update.1", "update.2"]


def toy(rows: int = 6) -> tuple[DenseNetwork, np.ndarray, np.ndarray]:
    network = TOY.with_parameters(TOY.parameters)
    rng = np.random.default_rng(rows)
    return network, rng.normal(size=(rows, 4)), rng.normal(size=(rows, 1))


def recorded(rows: int = 6) -> tuple[Tape, list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    network, X, y = toy(rows)
    before = network.parameters
    recorder = TapeRecorder()
    network.step(X, y, 0.05, record=recorder)
    return recorder.tape, before, X, y


def test_the_tape_holds_every_phase_of_the_new_operations_with_the_right_numbers():
    tape, ((W1, b1), (W2, b2)), X, y = recorded()
    assert tape.keys == KEYS
    Z1 = X @ W1 + b1
    S1 = 2.5 * Z1
    y_hat = S1 @ W2 + b2
    gradient = np.sign(y_hat - y) / y.size
    dX2 = gradient @ W2.T
    outputs = {name: array for phase in tape for name, array in phase.outputs.items()}
    np.testing.assert_allclose(outputs["S1"], S1, rtol=1e-12)
    assert float(outputs["loss"]) == pytest.approx(np.abs(y_hat - y).mean(), rel=1e-12)
    np.testing.assert_allclose(outputs["dX2"], dX2, rtol=1e-12)
    np.testing.assert_allclose(outputs["dZ1"], 2.5 * dX2, rtol=1e-12)
    np.testing.assert_allclose(outputs["dW1"], X.T @ (2.5 * dX2), rtol=1e-12)
    np.testing.assert_array_equal(outputs["W1'"], W1 - 0.05 * np.sign(outputs["dW1"]))
    forward_2 = tape[tape.index("forward.2")]
    assert list(forward_2.inputs) == ["S1", "W2", "b2"]  # the next layer reads what the new operation made
    assert tape[tape.index("backward.1.weight")].legend == "G = ∂L/∂Z₁ = dZ₁, the gradient the scaling of layer 1 passed back"
    assert tape[tape.index("scale.1")].code == "output = self.factor * input_matrix"
    assert [phase.stage for phase in tape][:5] == ["forward", "forward", "forward", "loss", "loss"]


def test_the_fast_path_and_the_recorded_one_give_identical_parameters():
    fast, X, y = toy()
    slow, _, _ = toy()
    for _ in range(3):
        fast.step(X, y, 0.05)
        slow.step(X, y, 0.05, record=TapeRecorder())
    for (a, b), (c, d) in zip(fast.parameters, slow.parameters, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_the_gradient_check_handles_every_gradient_phase_of_the_new_operations():
    tape, *_ = recorded()
    checked = [phase.key for phase in tape if phase.gradient_of is not None]
    assert checked == ["loss_gradient", "backward.2.weight", "backward.2.bias", "backward.2.input",
                       "backward.1.scale", "backward.1.weight", "backward.1.bias", "backward.1.input"]
    for key in checked:  # the generic L(up) − L(down) leaves ~1e-13 of rounding: an absolute tolerance covers it
        check = check_gradient(tape, key)
        assert not check.sampled and np.allclose(check.numeric, check.analytic, rtol=1e-6, atol=1e-9), key


def test_trace_json_and_markdown_write_the_new_phases():
    tape, *_ = recorded()
    document = json.loads(trace_json(RunConfig(), tape), parse_constant=lambda c: pytest.fail(c))
    assert [phase["key"] for phase in document["phases"]] == KEYS
    scale = document["phases"][1]
    assert scale["equation"] == {"unicode": "S₁ = c·Z₁", "latex": r"S₁ = c \cdot Z₁"}
    assert np.allclose(scale["outputs"]["S1"], tape[1].outputs["S1"])
    markdown = tape_markdown(tape)
    assert all(f"$${phase.equation.latex}$$" in markdown for phase in tape)


def test_the_inspector_writes_out_every_cell_of_the_new_phases_with_the_tapes_own_total():
    tape, *_ = recorded(rows=3)
    for phase in tape:
        for name, array in phase.outputs.items():
            matrix = np.atleast_2d(array)
            for row, column in np.ndindex(matrix.shape):
                explanation = explain(tape, phase, name, row, column)
                assert explanation.total == matrix[row, column], (phase.key, name)
                assert expansion_text(explanation).startswith(explanation.cell)


async def test_the_app_steps_through_the_new_operations_and_checks_their_gradients():
    network, _, _ = toy()
    dataset = make_house_prices(30, 30_000.0, np.random.default_rng(0))
    app = BackpropApp(Session(Run(RunConfig(), dataset, network, network.parameters)))
    app.animation_level = "none"
    async with app.run_test(size=(160, 48)) as pilot:
        seen = []
        for _ in KEYS:
            seen.append(app.session.phase.key)
            assert app.query_one(Inspector).text.startswith(app.query_one(Inspector).explanation.cell)
            if app.session.phase.gradient_of is not None:
                await pilot.press("c")
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert "max relative error" in app.query_one(Inspector).text, app.session.phase.key
            await pilot.press("right")
        assert seen == KEYS
