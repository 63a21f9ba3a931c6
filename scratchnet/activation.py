"""Activations: A = σ(Z), entry by entry, and on the way back dZ = G ⊙ σ'(Z).

Each function is its own small class so the line that runs is the line a phase shows: `forward`
beside `get_local_derivative_wrt_inputs`, as the dense layer has them. Below the math, the phases an
activation records (`activation.l`, `backward.l.activation`), their words, and how a cell is written out.
"""

from __future__ import annotations

import math
from functools import partial
from typing import ClassVar

import numpy as np

from scratchnet.debugger.explain import Explanation, LatexWords, Read, Term, cell_value
from scratchnet.debugger.names import latex_name, pretty_name
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import Arrays, ChainOperation, ChainPhases, Place

LEAKY_SLOPE = 0.01
"""PyTorch's default negative slope for LeakyReLU."""
SATURATED = 0.01
"""An entry whose σ' is at most this passes (almost) no gradient back: ReLU's 0 and leaky ReLU's 0.01 below 0,
the flat tails of tanh (|Z| ≳ 3) and sigmoid (|Z| ≳ 4.6)."""


class Activation(ChainOperation):
    """σ applied to every entry: Aᵢⱼ depends on Zᵢⱼ alone, so its local derivative is elementwise too."""

    linear = False
    name: ClassVar[str]
    """As the command line and the equations write it: relu, tanh, sigmoid, leaky_relu."""
    held_back: ClassVar[str]
    """What is said of the entries whose σ' is at most `SATURATED`, after "37% of Z₁": the ones that pass (almost)
    no gradient back."""
    held_back_unit: ClassVar[str]
    """What a unit is whose every entry is held back, after "2 of 8 units"."""

    # Set by forward and backward; absent (AttributeError), never None, until they have run.
    input_matrix: np.ndarray
    output: np.ndarray
    incoming_gradient: np.ndarray
    input_gradient: np.ndarray

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        raise NotImplementedError

    def backward(self, cumulated_backpropagating_gradient: np.ndarray) -> np.ndarray:
        self.incoming_gradient = cumulated_backpropagating_gradient
        input_gradient = cumulated_backpropagating_gradient * self.get_local_derivative_wrt_inputs()
        self.input_gradient = input_gradient
        return input_gradient

    def rebuilt(self, parameters: Arrays) -> Activation:
        return type(self)()

    def output_name(self, layer: int) -> str:
        return f"A{layer}"

    def gradient_name(self, layer: int) -> str:
        return f"dZ{layer}"

    def who(self, layer: int) -> str:
        return f"layer {layer}'s {self.name}"


class Kinked(Activation):
    """An activation whose derivative jumps at 0."""

    def kink_sides(self) -> bytes:
        return np.packbits(self.input_matrix > 0).tobytes()


class ReLU(Kinked):
    name = "relu"
    held_back = "≤ 0: they pass no gradient back"
    held_back_unit = "dead (≤ 0 for every sample)"

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.maximum(input_matrix, 0)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """σ'(Z) = 1 where Z > 0, else 0: a mask of True and False, which a product reads as 1 and 0 without
        making a float copy first."""
        return self.input_matrix > 0


class LeakyReLU(Kinked):
    name = "leaky_relu"
    held_back = "≤ 0: they pass only 0.01 of the gradient back"
    held_back_unit = "≤ 0 for every sample"

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.where(input_matrix > 0, input_matrix, LEAKY_SLOPE * input_matrix)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """σ'(Z) = 1 where Z > 0, else 0.01."""
        return np.where(self.input_matrix > 0, 1, LEAKY_SLOPE).astype(self.input_matrix.dtype)


class Tanh(Activation):
    name = "tanh"
    held_back = "saturated (σ' ≤ 0.01): they pass almost no gradient back"
    held_back_unit = "saturated for every sample"

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.tanh(input_matrix)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """σ'(Z) = 1 − A²."""
        return 1 - self.output ** 2


class Sigmoid(Activation):
    name = "sigmoid"
    held_back = "saturated (σ' ≤ 0.01): they pass almost no gradient back"
    held_back_unit = "saturated for every sample"

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.exp(-np.logaddexp(0, -input_matrix))
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """σ'(Z) = A(1 − A)."""
        return self.output * (1 - self.output)


ACTIVATIONS: dict[str, type[Activation]] = {kind.name: kind for kind in (ReLU, Tanh, Sigmoid, LeakyReLU)}
"""By the name the command line takes (`none` is no activation at all)."""


