"""Plain gradient descent, said the article's way, and what the debugger shows of it.

W ← W − η·∂L/∂W for every layer, as new arrays, so the old parameters stay valid for anyone holding
them (the tape, the epoch history). Below the math: the update phase, its words and a cell's expansion.
"""

from __future__ import annotations

from collections.abc import Sequence

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, cell_value
from scratchnet.debugger.names import latex_name, pretty_name, subscript
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import Arrays, Place, Trainable, UpdatePhases, UpdateRule


class GradientDescent(UpdateRule):
    def optimize(self, layers: Sequence[Trainable], learning_rate: float) -> None:
        """New arrays, never in place: the old parameters stay valid for anyone holding them."""
        for layer in layers:
            new_weight = layer.weight - learning_rate * layer.weight_gradient
            new_bias = layer.bias - learning_rate * layer.bias_gradient
            layer.weight, layer.bias = new_weight, new_bias


# --- what the debugger shows of a gradient-descent update ------------------------------------------------


class GradientDescentPhases(UpdatePhases):
    def record(self, writer: PhaseWriter, rule: UpdateRule, layer: Trainable, place: Place,
               parameters: Arrays, learning_rate: float) -> None:
        weight, bias = parameters
        new_weight, new_bias = layer.weight, layer.bias
        weight_gradient, bias_gradient = layer.weight_gradient, layer.bias_gradient
        l, s = place.layer, subscript(place.layer)
        writer.add(f"update.{l}", "update", "update", l, Words(
            f"Layer {l} · update",
            Equation(
                f"W{s}' = W{s} − η·∂L/∂W{s},  b{s}' = b{s} − η·∂L/∂b{s}",
                rf"W_{{{l}}}' = W_{{{l}}} - \eta \frac{{\partial L}}{{\partial W_{{{l}}}}}, \quad "
                rf"b_{{{l}}}' = b_{{{l}}} - \eta \frac{{\partial L}}{{\partial b_{{{l}}}}}",
            ),
            f"η = {learning_rate:g}, the learning rate",
            "Gradient descent moves every weight and bias a small step against its gradient, the direction that "
            f"lowers the loss fastest. New arrays are made: W{s} keeps its old values on this tape, and the next "
            "iteration's forward pass uses W'."),
            f"({shape_text(weight)}) − η·({shape_text(weight)}) → ({shape_text(new_weight)});  "
            f"({shape_text(bias)}) − η·({shape_text(bias)}) → ({shape_text(new_bias)})",
            "\n".join(code_line(GradientDescent.optimize, start) for start in ("new_weight =", "new_bias =")),
            {f"W{l}": weight, f"b{l}": bias, f"dW{l}": weight_gradient, f"db{l}": bias_gradient},
            {f"W{l}'": new_weight, f"b{l}'": new_bias}, _explain_update)


GradientDescent.phases = GradientDescentPhases()


def _explain_update(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    stem = name.rstrip("'")  # W2 or b2
    before, slope = float(phase.inputs[stem][row, column]), float(phase.inputs[f"d{stem}"][row, column])
    rate = tape.learning_rate
    return Explanation(
        f"{pretty_name(name)}[{row},{column}]", f"{pretty_name(stem)}[{row},{column}] − η·d{pretty_name(stem)}[{row},{column}]",
        (Term((before,), before), Term((rate, slope), rate * slope)), 2, cell_value(phase.outputs[name], row, column),
        joiner=" − ", reads={stem: Read(row, column), f"d{stem}": Read(row, column)}, before=before,
        latex=LatexWords(f"{latex_name(name)}[{row},{column}]",
                         rf"{latex_name(stem)}[{row},{column}] - \eta \cdot d{latex_name(stem)}[{row},{column}]"),
    )
