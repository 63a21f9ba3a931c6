"""Weight decay (L2 on the weights, not the biases), and what the debugger shows of it.

The loss training drives down becomes L + (λ/2)·Σₗ‖Wₗ‖²: the data loss plus a penalty on large weights. Its
slope with respect to Wₗ is λ·Wₗ, which each dense layer adds to its ∂L/∂Wₗ (`DenseLayer.backward`), so every
update rule sees the penalized gradient: with Adam this is PyTorch's `Adam(weight_decay=λ)`, L2 in the
gradient, not AdamW. Below the math: the penalty phase (after the data loss), its words and its cells.

`loss` keeps meaning the data loss everywhere (the loss phase, the loss of an epoch, `train`'s table), so runs
with and without decay compare; the penalty phase shows the penalty and `total_loss`, their sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import ClassVar

import numpy as np

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, cell_value
from scratchnet.debugger.names import latex_name, pretty_name
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape
from scratchnet.debugger.words import Equation, Words


class WeightDecay:
    """penalty = (λ/2)·Σₗ‖Wₗ‖² beside the data loss; its slope λ·Wₗ is added by each layer."""

    phases: ClassVar[PenaltyPhases]
    # Set by add_penalty; absent (AttributeError), never None, until it has run.
    weights: tuple[np.ndarray, ...]
    data_loss: np.floating
    penalty: np.floating
    total_loss: np.floating

    def __init__(self, strength: float) -> None:
        self.strength = strength
        """λ."""

    def add_penalty(self, data_loss: np.floating, weights: Sequence[np.ndarray]) -> np.floating:
        """The penalty of these weights (those the forward pass used), and the total loss."""
        penalty = self.strength / 2 * sum(np.sum(weight ** 2) for weight in weights)
        total_loss = data_loss + penalty
        self.weights, self.data_loss, self.penalty, self.total_loss = tuple(weights), data_loss, penalty, total_loss
        return total_loss


# --- what the debugger shows of weight decay ---------------------------------------------------------------


class PenaltyPhases:
    def record(self, writer: PhaseWriter, decay: WeightDecay, names: Sequence[str]) -> None:
        """`names`: the tape's names of the weights (W1, W2, …), in order."""
        norms = " + ".join(f"‖{pretty_name(name)}‖²" for name in names)
        norms_tex = " + ".join(rf"\lVert W_{{{name[1:]}}} \rVert^2" for name in names)
        writer.add("penalty", "penalty", "loss", None, Words(
            "Weight decay penalty",
            Equation(f"penalty = (λ/2)·({norms}),  total_loss = L + penalty",
                     rf"\mathrm{{penalty}} = \frac{{\lambda}}{{2}} \left( {norms_tex} \right), \quad "
                     r"\mathrm{total\_loss} = L + \mathrm{penalty}"),
            f"λ = {decay.strength:g}, the weight decay; ‖W‖² = the sum of the squares of W's entries; L = the data loss",
            "Weight decay adds a penalty on large weights to the loss training drives down (the biases are left "
            "out). L, the data loss, is still what the loss of an epoch reports, so runs with and without decay "
            "compare; training minimises total_loss. The penalty's slope, λ·W, is added to each ∂L/∂W on the way "
            "back."),
            f"{len(names)} weight matrices → scalar; scalar + scalar → scalar",
            "\n".join(code_line(WeightDecay.add_penalty, start) for start in ("penalty =", "total_loss =")),
            {"loss": decay.data_loss, **dict(zip(names, decay.weights, strict=True))},
            {"penalty": decay.penalty, "total_loss": decay.total_loss}, partial(_explain_penalty, strength=decay.strength))


WeightDecay.phases = PenaltyPhases()


def _explain_penalty(tape: Tape, phase: Phase, name: str, row: int, column: int, *, strength: float) -> Explanation:
    total = cell_value(phase.outputs[name], row, column)
    if name == "total_loss":
        loss, penalty = float(phase.inputs["loss"]), float(phase.outputs["penalty"])
        return Explanation("total_loss", "L + penalty", (Term((loss,), loss), Term((penalty,), penalty)), 2, total,
                           reads={"loss": Read()}, latex=LatexWords(r"\mathrm{total\_loss}", r"L + \mathrm{penalty}"))
    weights = [weight for weight in phase.inputs if weight != "loss"]
    squares = [float(np.sum(np.asarray(phase.inputs[weight], dtype=np.float64) ** 2)) for weight in weights]

    def layout(written: list[str]) -> str:
        return f"{written[0]}/2·(" + " + ".join(written[1:]) + ")"

    def latex_layout(written: list[str]) -> str:
        return rf"\frac{{{written[0]}}}{{2}} \left(" + " + ".join(written[1:]) + r"\right)"

    def worked(*operands: float) -> float:
        return operands[0] / 2 * sum(operands[1:])

    return Explanation(
        "penalty", "(λ/2)·(" + " + ".join(f"‖{pretty_name(weight)}‖²" for weight in weights) + ")",
        (Term((strength,), strength), *(Term((square,), square) for square in squares)), 1 + len(weights), total,
        reads={weight: Read() for weight in weights}, layout=layout, worked=worked,
        latex=LatexWords(r"\mathrm{penalty}", r"\frac{\lambda}{2} \left("
                         + " + ".join(rf"\lVert {latex_name(weight)} \rVert^2" for weight in weights) + r"\right)",
                         layout=latex_layout),
    )