# --- what the debugger shows of an activation ----------------------------------------------------------------

_SIGMA = {  # σ(Z) in Unicode and LaTeX, σ'(Z) likewise; {Z}, {A} stand for the layer's matrices
    "relu": ("max(0, {Z})", r"\max(0, {Z})", "1 if {Z} > 0, else 0", r"[{Z} > 0]"),
    "leaky_relu": ("max(0.01·{Z}, {Z})", r"\max(0.01\,{Z}, {Z})", "1 if {Z} > 0, else 0.01",
                   r"1 \text{{ if }} {Z} > 0 \text{{ else }} 0.01"),
    "tanh": ("tanh({Z})", r"\tanh({Z})", "1 − {A}²", "1 - {A}^2"),
    "sigmoid": ("1/(1 + e^−{Z})", r"\frac{{1}}{{1 + e^{{-{Z}}}}}", "{A}(1 − {A})", "{A}(1 - {A})"),
}

_WHY = {
    "relu": ("Where Z ≤ 0 the unit passed nothing forward and now passes no gradient back (σ' = 0): a unit that is "
             "≤ 0 for every sample is dead, and its weights stop learning."),
    "leaky_relu": ("Where Z ≤ 0 it still passes 0.01 of the gradient back, so a unit never dies completely, the "
                   "reason to prefer it over ReLU."),
    "tanh": ("σ' = 1 − A² is 1 at Z = 0 and near 0 when |Z| is large: a saturated unit passes almost no gradient "
             "back."),
    "sigmoid": ("σ' = A(1 − A) is at most 0.25 and near 0 when |Z| is large: a saturated unit passes almost no "
                "gradient back, and sigmoids stacked layer on layer shrink the gradient each time."),
}


def sigma(name: str, z: float) -> float:
    """σ(z) for one number, as a person checking a cell would work it."""
    if name == "relu":
        return max(0.0, z)
    if name == "leaky_relu":
        return z if z > 0 else LEAKY_SLOPE * z
    if name == "tanh":
        return math.tanh(z)
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


def sigma_prime(name: str, z: float) -> float:
    """σ'(z) for one number."""
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0 else LEAKY_SLOPE
    a = sigma(name, z)
    return 1 - a * a if name == "tanh" else a * (1 - a)


class ActivationPhases(ChainPhases):
    def forward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, Activation)
        name, l = operation.name, place.layer
        Z, A = pretty_name(place.input), pretty_name(place.output)
        uni, tex, prime, prime_tex = _SIGMA[name]
        Z_tex, A_tex = latex_name(place.input), latex_name(place.output)
        zeros = int(np.count_nonzero(operation.input_matrix <= 0))
        dead = int(np.count_nonzero(np.all(operation.input_matrix <= 0, axis=0)))
        where = (f"Here {zeros:,} of {operation.input_matrix.size:,} entries of {Z} are ≤ 0, and {dead} of its "
                 f"{operation.input_matrix.shape[1]} units are ≤ 0 for every sample.")
        note = (f"Layer {l} bends its output with {name}, one entry at a time; without such a bend the layers would "
                f"collapse into one linear map. {where}")
        writer.add(f"activation.{l}", "activation", "forward", l, Words(
            f"Layer {l} · {name}",
            Equation(f"{A} = {name}({Z}) = {uni.format(Z=Z, A=A)}" if name != "tanh" else f"{A} = tanh({Z})",
                     rf"{A_tex} = {tex.format(Z=Z_tex, A=A_tex)}"),
            f"σ'({Z}) = {prime.format(Z=Z, A=A)}: what the way back multiplies by", note),
            f"{name} of each of the {shape_text(operation.input_matrix)} entries → ({shape_text(operation.output)})",
            code_line(type(operation).forward, "output ="), {place.input: operation.input_matrix},
            {place.output: operation.output}, partial(_explain_forward, function=name))

    def backward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, Activation)
        name, l = operation.name, place.layer
        Z, A = pretty_name(place.input), pretty_name(place.output)
        G, dZ = pretty_name(place.gradient_in), pretty_name(place.gradient_out)
        _, _, prime, prime_tex = _SIGMA[name]
        Z_tex, A_tex = latex_name(place.input), latex_name(place.output)
        inputs = {place.gradient_in: operation.incoming_gradient, place.input: operation.input_matrix}
        if name in ("tanh", "sigmoid"):  # their σ' is written with A
            inputs[place.output] = operation.output
        code = "\n".join((code_line(Activation.backward, "input_gradient ="),
                          code_line(type(operation).get_local_derivative_wrt_inputs, "return")))
        writer.add(f"backward.{l}.activation", "activation_gradient", "backward", l, Words(
            f"Layer {l} · {dZ} = ∂L/∂{Z}",
            Equation(f"{dZ} = {G} ⊙ σ'({Z}),  σ'({Z}) = {prime.format(Z=Z, A=A)}",
                     rf"{latex_name(place.gradient_out)} = {latex_name(place.gradient_in)} \odot \sigma'({Z_tex}), "
                     rf"\quad \sigma'({Z_tex}) = {prime_tex.format(Z=Z_tex, A=A_tex)}"),
            f"G = ∂L/∂{A} = {place.gradient_legend}",
            f"{A} = {name}({Z}) entry by entry, so each Aᵢⱼ depends on its own Zᵢⱼ only: the Jacobian is diagonal, and "
            "multiplying by a diagonal matrix is multiplying entry by entry. So this is a Hadamard product ⊙, not a "
            f"matrix product. {_WHY[name]}"),
            f"({shape_text(operation.incoming_gradient)}) ⊙ ({shape_text(operation.input_matrix)}), elementwise → "
            f"({shape_text(operation.input_gradient)})",
            code, inputs, {place.gradient_out: operation.input_gradient},
            partial(_explain_backward, function=name), gradient_of=place.input)


