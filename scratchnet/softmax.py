"""Softmax with cross-entropy: class probabilities, the loss of a classifier, and why its gradient is P − y.

Computed the stable way (the row's largest score subtracted before e^, the log by log-sum-exp), so logits
of ±1000 give no warning and no NaN. Below the math: the phases (softmax, error, loss, dL/dZ), their
words, and how a cell of each is written out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from scratchnet.debugger.explain import SHOWN_TERMS, Explanation, LatexWords, Read, Term, batch_sum, cell_value
from scratchnet.debugger.names import latex_name, pretty_name
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import LossHead, LossPhases


class SoftmaxCrossEntropy(LossHead):
    """P = softmax(Z), L = mean over samples of −Σₖ y·log P, and ∂L/∂Z = (P − y)/N."""

    # Set by compute_loss and backward; absent (AttributeError), never None, until they have run.
    logits: np.ndarray
    target: np.ndarray
    probabilities: np.ndarray
    log_probabilities: np.ndarray
    error: np.ndarray
    sample_loss: np.ndarray
    loss: np.floating
    loss_gradient_wrt_logits: np.ndarray

    def compute_loss(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        self.logits, self.target = logits, target
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        sum_of_exponentials = np.sum(exponentials, axis=1, keepdims=True)
        probabilities = exponentials / sum_of_exponentials
        log_probabilities = shifted - np.log(sum_of_exponentials)
        sample_loss = -np.sum(target * log_probabilities, axis=1, keepdims=True)
        loss = np.mean(sample_loss)
        error = probabilities - target
        self.probabilities, self.log_probabilities, self.error = probabilities, log_probabilities, error
        self.sample_loss, self.loss = sample_loss, loss
        return loss

    def backward(self) -> np.ndarray:
        loss_gradient_wrt_logits = self.error / self.error.shape[0]
        self.loss_gradient_wrt_logits = loss_gradient_wrt_logits
        return loss_gradient_wrt_logits

    def gradient_name_for(self, prediction: str) -> str:
        return f"dL/d{prediction}"

    def gradient_legend_for(self, prediction: str) -> str:
        return "(P − y)/N, softmax and cross-entropy together: where backpropagation starts"


# --- what the debugger shows of softmax with cross-entropy ---------------------------------------------------


class SoftmaxCrossEntropyPhases(LossPhases):
    def record(self, writer: PhaseWriter, loss: LossHead, prediction: str, y: np.ndarray) -> None:
        assert isinstance(loss, SoftmaxCrossEntropy)
        Z, Z_tex = pretty_name(prediction), latex_name(prediction)
        P, n, k = loss.probabilities, loss.error.shape[0], loss.error.shape[1]
        same = shape_text(P)
        compute = SoftmaxCrossEntropy.compute_loss
        writer.add("softmax", "softmax", "forward", None, Words(
            "Softmax",
            Equation(f"P = softmax({Z}),  Pᵢₖ = e^{Z}ᵢₖ / Σⱼ e^{Z}ᵢⱼ",
                     rf"P_{{ik}} = \frac{{e^{{{Z_tex},ik}}}}{{\sum_j e^{{{Z_tex},ij}}}}"),
            f"P = the predicted probability of each of the {k} classes, ŷ for a classifier",
            "Softmax turns each row of scores into probabilities: all positive, adding up to 1. The row's largest "
            "score is subtracted first; that cancels in the fraction, and keeps e^ from overflowing."),
            f"softmax over each of the {n} rows of ({shape_text(loss.logits)}) → ({same}), each row summing to 1",
            "\n".join(code_line(compute, start) for start in ("shifted =", "exponentials =", "sum_of_exponentials =",
                                                               "probabilities =")),
            {prediction: loss.logits}, {"P": P}, _explain_softmax)
        writer.add("error", "error", "loss", None, Words(
            "Error", Equation("error = P − y", r"\mathrm{error} = P - y"), "y = the one-hot target: 1 in the true class",
            "The predicted probabilities minus the one-hot target: negative in the true class (it should have been 1), "
            "positive in every class that got probability it should not have."),
            f"({same}) − ({shape_text(y)}) → ({same})", code_line(compute, "error ="),
            {"P": P, "y": y}, {"error": loss.error}, _explain_error)
        writer.add("loss", "loss", "loss", None, Words(
            "Loss",
            Equation("L = mean over samples of −Σₖ yₖ·log Pₖ",
                     r"L = \frac{1}{N} \sum_i \left( -\sum_k y_{ik} \log P_{ik} \right)"),
            f"N = {n} samples; log P by log-sum-exp, so a probability of 0 never gives −∞",
            "Cross-entropy: each sample's loss is −log of the probability it gave its true class, 0 when it was "
            "sure and right, large when it was sure and wrong. The mean is the one number training drives down."),
            f"−Σ over the {k} classes of ({same}) → ({n}×1) per sample; mean → scalar",
            "\n".join(code_line(compute, start) for start in ("log_probabilities =", "sample_loss =", "loss =")),
            {"P": P, "y": y}, {"sample_loss": loss.sample_loss, "loss": loss.loss}, _explain_loss)
        writer.add("loss_gradient", "loss_gradient", "loss", None, Words(
            f"Loss gradient ∂L/∂{Z}",
            Equation(f"∂L/∂{Z} = (P − y)/N", rf"\frac{{\partial L}}{{\partial {Z_tex}}} = \frac{{P - y}}{{N}}"),
            f"N = {n} samples",
            "Backpropagation starts here, at the scores, not at P: the softmax's Jacobian (diag(P) − PPᵀ) times the "
            "derivative of −log P collapses to P − y, so the gradient is the error itself, divided by N for the mean. "
            "It is the gradient G that arrives at the last layer."),
            f"({same}) / {n} → ({same})", code_line(SoftmaxCrossEntropy.backward, "loss_gradient_wrt_logits ="),
            {"error": loss.error}, {loss.gradient_name_for(prediction): loss.loss_gradient_wrt_logits},
            _explain_gradient, gradient_of=prediction)


SoftmaxCrossEntropy.phases = SoftmaxCrossEntropyPhases()


def _softmax_of(k: int, *scores: float) -> float:
    top = max(scores)
    return math.exp(scores[k] - top) / sum(math.exp(score - top) for score in scores)


def _explain_softmax(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    (z_name,) = phase.inputs
    scores = [float(value) for value in phase.inputs[z_name][row]]
    shown = scores[:SHOWN_TERMS]
    complete = len(shown) == len(scores)

    def layout(written: Sequence[str]) -> str:
        denominator = " + ".join(f"e^{w}" for w in written) + ("" if complete else " + …")
        return f"e^{written[column]} / ({denominator})" if column < len(written) else f"e^(…) / ({denominator})"

    def latex_layout(written: Sequence[str]) -> str:
        denominator = " + ".join(f"e^{{{w}}}" for w in written) + ("" if complete else r" + \dots")
        numerator = f"e^{{{written[column]}}}" if column < len(written) else r"e^{\dots}"
        return rf"\frac{{{numerator}}}{{{denominator}}}"

    z_tex = latex_name(z_name)
    return Explanation(
        f"P[{row},{column}]", f"e^{pretty_name(z_name)}[{row},{column}] / Σⱼ e^{pretty_name(z_name)}[{row},j]",
        tuple(Term((score,), score) for score in shown), len(scores), cell_value(phase.outputs[name], row, column),
        reads={z_name: Read(row=row)}, layout=layout,
        worked=(lambda *written: _softmax_of(column, *written)) if complete else None,
        latex=LatexWords(f"P[{row},{column}]", rf"\frac{{e^{{{z_tex}[{row},{column}]}}}}{{\sum_j e^{{{z_tex}[{row},j]}}}}",
                         layout=latex_layout),
    )


def _explain_error(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    p, y = float(phase.inputs["P"][row, column]), float(phase.inputs["y"][row, column])
    return Explanation(f"error[{row},{column}]", f"P[{row},{column}] − y[{row},{column}]",
                       (Term((p,), p), Term((y,), y)), 2, cell_value(phase.outputs[name], row, column), joiner=" − ",
                       reads={"P": Read(row, column), "y": Read(row, column)},
                       latex=LatexWords(rf"\mathrm{{error}}[{row},{column}]", f"P[{row},{column}] - y[{row},{column}]"))


def _cross_entropy(*written: float) -> float:
    pairs = zip(written[::2], written[1::2], strict=True)
    return -sum(y * math.log(p) for y, p in pairs if y)


def _explain_loss(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    total = cell_value(phase.outputs[name], row, column)
    if name == "loss":
        sample_loss = phase.outputs["sample_loss"].reshape(-1)
        explanation = batch_sum("loss", "(1/N)·Σᵢ sample_lossᵢ", [sample_loss], total, {"y": Read()})
        latex = LatexWords(r"\mathrm{loss}", r"\frac{1}{N} \sum_i \mathrm{sample\_loss}_i",
                           prefix=rf"\frac{{1}}{{{sample_loss.size}}} (", suffix=")")
        return replace(explanation, prefix=f"(1/{sample_loss.size})·(", suffix=")", divisor=sample_loss.size,
                       latex=latex)
    P, y = phase.inputs["P"][row], phase.inputs["y"][row]
    classes = min(SHOWN_TERMS, P.size)
    complete = classes == P.size
    terms = tuple(Term((float(y[k]), float(P[k])), float(y[k]) * math.log(float(P[k])) if P[k] > 0 else 0.0)
                  for k in range(classes))

    def layout(written: Sequence[str]) -> str:
        pieces = [f"{written[2 * k]}·log{written[2 * k + 1]}" for k in range(classes)]
        return "−(" + " + ".join(pieces) + ("" if complete else " + …") + ")"

    def latex_layout(written: Sequence[str]) -> str:
        pieces = [rf"{written[2 * k]} \log {written[2 * k + 1]}" for k in range(classes)]
        return r"-\left(" + " + ".join(pieces) + ("" if complete else r" + \dots") + r"\right)"

    return Explanation(f"sample_loss[{row}]", f"−Σₖ y[{row},k]·log P[{row},k]", terms, P.size, total,
                       reads={"P": Read(row=row), "y": Read(row=row)}, layout=layout,
                       worked=_cross_entropy if complete else None,
                       latex=LatexWords(rf"\mathrm{{sample\_loss}}[{row}]", rf"-\sum_k y[{row},k] \log P[{row},k]",
                                        layout=latex_layout))


def _explain_gradient(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    error = phase.inputs["error"]
    e = float(error[row, column])
    return Explanation(f"{pretty_name(name).replace('dL/d', '∂L/∂')}[{row},{column}]", f"error[{row},{column}]/N",
                       (Term((e,), e),), 1, cell_value(phase.outputs[name], row, column), suffix=f"/{error.shape[0]}",
                       reads={"error": Read(row, column)}, divisor=error.shape[0],
                       latex=LatexWords(f"{latex_name(name)}[{row},{column}]", rf"\mathrm{{error}}[{row},{column}]/N",
                                        suffix=f"/{error.shape[0]}"))
