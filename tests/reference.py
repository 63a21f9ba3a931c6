"""An independent reference for the tests: the network's loss written out directly in NumPy.

Nothing here imports scratchnet's math, so the tests compare scratchnet against
a second implementation, not against itself.
"""

from __future__ import annotations

import numpy as np


def forward_from(parameters, start_layer: int, start_input: np.ndarray) -> np.ndarray:
    """Run layers start_layer..L (1-based) on `start_input`."""
    output = start_input
    for weight, bias in parameters[start_layer - 1:]:
        output = output @ weight + bias
    return output


def loss_of_prediction(prediction: np.ndarray, y: np.ndarray) -> float:
    return float(((prediction - y) ** 2).sum() / prediction.size)


def central_difference(f, point: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """∂f/∂point, one entry at a time, on a float64 copy.

    With no activations the loss is a quadratic in any single entry, so the central
    difference has no truncation error and a large h only shrinks the rounding error.
    """
    point = np.array(point, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        up = f(point)
        point[index] = original - h
        down = f(point)
        point[index] = original
        gradient[index] = (up - down) / (2 * h)
    return gradient


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activations written out plainly (the plain sigmoid is fine for the values the tests draw)."""
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "tanh":
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def forward_activated(parameters, activations, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's pre-activation Z, with `activations[l]` applied between layers (none after the last)."""
    zs, output = [], X
    for number, (weight, bias) in enumerate(parameters):
        z = output @ weight + bias
        zs.append(z)
        output = activate(activations[number], z) if number < len(parameters) - 1 else z
    return zs


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean over samples of −Σₖ y·log softmax(logits), by log-sum-exp."""
    top = logits.max(axis=1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-(y * log_p).sum(axis=1).mean())


# --- training dynamics, written out plainly: optimizers, weight decay, batches ------------------------------


def mlp_gradients(parameters, activations, X: np.ndarray, y: np.ndarray, weight_decay: float = 0.0):
    """(data loss, [(dW, db)] per layer) of a network of dense layers with `activations` between them and mean
    squared error, by the chain rule written out here (independently of scratchnet's backward pass). dW includes
    λ·W for weight decay; the loss returned is the data loss."""
    inputs, zs, output = [], [], X
    for number, (weight, bias) in enumerate(parameters):
        inputs.append(output)
        z = output @ weight + bias
        zs.append(z)
        output = activate(activations[number], z) if number < len(parameters) - 1 else z
    loss = float(((output - y) ** 2).sum() / output.size)
    gradient = 2 * (output - y) / output.size
    grads = []
    for number in range(len(parameters) - 1, -1, -1):
        weight, _ = parameters[number]
        grads.append((inputs[number].T @ gradient + weight_decay * weight, gradient.sum(axis=0, keepdims=True)))
        if number:
            gradient = gradient @ weight.T
            name, z = activations[number - 1], zs[number - 1]
            if name == "relu":
                gradient = gradient * (z > 0)
            elif name == "tanh":
                gradient = gradient * (1 - np.tanh(z) ** 2)
    return loss, grads[::-1]


def momentum_reference(parameters, gradients, velocities, learning_rate: float, momentum: float):
    """One update of SGD with momentum as torch.optim.SGD(momentum=μ) describes it: v ← μ·v + g (v = g on the first
    step, when `velocities` is None), p ← p − η·v. Returns (parameters, velocities), new lists."""
    new_parameters, new_velocities = [], []
    for index, (parameter, gradient) in enumerate(zip(parameters, gradients)):
        velocity = gradient.copy() if velocities is None else momentum * velocities[index] + gradient
        new_velocities.append(velocity)
        new_parameters.append(parameter - learning_rate * velocity)
    return new_parameters, new_velocities


def adam_reference(parameters, gradients, moments, step: int, learning_rate: float, beta1: float, beta2: float,
                   eps: float):
    """Update number `step` (from 1) of Adam as the paper and torch.optim.Adam describe it. `moments`: [(m, s)] per
    parameter, or None before the first update. Returns (parameters, moments)."""
    new_parameters, new_moments = [], []
    for index, (parameter, gradient) in enumerate(zip(parameters, gradients)):
        m, s = (np.zeros_like(parameter), np.zeros_like(parameter)) if moments is None else moments[index]
        m = beta1 * m + (1 - beta1) * gradient
        s = beta2 * s + (1 - beta2) * gradient * gradient
        m_hat, s_hat = m / (1 - beta1 ** step), s / (1 - beta2 ** step)
        new_parameters.append(parameter - learning_rate * m_hat / (np.sqrt(s_hat) + eps))
        new_moments.append((m, s))
    return new_parameters, new_moments