Activation.phases = ActivationPhases()


_LAYOUT = {"relu": "max(0, {z})", "leaky_relu": "max(0.01·{z}, {z})", "tanh": "tanh({z})", "sigmoid": "1/(1 + e^−{z})"}
_LATEX_LAYOUT = {"relu": r"\max(0, {z})", "leaky_relu": r"\max(0.01 \cdot {z}, {z})", "tanh": r"\tanh({z})",
                 "sigmoid": r"\frac{{1}}{{1 + e^{{-{z}}}}}"}
_LATEX_FUNCTION = {"relu": r"\operatorname{relu}", "leaky_relu": r"\operatorname{leaky\_relu}", "tanh": r"\tanh",
                   "sigmoid": r"\operatorname{sigmoid}"}


def _explain_forward(tape: Tape, phase: Phase, name: str, row: int, column: int, *, function: str) -> Explanation:
    (z_name,) = phase.inputs
    z = float(phase.inputs[z_name][row, column])
    return Explanation(
        f"{pretty_name(name)}[{row},{column}]", f"{function}({pretty_name(z_name)}[{row},{column}])",
        (Term((z,), sigma(function, z)),), 1, cell_value(phase.outputs[name], row, column),
        reads={z_name: Read(row, column)},
        layout=lambda written: _LAYOUT[function].format(z=written[0]), worked=partial(sigma, function),
        latex=LatexWords(f"{latex_name(name)}[{row},{column}]",
                         f"{_LATEX_FUNCTION[function]}({latex_name(z_name)}[{row},{column}])",
                         layout=lambda written: _LATEX_LAYOUT[function].format(z=written[0])),
    )


def _explain_backward(tape: Tape, phase: Phase, name: str, row: int, column: int, *, function: str) -> Explanation:
    g_name, z_name, *a_name = phase.inputs
    g, z = float(phase.inputs[g_name][row, column]), float(phase.inputs[z_name][row, column])
    if a_name:  # tanh and sigmoid: σ' from the tape's own A
        a = float(phase.inputs[a_name[0]][row, column])
        derivative = 1 - a * a if function == "tanh" else a * (1 - a)
    else:
        derivative = sigma_prime(function, z)
    return Explanation(
        f"{pretty_name(name)}[{row},{column}]",
        f"{pretty_name(g_name)}[{row},{column}]·σ'({pretty_name(z_name)}[{row},{column}])",
        (Term((g, derivative), g * derivative),), 1, cell_value(phase.outputs[name], row, column),
        reads={g_name: Read(row, column), z_name: Read(row, column), **{n: Read(row, column) for n in a_name}},
        latex=LatexWords(f"{latex_name(name)}[{row},{column}]",
                         rf"{latex_name(g_name)}[{row},{column}] \cdot \sigma'({latex_name(z_name)}[{row},{column}])"),
    )
