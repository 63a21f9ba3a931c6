"""Mean squared error, said the article's way, and what the debugger shows of it.

The error, the loss and the loss's gradient are the article's lines; below them, the phases they
record (error, loss, ∂L/∂ŷ), their words, and how a cell of each is written out.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, batch_sum, cell_value
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import LossHead, LossPhases


class MeanSquaredError(LossHead):
    """L = mean((ŷ − y)²), and ∂L/∂ŷ = 2·(ŷ − y)/N where backpropagation starts."""

    quadratic = True

    # Set by compute_loss and backward; absent (AttributeError), never None, until they have run.
    logits: np.ndarray
    error: np.ndarray
    squared_error: np.ndarray
    loss: np.floating
    """A NumPy scalar (np.float64 or np.float32), not an array."""
    loss_gradient_wrt_prediction: np.ndarray

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        self.logits = logits
        error = self.logits - target
        squared_error = error ** 2
        loss = np.mean(squared_error)
        self.error, self.squared_error, self.loss = error, squared_error, loss
        return loss

    def backward(self) -> np.ndarray:
        loss_gradient_wrt_prediction = (2 * self.error) / self.error.size
        self.loss_gradient_wrt_prediction = loss_gradient_wrt_prediction
        return loss_gradient_wrt_prediction

    def loss_difference(self, up: np.ndarray, down: np.ndarray, target: np.ndarray) -> float:
        """L(up) − L(down) as Σ (up − down)·(up + down − 2y) / N: the difference of squares never subtracts
        two nearly equal losses, so rounding stays far below the gradient a check measures."""
        return float(np.sum((up - down) * (up + down - 2 * target)) / target.size)


# --- what the debugger shows of the mean squared error ---------------------------------------------------


class MeanSquaredErrorPhases(LossPhases):
    def record(self, writer: PhaseWriter, loss: LossHead, prediction: str, y: np.ndarray) -> None:
        assert isinstance(loss, MeanSquaredError)
        error, same, n = loss.error, shape_text(loss.error), loss.error.size
        writer.add("error", "error", "loss", None, Words(
            "Error", Equation("error = ŷ − y", r"\mathrm{error} = \hat y - y"), "",
            "The error is the prediction minus the target, one number per sample. Its sign says which way a "
            "prediction is off, its size by how much."),
            f"({same}) − ({shape_text(y)}) → ({same})", code_line(MeanSquaredError.compute_loss, "error ="),
            {prediction: loss.logits, "y": y}, {"error": error}, _explain_error)
        measured = ("This is the loss of this epoch, measured before its update." if writer.full_batch else
                    "This is the loss of this batch, before its update; the loss of the epoch is over every row.")
        writer.add("loss", "loss", "loss", None, Words(
            "Loss", Equation("L = mean((ŷ − y)²)", r"L = \frac{1}{N} \sum_{i} (\hat y_i - y_i)^2"),
            "N = number of entries of ŷ (samples × outputs)",
            "Squaring makes every error count as positive and punishes big misses most; the mean turns the batch "
            f"into the one number training drives down. {measured}"),
            f"mean(({same})²) over {n} entries → scalar",
            "\n".join(code_line(MeanSquaredError.compute_loss, start) for start in ("squared_error =", "loss =")),
            {"error": error}, {"squared_error": loss.squared_error, "loss": loss.loss}, _explain_loss)
        writer.add("loss_gradient", "loss_gradient", "loss", None, Words(
            "Loss gradient ∂L/∂ŷ",
            Equation("∂L/∂ŷ = 2·(ŷ − y)/N", r"\frac{\partial L}{\partial \hat y} = \frac{2(\hat y - y)}{N}"),
            "N = number of entries of ŷ",
            "How the loss changes when each prediction changes: the derivative of the mean squared error. "
            "Backpropagation starts here: this matrix is the gradient G that arrives at the last layer."),
            f"2·({same}) / {n} → ({same})", code_line(MeanSquaredError.backward, "loss_gradient_wrt_prediction ="),
            {"error": error}, {MeanSquaredError.gradient_name: loss.loss_gradient_wrt_prediction}, _explain_gradient,
            gradient_of=prediction)


MeanSquaredError.phases = MeanSquaredErrorPhases()


def _explain_error(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    prediction = next(iter(phase.inputs))
    y_hat, y = float(phase.inputs[prediction][row, column]), float(phase.inputs["y"][row, column])
    return Explanation(
        f"error[{row},{column}]", f"ŷ[{row},{column}] − y[{row},{column}]",
        (Term((y_hat,), y_hat), Term((y,), y)), 2, cell_value(phase.outputs[name], row, column), joiner=" − ",
        reads={prediction: Read(row, column), "y": Read(row, column)},
        latex=LatexWords(rf"\mathrm{{error}}[{row},{column}]", rf"\hat y[{row},{column}] - y[{row},{column}]"),
    )


def _explain_loss(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    total = cell_value(phase.outputs[name], row, column)
    if name == "squared_error":
        e = float(phase.inputs["error"][row, column])
        return Explanation(f"squared_error[{row},{column}]", f"error[{row},{column}]²", (Term((e, e), e * e),), 1,
                           total, reads={"error": Read(row, column)},
                           latex=LatexWords(rf"\mathrm{{squared\_error}}[{row},{column}]",
                                            rf"\mathrm{{error}}[{row},{column}]^2"))
    squared = phase.outputs["squared_error"].reshape(-1)
    explanation = batch_sum("loss", "(1/N)·Σ squared_error", [squared], total, {"error": Read()})
    outputs = phase.outputs["squared_error"].shape[1]
    # With several outputs the terms are entries, row-major: name the sample each comes from.
    top = tuple(replace(c, sample=c.sample // outputs) for c in explanation.top)
    latex = LatexWords(r"\mathrm{loss}", r"\frac{1}{N} \sum \mathrm{squared\_error}",
                       prefix=rf"\frac{{1}}{{{squared.size}}} (", suffix=")")
    return replace(explanation, prefix=f"(1/{squared.size})·(", suffix=")", top=top, divisor=squared.size, latex=latex)


def _explain_gradient(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    error = phase.inputs["error"]
    e = float(error[row, column])
    return Explanation(f"∂L/∂ŷ[{row},{column}]", f"2·error[{row},{column}]/N", (Term((2.0, e), 2.0 * e),), 1,
                       cell_value(phase.outputs[name], row, column), suffix=f"/{error.size}",
                       reads={"error": Read(row, column)}, divisor=error.size,
                       latex=LatexWords(rf"\frac{{\partial L}}{{\partial \hat y}}[{row},{column}]",
                                        rf"2 \cdot \mathrm{{error}}[{row},{column}]/N", suffix=f"/{error.size}"))
