"""A dense layer, said the article's way, and what the debugger shows of it.

`forward` sits beside the layer's two local derivatives on purpose: those two matrices are all a
dense layer contributes to backpropagation, and reading them together is the whole lesson. Below the
math, `DenseLayerPhases` holds the layer's phases, their words and how each cell they made is written out.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np

from scratchnet.debugger.explain import SHOWN_TERMS, Explanation, LatexWords, Read, Term, batch_sum, cell_value
from scratchnet.debugger.names import latex_gradient, latex_name, pretty_name, subscript
from scratchnet.debugger.source import code_line
from scratchnet.debugger.tape import Phase, PhaseWriter, Tape, shape_text
from scratchnet.debugger.words import Equation, Words
from scratchnet.operation import Arrays, ChainOperation, ChainPhases, Place


class DenseLayer(ChainOperation):
    """Z = X·W + b, remembering X so the weight gradient can be formed later."""

    starts_layer = True
    trainable = True
    weight_decay: float = 0.0
    """λ of L2 weight decay, set by the network: ∂L/∂W gains λ·W (0: the article's lines alone)."""

    # Set by forward; absent (AttributeError), never None, until it has run.
    input_matrix: np.ndarray
    output: np.ndarray
    # Set by backward: the gradient arriving at this layer (G) and the three gradients it makes from it.
    incoming_gradient: np.ndarray
    weight_gradient: np.ndarray
    bias_gradient: np.ndarray
    input_gradient: np.ndarray

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.weight = weight
        self.bias = bias

    @classmethod
    def initialise(cls, n_inputs: int, n_outputs: int, rng: np.random.Generator, dtype: np.dtype) -> DenseLayer:
        """Uniform in [−1, 1) like the article, drawn weight first, then bias."""
        weight = rng.uniform(-1.0, 1.0, size=(n_inputs, n_outputs)).astype(dtype)
        bias = rng.uniform(-1.0, 1.0, size=(1, n_outputs)).astype(dtype)
        return cls(weight, bias)

    def forward(self, input_matrix: np.ndarray) -> np.ndarray:
        self.input_matrix = input_matrix
        output = np.dot(input_matrix, self.weight) + self.bias
        self.output = output
        return output

    def get_local_derivative_wrt_weights(self) -> np.ndarray:
        """∂Z/∂W = X: how the output moves when a weight moves."""
        return self.input_matrix

    def get_local_derivative_wrt_inputs(self) -> np.ndarray:
        """∂Z/∂X = W: how the output moves when an input moves."""
        return self.weight

    def backward(layer, cumulated_backpropagating_gradient: np.ndarray) -> np.ndarray:  # noqa: N805
        """The chain rule through this layer: dW, db, and the gradient for the layer below.
        `layer`, not `self`: these are the article's lines, written for its network's loop over layers."""
        layer.incoming_gradient = cumulated_backpropagating_gradient
        weight_gradient = np.dot(layer.get_local_derivative_wrt_weights().T, cumulated_backpropagating_gradient)
        if layer.weight_decay:  # the penalty (λ/2)·‖W‖² of weight decay adds its own slope, λ·W
            weight_gradient = weight_gradient + layer.weight_decay * layer.weight
        bias_gradient = np.sum(cumulated_backpropagating_gradient, axis=0, keepdims=True)
        cumulated_backpropagating_gradient = np.dot(cumulated_backpropagating_gradient, layer.get_local_derivative_wrt_inputs().T)
        layer.weight_gradient = weight_gradient
        layer.bias_gradient = bias_gradient
        layer.input_gradient = cumulated_backpropagating_gradient
        return cumulated_backpropagating_gradient

    # --- its place in a network ---------------------------------------------------------------------

    def parameters(self) -> Arrays:
        return (self.weight, self.bias)

    def rebuilt(self, parameters: Arrays) -> DenseLayer:
        weight, bias = parameters
        return DenseLayer(weight, bias)

    def output_name(self, layer: int) -> str:
        return f"Z{layer}"

    def gradient_name(self, layer: int) -> str:
        return f"dX{layer}"

    def parameter_names(self, layer: int) -> tuple[str, ...]:
        return (f"W{layer}", f"b{layer}")


# --- what the debugger shows of a dense layer --------------------------------------------------------------


class DenseLayerPhases(ChainPhases):
    def forward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, DenseLayer)
        weight, bias = parameters
        l, s = place.layer, subscript(place.layer)
        x, x_tex = pretty_name(place.input), latex_name(place.input)
        last = l == place.n_layers
        lhs = f"ŷ = Z{s}" if last else f"Z{s}"
        lhs_tex = rf"\hat y = Z_{{{l}}}" if last else f"Z_{{{l}}}"
        note = (
            f"Layer {l} multiplies every row of its input {x} by W{s} and adds the bias b{s} "
            f"to each row, so every sample becomes {'the prediction' if last else 'a new row of features'}. "
            f"The layer keeps its input: it is ∂Z/∂W, the local derivative the weight gradient needs on the way back."
        )
        if last and place.linear:
            note += " With no activations anywhere, ŷ is still a linear function of X."
        words = Words(f"Layer {l} · forward", Equation(f"{lhs} = {x}·W{s} + b{s}", f"{lhs_tex} = {x_tex} W_{{{l}}} + b_{{{l}}}"),
                      "", note)
        X = operation.input_matrix
        shapes = (f"({shape_text(X)})·({shape_text(weight)}) + ({shape_text(bias)} broadcast over {X.shape[0]} rows) "
                  f"→ ({shape_text(operation.output)})")
        writer.add(f"forward.{l}", "forward", "forward", l, words, shapes, code_line(DenseLayer.forward, "output ="),
                   {place.input: X, f"W{l}": weight, f"b{l}": bias}, {place.output: operation.output}, _explain_forward)

    def backward(self, writer: PhaseWriter, operation: ChainOperation, place: Place, parameters: Arrays) -> None:
        assert isinstance(operation, DenseLayer)
        weight, _ = parameters
        l, s = place.layer, subscript(place.layer)
        x, x_tex = pretty_name(place.input), latex_name(place.input)
        legend = f"G = ∂L/∂{pretty_name(place.output)} = {place.gradient_legend}"
        G, X = operation.incoming_gradient, operation.input_matrix
        code = code_line(DenseLayer.backward, "weight_gradient = np.dot")
        equation = Equation(f"∂L/∂W{s} = {x}ᵀ·G", rf"\frac{{\partial L}}{{\partial W_{{{l}}}}} = {x_tex}^\top G")
        note = (f"The chain rule: ∂L/∂W = (∂Z/∂W)ᵀ·G, and ∂Z/∂W is the input {x} that layer {l} kept on the forward "
                "pass. The product sums over all samples at once, so each entry adds up how hard every sample pulls "
                "on that one weight.")
        shapes = (f"({shape_text(X)})ᵀ·({shape_text(G)}) = ({shape_text(X.T)})·({shape_text(G)}) → "
                  f"({shape_text(operation.weight_gradient)}), summing over {G.shape[0]} rows")
        reads: dict[str, np.ndarray] = {place.input: X, place.gradient_in: G}
        decay = operation.weight_decay
        if decay:
            equation = Equation(equation.unicode + f" + λ·W{s}", equation.latex + rf" + \lambda W_{{{l}}}")
            legend += f";  λ = {decay:g}, the weight decay"
            note += (f" Weight decay adds λ·W{s}, the slope of its penalty (λ/2)·‖W{s}‖²: every weight is pulled a "
                     "little toward 0, the more the larger it is.")
            shapes += f", + λ·({shape_text(weight)})"
            code += "\n" + code_line(DenseLayer.backward, "weight_gradient = weight_gradient +")
            reads[f"W{l}"] = weight
        writer.add(f"backward.{l}.weight", "weight", "backward", l, Words(f"Layer {l} · ∂L/∂W{s}", equation, legend, note),
                   shapes, code, reads, {f"dW{l}": operation.weight_gradient},
                   partial(_explain_weight, weight_decay=decay) if decay else _explain_weight, gradient_of=f"W{l}")
        writer.add(f"backward.{l}.bias", "bias", "backward", l, Words(
            f"Layer {l} · ∂L/∂b{s}",
            Equation(f"∂L/∂b{s} = Σᵢ Gᵢ", rf"\frac{{\partial L}}{{\partial b_{{{l}}}}} = \sum_i G_i"),
            legend,
            "The bias is added to every row, so ∂Z/∂b = 1 and its gradient is G summed down the samples: one number "
            "per unit of the layer."),
            f"Σ over {G.shape[0]} rows of ({shape_text(G)}) → ({shape_text(operation.bias_gradient)})",
            code_line(DenseLayer.backward, "bias_gradient ="), {place.gradient_in: G},
            {f"db{l}": operation.bias_gradient}, _explain_bias, gradient_of=f"b{l}")
        target = f"∂L/∂{x}"
        target_tex = rf"\frac{{\partial L}}{{\partial {x_tex}}}"
        if place.below is None:
            onward = (f"Layer {l}'s input is the data, which nothing trains, so this gradient updates nothing; it "
                      "still shows how sensitive the loss is to each feature of each sample.")
        elif place.below_starts_layer:
            onward = f"It becomes G for {place.below}: the same three steps repeat there."
        else:
            onward = f"It goes back through {place.below} next, on its way to layer {l - 1}'s weights."
        dX = pretty_name(place.gradient_out)
        writer.add(f"backward.{l}.input", "input", "backward", l, Words(
            f"Layer {l} · {dX} = {target}",
            Equation(f"{dX} = {target} = G·W{s}ᵀ", rf"{latex_name(place.gradient_out)} = {target_tex} = G W_{{{l}}}^\top"),
            legend,
            f"To keep going backward, layer {l} multiplies G by the transpose of its other local derivative, "
            f"∂Z/∂X = W{s}. {onward}"),
            f"({shape_text(G)})·({shape_text(weight)})ᵀ = ({shape_text(G)})·({shape_text(weight.T)}) → "
            f"({shape_text(operation.input_gradient)})",
            code_line(DenseLayer.backward, "cumulated_backpropagating_gradient = np.dot"),
            {place.gradient_in: G, f"W{l}": weight}, {place.gradient_out: operation.input_gradient}, _explain_input,
            gradient_of=place.input)


