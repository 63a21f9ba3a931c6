"""The words of each phase: title, equation (Unicode and LaTeX), the legend for G, and a note.

Kept apart from the math so `network.py` reads like the article and the prose can
be edited without touching a single operation.
"""

from __future__ import annotations

from dataclasses import dataclass

from scratchnet.names import subscript as s


@dataclass(frozen=True)
class Equation:
    unicode: str
    latex: str

    def as_dict(self) -> dict[str, str]:
        return {"unicode": self.unicode, "latex": self.latex}


@dataclass(frozen=True)
class Words:
    title: str
    equation: Equation
    legend: str
    note: str


def _input_name(layer: int) -> tuple[str, str]:
    """(Unicode, LaTeX) name of what layer `layer` reads."""
    return ("X", "X") if layer == 1 else (f"Z{s(layer - 1)}", f"Z_{{{layer - 1}}}")


def _gradient_legend(layer: int, n_layers: int) -> str:
    if layer == n_layers:
        return f"G = ∂L/∂Z{s(layer)} = ∂L/∂ŷ, the loss gradient: where backpropagation starts"
    return f"G = ∂L/∂Z{s(layer)} = dX{s(layer + 1)}, the gradient layer {layer + 1} passed back"


def forward(layer: int, n_layers: int) -> Words:
    x, x_tex = _input_name(layer)
    last = layer == n_layers
    lhs = f"ŷ = Z{s(layer)}" if last else f"Z{s(layer)}"
    lhs_tex = rf"\hat y = Z_{{{layer}}}" if last else f"Z_{{{layer}}}"
    note = (
        f"Layer {layer} multiplies every row of its input {x} by W{s(layer)} and adds the bias b{s(layer)} "
        f"to each row, so every sample becomes {'the prediction' if last else 'a new row of features'}. "
        f"The layer keeps its input: it is ∂Z/∂W, the local derivative the weight gradient needs on the way back."
    )
    if last:
        note += " With no activations anywhere, ŷ is still a linear function of X."
    return Words(
        title=f"Layer {layer} · forward",
        equation=Equation(f"{lhs} = {x}·W{s(layer)} + b{s(layer)}", f"{lhs_tex} = {x_tex} W_{{{layer}}} + b_{{{layer}}}"),
        legend="",
        note=note,
    )


def error() -> Words:
    return Words(
        title="Error",
        equation=Equation("error = ŷ − y", r"\mathrm{error} = \hat y - y"),
        legend="",
        note=(
            "The error is the prediction minus the target, one number per sample. "
            "Its sign says which way a prediction is off, its size by how much."
        ),
    )


def loss() -> Words:
    return Words(
        title="Loss",
        equation=Equation("L = mean((ŷ − y)²)", r"L = \frac{1}{N} \sum_{i} (\hat y_i - y_i)^2"),
        legend="N = number of entries of ŷ (samples × outputs)",
        note=(
            "Squaring makes every error count as positive and punishes big misses most; the mean turns the "
            "batch into the one number training drives down. This is the loss of this epoch, measured before "
            "its update."
        ),
    )


def loss_gradient() -> Words:
    return Words(
        title="Loss gradient ∂L/∂ŷ",
        equation=Equation("∂L/∂ŷ = 2·(ŷ − y)/N", r"\frac{\partial L}{\partial \hat y} = \frac{2(\hat y - y)}{N}"),
        legend="N = number of entries of ŷ",
        note=(
            "How the loss changes when each prediction changes: the derivative of the mean squared error. "
            "Backpropagation starts here: this matrix is the gradient G that arrives at the last layer."
        ),
    )


def weight_gradient(layer: int, n_layers: int) -> Words:
    x, x_tex = _input_name(layer)
    return Words(
        title=f"Layer {layer} · ∂L/∂W{s(layer)}",
        equation=Equation(
            f"∂L/∂W{s(layer)} = {x}ᵀ·G",
            rf"\frac{{\partial L}}{{\partial W_{{{layer}}}}} = {x_tex}^\top G",
        ),
        legend=_gradient_legend(layer, n_layers),
        note=(
            f"The chain rule: ∂L/∂W = (∂Z/∂W)ᵀ·G, and ∂Z/∂W is the input {x} that layer {layer} kept on the "
            "forward pass. The product sums over all samples at once, so each entry adds up how hard every "
            "sample pulls on that one weight."
        ),
    )


def bias_gradient(layer: int, n_layers: int) -> Words:
    return Words(
        title=f"Layer {layer} · ∂L/∂b{s(layer)}",
        equation=Equation(
            f"∂L/∂b{s(layer)} = Σᵢ Gᵢ",
            rf"\frac{{\partial L}}{{\partial b_{{{layer}}}}} = \sum_i G_i",
        ),
        legend=_gradient_legend(layer, n_layers),
        note=(
            "The bias is added to every row, so ∂Z/∂b = 1 and its gradient is G summed down the samples: "
            "one number per unit of the layer."
        ),
    )


def input_gradient(layer: int, n_layers: int) -> Words:
    target = "∂L/∂X" if layer == 1 else f"∂L/∂Z{s(layer - 1)}"
    target_tex = r"\frac{\partial L}{\partial X}" if layer == 1 else rf"\frac{{\partial L}}{{\partial Z_{{{layer - 1}}}}}"
    if layer == 1:
        onward = (
            "Layer 1's input is the data, which nothing trains, so this gradient updates nothing; it still "
            "shows how sensitive the loss is to each feature of each sample."
        )
    else:
        onward = f"It becomes G for layer {layer - 1}: the same three steps repeat there."
    return Words(
        title=f"Layer {layer} · dX{s(layer)} = {target}",
        equation=Equation(
            f"dX{s(layer)} = {target} = G·W{s(layer)}ᵀ",
            rf"dX_{{{layer}}} = {target_tex} = G W_{{{layer}}}^\top",
        ),
        legend=_gradient_legend(layer, n_layers),
        note=(
            f"To keep going backward, layer {layer} multiplies G by the transpose of its other local derivative, "
            f"∂Z/∂X = W{s(layer)}. {onward}"
        ),
    )


def update(layer: int, learning_rate: float) -> Words:
    return Words(
        title=f"Layer {layer} · update",
        equation=Equation(
            f"W{s(layer)}' = W{s(layer)} − η·∂L/∂W{s(layer)},  b{s(layer)}' = b{s(layer)} − η·∂L/∂b{s(layer)}",
            rf"W_{{{layer}}}' = W_{{{layer}}} - \eta \frac{{\partial L}}{{\partial W_{{{layer}}}}}, \quad "
            rf"b_{{{layer}}}' = b_{{{layer}}} - \eta \frac{{\partial L}}{{\partial b_{{{layer}}}}}",
        ),
        legend=f"η = {learning_rate:g}, the learning rate",
        note=(
            "Gradient descent moves every weight and bias a small step against its gradient, the direction "
            f"that lowers the loss fastest. New arrays are made: W{s(layer)} keeps its old values on this tape, "
            "and the next iteration's forward pass uses W'."
        ),
    )
