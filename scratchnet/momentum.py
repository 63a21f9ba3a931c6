"""Gradient descent with momentum, PyTorch's way, and what the debugger shows of it.

Every weight and bias keeps a velocity v: v ← μ·v + ∂L/∂W, then W ← W − η·v. The velocity starts at 0, so
the first update is v = ∂L/∂W, plain gradient descent, as `torch.optim.SGD(momentum=μ)` does it (no
dampening, not Nesterov). Velocities and parameters are new arrays at every update, never changed in place,
so a tape's views and a kept `OptimizerState` stay valid. Below the math: the update phase, its words, and how
a cell of each matrix it makes is written out.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, cell_value
from scratchnet.debugger.names import latex_gradient, latex_name, pretty_name, subscript
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import FRESH, Arrays, OptimizerState, Place, Trainable, UpdatePhases, UpdateRule


class Momentum(UpdateRule):
    state_names = ("vW", "vb")

    def __init__(self, momentum: float = 0.9, state: OptimizerState = FRESH) -> None:
        self.momentum = momentum
        """μ: how much of the previous velocity each update keeps."""
        self.state = state
        self.read: OptimizerState = state
        """The state the last update started from (what its phases show as vW, vb)."""
        self._updated: tuple[int, ...] = ()

    def rebuilt(self, state: OptimizerState = FRESH) -> Momentum:
        return Momentum(self.momentum, state)

    def optimize(self, layers: Sequence[Trainable], learning_rate: float) -> None:
        """New arrays, never in place: the old velocities and parameters stay valid for anyone holding them."""
        velocities = self.state.arrays or tuple((np.zeros_like(layer.weight), np.zeros_like(layer.bias))
                                                for layer in layers)
        made = []
        for layer, (weight_velocity, bias_velocity) in zip(layers, velocities, strict=True):
            new_weight_velocity = self.momentum * weight_velocity + layer.weight_gradient
            new_bias_velocity = self.momentum * bias_velocity + layer.bias_gradient
            new_weight = layer.weight - learning_rate * new_weight_velocity
            new_bias = layer.bias - learning_rate * new_bias_velocity
            layer.weight, layer.bias = new_weight, new_bias
            made.append((new_weight_velocity, new_bias_velocity))
        self.read = OptimizerState(self.state.step, velocities)
        self.state = OptimizerState(self.state.step + 1, tuple(made))
        self._updated = tuple(id(layer) for layer in layers)

    def position_of(self, layer: Trainable) -> int:
        """Which of the layers the last update moved is `layer` (its state's place)."""
        return self._updated.index(id(layer))


# --- what the debugger shows of a momentum update ------------------------------------------------------------


class MomentumPhases(UpdatePhases):
    def record(self, writer: PhaseWriter, rule: UpdateRule, layer: Trainable, place: Place,
               parameters: Arrays, learning_rate: float) -> None:
        assert isinstance(rule, Momentum)
        weight, bias = parameters
        position = rule.position_of(layer)
        weight_velocity, bias_velocity = rule.read.arrays[position]
        new_weight_velocity, new_bias_velocity = rule.state.arrays[position]
        l, s = place.layer, subscript(place.layer)
        w, b = shape_text(weight), shape_text(bias)
        first = " (v starts at 0: this first update is plain gradient descent)" if rule.read.step == 0 else ""
        writer.add(f"update.{l}", "update", "update", l, Words(
            f"Layer {l} · momentum update",
            Equation(
                f"vW{s}' = μ·vW{s} + ∂L/∂W{s},  W{s}' = W{s} − η·vW{s}';  "
                f"vb{s}' = μ·vb{s} + ∂L/∂b{s},  b{s}' = b{s} − η·vb{s}'",
                rf"v_{{W_{{{l}}}}}' = \mu v_{{W_{{{l}}}}} + \frac{{\partial L}}{{\partial W_{{{l}}}}}, \quad "
                rf"W_{{{l}}}' = W_{{{l}}} - \eta v_{{W_{{{l}}}}}'; \quad "
                rf"v_{{b_{{{l}}}}}' = \mu v_{{b_{{{l}}}}} + \frac{{\partial L}}{{\partial b_{{{l}}}}}, \quad "
                rf"b_{{{l}}}' = b_{{{l}}} - \eta v_{{b_{{{l}}}}}'",
            ),
            f"μ = {rule.momentum:g}, the momentum;  η = {learning_rate:g}, the learning rate;  "
            f"update {rule.state.step}{first}",
            "Momentum keeps a velocity for every weight and bias: the gradients so far, each older one shrunk by "
            "another factor μ. The step follows the velocity, not this gradient alone, so it gathers speed where "
            "the gradients keep agreeing and damps the zigzag where they flip. PyTorch's SGD with momentum. New "
            f"arrays are made: vW{s} and W{s} keep their old values on this tape."),
            f"μ·({w}) + ({w}) → ({w}), ({w}) − η·({w}) → ({w});  the same for b{s}: ({b})",
            "\n".join(code_line(Momentum.optimize, start) for start in (
                "new_weight_velocity =", "new_bias_velocity =", "new_weight =", "new_bias =")),
            {f"W{l}": weight, f"b{l}": bias, f"dW{l}": layer.weight_gradient, f"db{l}": layer.bias_gradient,
             f"vW{l}": weight_velocity, f"vb{l}": bias_velocity},
            {f"W{l}'": layer.weight, f"b{l}'": layer.bias, f"vW{l}'": new_weight_velocity,
             f"vb{l}'": new_bias_velocity},
            partial(_explain_momentum, momentum=rule.momentum))


Momentum.phases = MomentumPhases()


def _explain_momentum(tape: Tape, phase: Phase, name: str, row: int, column: int, *, momentum: float) -> Explanation:
    stem = name.rstrip("'")  # W2, b2, vW2 or vb2
    total = cell_value(phase.outputs[name], row, column)
    at = f"[{row},{column}]"
    if stem.startswith("v"):
        gradient = "d" + stem[1:]
        old, slope = float(phase.inputs[stem][row, column]), float(phase.inputs[gradient][row, column])
        return Explanation(
            f"{pretty_name(name)}{at}", f"μ·{pretty_name(stem)}{at} + ∂L/∂{pretty_name(stem[1:])}{at}",
            (Term((momentum, old), momentum * old), Term((slope,), slope)), 2, total, before=old,
            reads={stem: Read(row, column), gradient: Read(row, column)},
            latex=LatexWords(f"{latex_name(name)}{at}",
                             rf"\mu \cdot {latex_name(stem)}{at} + {latex_gradient(stem[1:])}{at}"),
        )
    velocity = f"v{stem}'"
    before, speed = float(phase.inputs[stem][row, column]), float(phase.outputs[velocity][row, column])
    rate = tape.learning_rate
    return Explanation(
        f"{pretty_name(name)}{at}", f"{pretty_name(stem)}{at} − η·{pretty_name(velocity)}{at}",
        (Term((before,), before), Term((rate, speed), rate * speed)), 2, total, joiner=" − ", before=before,
        reads={stem: Read(row, column), velocity: Read(row, column)},
        latex=LatexWords(f"{latex_name(name)}{at}", rf"{latex_name(stem)}{at} - \eta \cdot {latex_name(velocity)}{at}"),
    )