DenseLayer.phases = DenseLayerPhases()


def _explain_forward(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    a_name, w_name, b_name = phase.inputs
    A, W, b = phase.inputs[a_name], phase.inputs[w_name], phase.inputs[b_name]
    terms = tuple(Term((float(A[row, k]), float(W[k, column])), float(A[row, k] * W[k, column]))
                  for k in range(min(SHOWN_TERMS, A.shape[1])))
    return Explanation(
        f"{pretty_name(name)}[{row},{column}]",
        f"{pretty_name(a_name)}[{row},:]·{pretty_name(w_name)}[:,{column}] + {pretty_name(b_name)}[{column}]",
        terms, A.shape[1], cell_value(phase.outputs[name], row, column), constant=float(b[0, column]),
        reads={a_name: Read(row=row), w_name: Read(column=column), b_name: Read(column=column)},
        latex=LatexWords(f"{latex_name(name)}[{row},{column}]", rf"{latex_name(a_name)}[{row},:] \cdot "
                         f"{latex_name(w_name)}[:,{column}] + {latex_name(b_name)}[{column}]"),
    )


def _explain_weight(tape: Tape, phase: Phase, name: str, row: int, column: int, *,
                    weight_decay: float = 0.0) -> Explanation:
    a_name, g_name, *decayed = phase.inputs
    A, G = phase.inputs[a_name], phase.inputs[g_name]
    formula = f"Σᵢ {pretty_name(a_name)}[i,{row}]·{pretty_name(g_name)}[i,{column}]"
    latex_formula = rf"\sum_i {latex_name(a_name)}[i,{row}] \cdot {latex_name(g_name)}[i,{column}]"
    reads = {a_name: Read(column=row), g_name: Read(column=column)}
    if decayed:  # + λ·W[row, column], written as the one number it adds
        (w_name,) = decayed
        formula += f" + λ·{pretty_name(w_name)}[{row},{column}]"
        latex_formula += rf" + \lambda {latex_name(w_name)}[{row},{column}]"
        reads[w_name] = Read(row, column)
    explanation = batch_sum(f"∂L/∂{pretty_name(name[1:])}[{row},{column}]", formula, [A[:, row], G[:, column]],
                            cell_value(phase.outputs[name], row, column), reads)
    explanation = replace(explanation, latex=LatexWords(f"{latex_gradient(name[1:])}[{row},{column}]", latex_formula))
    if decayed:
        explanation = replace(explanation, constant=float(weight_decay * phase.inputs[decayed[0]][row, column]))
    return explanation


def _explain_bias(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    (g_name,) = phase.inputs
    explanation = batch_sum(f"∂L/∂{pretty_name(name[1:])}[{column}]", f"Σᵢ {pretty_name(g_name)}[i,{column}]",
                            [phase.inputs[g_name][:, column]], cell_value(phase.outputs[name], row, column),
                            {g_name: Read(column=column)})
    return replace(explanation, latex=LatexWords(f"{latex_gradient(name[1:])}[{column}]",
                                                 rf"\sum_i {latex_name(g_name)}[i,{column}]"))


def _explain_input(tape: Tape, phase: Phase, name: str, row: int, column: int) -> Explanation:
    g_name, w_name = phase.inputs
    G, W = phase.inputs[g_name], phase.inputs[w_name]
    terms = tuple(Term((float(G[row, j]), float(W[column, j])), float(G[row, j] * W[column, j]))
                  for j in range(min(SHOWN_TERMS, G.shape[1])))
    return Explanation(
        f"{pretty_name(name)}[{row},{column}]", f"{pretty_name(g_name)}[{row},:]·{pretty_name(w_name)}[{column},:]",
        terms, G.shape[1], cell_value(phase.outputs[name], row, column),
        reads={g_name: Read(row=row), w_name: Read(row=column)},
        latex=LatexWords(f"{latex_name(name)}[{row},{column}]",
                         rf"{latex_name(g_name)}[{row},:] \cdot {latex_name(w_name)}[{column},:]"),
    )
