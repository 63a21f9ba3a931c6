"""Adam, PyTorch's way, and what the debugger shows of it.

Every weight and bias keeps two running averages: m of its gradients and s of their squares. At update t
(counted from 1): m ← β₁m + (1−β₁)g; s ← β₂s + (1−β₂)g²; m̂ = m/(1−β₁ᵗ); ŝ = s/(1−β₂ᵗ); W ← W − η·m̂/(√ŝ + ε),
the formulas of `torch.optim.Adam` (with weight decay, g already holds λ·W: L2 in the gradient, not AdamW).
Moments and parameters are new arrays at every update, never changed in place, so a tape's views and a kept
`OptimizerState` stay valid. Below the math: the update phase, its words, and how each cell it made is
written out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, cell_value
from scratchnet.debugger.names import M_HAT, S_HAT, latex_gradient, latex_name, pretty_name, subscript
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import FRESH, Arrays, OptimizerState, Place, Trainable, UpdatePhases, UpdateRule


class Adam(UpdateRule):
    state_names = ("mW", "sW", "mb", "sb")

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 state: OptimizerState = FRESH) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.state = state
        self.read: OptimizerState = state
        """The state the last update started from (what its phases show as mW, sW, mb, sb)."""
        self.corrected: tuple[Arrays, ...] = ()
        """The last update's bias-corrected moments per layer: m̂W, ŝW, m̂b, ŝb."""
        self._updated: tuple[int, ...] = ()

    def rebuilt(self, state: OptimizerState = FRESH) -> Adam:
        return Adam(self.beta1, self.beta2, self.eps, state)

    def optimize(self, layers: Sequence[Trainable], learning_rate: float) -> None:
        """New arrays, never in place: the old moments and parameters stay valid for anyone holding them."""
        step = self.state.step + 1
        moments = self.state.arrays or tuple(
            (np.zeros_like(layer.weight), np.zeros_like(layer.weight), np.zeros_like(layer.bias),
             np.zeros_like(layer.bias)) for layer in layers)
        made, corrected = [], []
        for layer, (weight_first, weight_second, bias_first, bias_second) in zip(layers, moments, strict=True):
            new_weight, *weight_moments = self.adam(layer.weight, layer.weight_gradient, weight_first, weight_second,
                                                    learning_rate, step)
            new_bias, *bias_moments = self.adam(layer.bias, layer.bias_gradient, bias_first, bias_second,
                                                learning_rate, step)
            layer.weight, layer.bias = new_weight, new_bias
            made.append((weight_moments[0], weight_moments[1], bias_moments[0], bias_moments[1]))
            corrected.append((weight_moments[2], weight_moments[3], bias_moments[2], bias_moments[3]))
        self.read = OptimizerState(self.state.step, moments)
        self.state = OptimizerState(step, tuple(made))
        self.corrected = tuple(corrected)
        self._updated = tuple(id(layer) for layer in layers)

    def adam(self, parameter: np.ndarray, gradient: np.ndarray, first_moment: np.ndarray, second_moment: np.ndarray,
             learning_rate: float, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One parameter's update t = `step`: (the new parameter, m, s, m̂, ŝ)."""
        first_moment = self.beta1 * first_moment + (1 - self.beta1) * gradient
        second_moment = self.beta2 * second_moment + (1 - self.beta2) * gradient ** 2
        corrected_first_moment = first_moment / (1 - self.beta1 ** step)
        corrected_second_moment = second_moment / (1 - self.beta2 ** step)
        new_parameter = parameter - learning_rate * corrected_first_moment / (np.sqrt(corrected_second_moment) + self.eps)
        return new_parameter, first_moment, second_moment, corrected_first_moment, corrected_second_moment

    def position_of(self, layer: Trainable) -> int:
        """Which of the layers the last update moved is `layer` (its state's place)."""
        return self._updated.index(id(layer))


# --- what the debugger shows of an Adam update ------------------------------------------------------------


class AdamPhases(UpdatePhases):
    def record(self, writer: PhaseWriter, rule: UpdateRule, layer: Trainable, place: Place,
               parameters: Arrays, learning_rate: float) -> None:
        assert isinstance(rule, Adam)
        weight, bias = parameters
        position = rule.position_of(layer)
        m_W, s_W, m_b, s_b = rule.read.arrays[position]
        new_m_W, new_s_W, new_m_b, new_s_b = rule.state.arrays[position]
        hat_m_W, hat_s_W, hat_m_b, hat_s_b = rule.corrected[position]
        t = rule.state.step
        l, s = place.layer, subscript(place.layer)
        w, b = shape_text(weight), shape_text(bias)
        W, g = f"W{s}", f"∂L/∂W{s}"
        Wt, gt = f"W_{{{l}}}", rf"\frac{{\partial L}}{{\partial W_{{{l}}}}}"
        decay = getattr(layer, "weight_decay", 0.0)
        writer.add(f"update.{l}", "update", "update", l, Words(
            f"Layer {l} · Adam update",
            Equation(
                f"m{W}' = β₁·m{W} + (1−β₁)·{g},  s{W}' = β₂·s{W} + (1−β₂)·({g})²,  "
                f"{M_HAT}{W} = m{W}'/(1−β₁ᵗ),  {S_HAT}{W} = s{W}'/(1−β₂ᵗ),  "
                f"{W}' = {W} − η·{M_HAT}{W}/(√{S_HAT}{W} + ε);  the same for b{s}",
                rf"m_{{{Wt}}}' = \beta_1 m_{{{Wt}}} + (1-\beta_1) {gt}, \quad "
                rf"s_{{{Wt}}}' = \beta_2 s_{{{Wt}}} + (1-\beta_2) \left({gt}\right)^2, \quad "
                rf"\hat m_{{{Wt}}} = \frac{{m_{{{Wt}}}'}}{{1-\beta_1^t}}, \quad "
                rf"\hat s_{{{Wt}}} = \frac{{s_{{{Wt}}}'}}{{1-\beta_2^t}}, \quad "
                rf"{Wt}' = {Wt} - \eta \frac{{\hat m_{{{Wt}}}}}{{\sqrt{{\hat s_{{{Wt}}}}} + \epsilon}}"
                rf"; \text{{ the same for }} b_{{{l}}}",
            ),
            f"β₁ = {rule.beta1:g}, β₂ = {rule.beta2:g}, ε = {rule.eps:g}, η = {learning_rate:g};  t = {t}, this "
            f"update's number: 1−β₁ᵗ = {1 - rule.beta1 ** t:.4g}, 1−β₂ᵗ = {1 - rule.beta2 ** t:.4g}",
            "Adam keeps two running averages for every weight and bias: m of its gradients (which way to go) and "
            "s of their squares (how large they have been). Both start at 0, so early on they are too small; "
            "dividing by 1−βᵗ corrects that (m̂, ŝ). Each weight then moves by η·m̂/(√ŝ + ε): about η where the "
            "gradients agree, whatever their scale. PyTorch's Adam"
            + ("; the weight decay is already in ∂L/∂W (L2 in the gradient, not AdamW)." if decay else ".")
            + f" New arrays are made: m{W}, s{W} and {W} keep their old values on this tape."),
            f"({w}) → m, s, {M_HAT}, {S_HAT} and {W}' ({w});  ({b}) → the same for b{s}",
            "\n".join(code_line(Adam.adam, start) for start in (
                "first_moment =", "second_moment =", "corrected_first_moment =", "corrected_second_moment =",
                "new_parameter =")),
            {f"W{l}": weight, f"b{l}": bias, f"dW{l}": layer.weight_gradient, f"db{l}": layer.bias_gradient,
             f"mW{l}": m_W, f"sW{l}": s_W, f"mb{l}": m_b, f"sb{l}": s_b},
            {f"W{l}'": layer.weight, f"b{l}'": layer.bias,
             f"mW{l}'": new_m_W, f"sW{l}'": new_s_W, f"{M_HAT}W{l}": hat_m_W, f"{S_HAT}W{l}": hat_s_W,
             f"mb{l}'": new_m_b, f"sb{l}'": new_s_b, f"{M_HAT}b{l}": hat_m_b, f"{S_HAT}b{l}": hat_s_b},
            partial(_explain_adam, beta1=rule.beta1, beta2=rule.beta2, eps=rule.eps, step=t))


Adam.phases = AdamPhases()


def _update(w: float, rate: float, m: float, s: float, eps: float) -> float:
    return w - rate * m / (math.sqrt(s) + eps)


def _update_latex(written: Sequence[str]) -> str:
    return rf"{written[0]} - {written[1]} \cdot \frac{{{written[2]}}}{{\sqrt{{{written[3]}}} + {written[4]}}}"


def _explain_adam(tape: Tape, phase: Phase, name: str, row: int, column: int, *, beta1: float, beta2: float,
                  eps: float, step: int) -> Explanation:
    total = cell_value(phase.outputs[name], row, column)
    at = f"[{row},{column}]"
    cell, cell_tex = f"{pretty_name(name)}{at}", f"{latex_name(name)}{at}"
    stem = name.rstrip("'")  # W2, mW2, sW2; or m̂W2, ŝW2
    if stem.startswith((M_HAT, S_HAT)):
        first = stem.startswith(M_HAT)
        hat = M_HAT if first else S_HAT
        moment = ("m" if first else "s") + stem[len(hat):] + "'"
        value = float(phase.outputs[moment][row, column])
        correction = 1 - (beta1 if first else beta2) ** step
        beta = "β₁" if first else "β₂"
        return Explanation(
            cell, f"{pretty_name(moment)}{at}/(1−{beta}ᵗ)", (Term((value,), value), Term((correction,), correction)),
            2, total, reads={moment: Read(row, column)},
            layout=lambda written: f"{written[0]}/{written[1]}", worked=lambda m, c: m / c,
            latex=LatexWords(cell_tex, rf"\frac{{{latex_name(moment)}{at}}}{{1 - \beta_{2 - first}^t}}",
                             layout=lambda written: rf"\frac{{{written[0]}}}{{{written[1]}}}"),
        )
    if stem[0] in "ms" and stem[1:2] in ("W", "b"):
        gradient = "d" + stem[1:]
        old, slope = float(phase.inputs[stem][row, column]), float(phase.inputs[gradient][row, column])
        reads = {stem: Read(row, column), gradient: Read(row, column)}
        if stem[0] == "m":
            return Explanation(
                cell, f"β₁·{pretty_name(stem)}{at} + (1−β₁)·∂L/∂{pretty_name(stem[1:])}{at}",
                (Term((beta1, old), beta1 * old), Term((1 - beta1, slope), (1 - beta1) * slope)), 2, total,
                before=old, reads=reads,
                latex=LatexWords(cell_tex, rf"\beta_1 \cdot {latex_name(stem)}{at} + (1 - \beta_1) \cdot "
                                 rf"{latex_gradient(stem[1:])}{at}"))
        return Explanation(
            cell, f"β₂·{pretty_name(stem)}{at} + (1−β₂)·(∂L/∂{pretty_name(stem[1:])}{at})²",
            (Term((beta2, old), beta2 * old), Term((1 - beta2, slope, slope), (1 - beta2) * slope * slope)), 2,
            total, before=old, reads=reads,
            latex=LatexWords(cell_tex, rf"\beta_2 \cdot {latex_name(stem)}{at} + (1 - \beta_2) \cdot "
                             rf"\left({latex_gradient(stem[1:])}{at}\right)^2"))
    hat_m, hat_s = f"{M_HAT}{stem}", f"{S_HAT}{stem}"
    before = float(phase.inputs[stem][row, column])
    m, s = float(phase.outputs[hat_m][row, column]), float(phase.outputs[hat_s][row, column])
    rate = tape.learning_rate
    return Explanation(
        cell, f"{pretty_name(stem)}{at} − η·{pretty_name(hat_m)}{at}/(√{pretty_name(hat_s)}{at} + ε)",
        tuple(Term((value,), value) for value in (before, rate, m, s, eps)), 5, total, before=before,
        reads={stem: Read(row, column), hat_m: Read(row, column), hat_s: Read(row, column)},
        layout=lambda written: f"{written[0]} − {written[1]}·{written[2]}/(√{written[3]} + {written[4]})",
        worked=_update,
        latex=LatexWords(cell_tex, rf"{latex_name(stem)}{at} - \eta \cdot \frac{{{latex_name(hat_m)}{at}}}"
                         rf"{{\sqrt{{{latex_name(hat_s)}{at}}} + \epsilon}}", layout=_update_latex),
    )
