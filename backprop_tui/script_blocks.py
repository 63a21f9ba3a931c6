"""The fixed blocks of an exported `run.py`: the article's classes, the loop that trains, what it prints.

Each is plain Python source, read top to bottom by a learner: a dense layer beside its two local derivatives, the
activations, the two losses, the three update rules, the network, the training loop and the output. Every line of
math is the line scratchnet's recorded path runs (`DenseLayer.forward` and `backward`, `MeanSquaredError`,
`SoftmaxCrossEntropy.compute_loss`, `Adam.adam`, `scratchnet/training.py`'s epoch, `headless.py`'s table), in the
same order and the same dtypes, which is what makes `python run.py` print `train`'s bytes: change one here only
with its twin there (the tests compare the two). `script_source.py` chooses the blocks a run needs and writes the
rest from the run. DENSE_LAYER's three `{…}` fields take weight decay's lines (or nothing) through `str.format`;
the other blocks are written as they stand.
"""

from __future__ import annotations

IMPORTS = '''
import argparse
import json
import math
import os
import sys

import numpy as np
'''

DENSE_LAYER = '''
# --- A dense layer: Z = X·W + b, beside its two local derivatives ----------------------------------------------


class DenseLayer:
    """Z = X·W + b. It keeps its input X: X is ∂Z/∂W, which the weight gradient needs on the way back."""

    def __init__(self, weight, bias{decay_parameter}):
        self.weight = weight
        self.bias = bias{decay_attribute}

    def forward(self, input_matrix):
        self.input_matrix = input_matrix
        output = np.dot(input_matrix, self.weight) + self.bias
        self.output = output
        return output

    def get_local_derivative_wrt_weights(self):
        """∂Z/∂W = X: how the output moves when a weight moves."""
        return self.input_matrix

    def get_local_derivative_wrt_inputs(self):
        """∂Z/∂X = W: how the output moves when an input moves."""
        return self.weight

    def backward(self, cumulated_backpropagating_gradient):
        """The chain rule through this layer: ∂L/∂W and ∂L/∂b (kept for the update), and ∂L/∂X for the layer below."""
        weight_gradient = np.dot(self.get_local_derivative_wrt_weights().T, cumulated_backpropagating_gradient){decay_line}
        bias_gradient = np.sum(cumulated_backpropagating_gradient, axis=0, keepdims=True)
        cumulated_backpropagating_gradient = np.dot(cumulated_backpropagating_gradient,
                                                    self.get_local_derivative_wrt_inputs().T)
        self.weight_gradient = weight_gradient
        self.bias_gradient = bias_gradient
        return cumulated_backpropagating_gradient
'''

DECAY_PARAMETER = ", weight_decay"
DECAY_ATTRIBUTE = '''
        self.weight_decay = weight_decay
        """λ of weight decay: the loss gains (λ/2)·‖W‖², so ∂L/∂W gains λ·W (the bias is not decayed)."""'''
DECAY_LINE = '''
        weight_gradient = weight_gradient + self.weight_decay * self.weight  # weight decay's slope, λ·W'''

ACTIVATION = '''
# --- Activations: A = σ(Z) entry by entry, and on the way back dZ = G ⊙ σ'(Z) ------------------------------------


class Activation:
    """Each Aᵢⱼ depends on its own Zᵢⱼ only, so the chain rule through σ is a product entry by entry (⊙)."""

    def backward(self, cumulated_backpropagating_gradient):
        return cumulated_backpropagating_gradient * self.get_local_derivative_wrt_inputs()
'''

ACTIVATIONS = {
    "relu": '''

class ReLU(Activation):
    def forward(self, input_matrix):
        self.input_matrix = input_matrix
        output = np.maximum(input_matrix, 0)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self):
        """σ'(Z) = 1 where Z > 0, else 0 (a mask of True and False, which the product reads as 1 and 0)."""
        return self.input_matrix > 0
''',
    "leaky_relu": '''

class LeakyReLU(Activation):
    slope = 0.01
    """What is left of Z below 0 (PyTorch's default)."""

    def forward(self, input_matrix):
        self.input_matrix = input_matrix
        output = np.where(input_matrix > 0, input_matrix, self.slope * input_matrix)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self):
        """σ'(Z) = 1 where Z > 0, else 0.01."""
        return np.where(self.input_matrix > 0, 1, self.slope).astype(self.input_matrix.dtype)
''',
    "tanh": '''

class Tanh(Activation):
    def forward(self, input_matrix):
        self.input_matrix = input_matrix
        output = np.tanh(input_matrix)
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self):
        """σ'(Z) = 1 − A²."""
        return 1 - self.output ** 2
''',
    "sigmoid": '''

class Sigmoid(Activation):
    def forward(self, input_matrix):
        """1/(1 + e^−Z), written as e^(−log(1 + e^−Z)) so a large |Z| overflows nothing."""
        self.input_matrix = input_matrix
        output = np.exp(-np.logaddexp(0, -input_matrix))
        self.output = output
        return output

    def get_local_derivative_wrt_inputs(self):
        """σ'(Z) = A(1 − A)."""
        return self.output * (1 - self.output)
''',
}
ACTIVATION_CLASSES = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

LOSSES = {
    "mse": '''
# --- The loss: mean squared error ----------------------------------------------------------------------------


class MeanSquaredError:
    """L = mean((ŷ − y)²), and ∂L/∂ŷ = 2·(ŷ − y)/N, where backpropagation starts."""

    def compute_loss(self, logits, target):
        self.logits = logits
        error = self.logits - target
        squared_error = error ** 2
        loss = np.mean(squared_error)
        self.error = error
        return loss

    def backward(self):
        loss_gradient_wrt_prediction = (2 * self.error) / self.error.size
        return loss_gradient_wrt_prediction
''',
    "cross-entropy": '''
# --- The loss: softmax with cross-entropy --------------------------------------------------------------------


class SoftmaxCrossEntropy:
    """P = softmax(Z), L = mean over samples of −Σₖ y·log P, and ∂L/∂Z = (P − y)/N: the softmax's Jacobian and the
    log's derivative cancel to the error itself."""

    def compute_loss(self, logits, target):
        self.logits = logits
        shifted = logits - np.max(logits, axis=1, keepdims=True)  # the row's largest score: e^ cannot overflow
        exponentials = np.exp(shifted)
        sum_of_exponentials = np.sum(exponentials, axis=1, keepdims=True)
        probabilities = exponentials / sum_of_exponentials
        log_probabilities = shifted - np.log(sum_of_exponentials)  # log P by log-sum-exp: never log(0)
        sample_loss = -np.sum(target * log_probabilities, axis=1, keepdims=True)
        loss = np.mean(sample_loss)
        error = probabilities - target
        self.probabilities = probabilities
        self.error = error
        return loss

    def backward(self):
        loss_gradient_wrt_logits = self.error / self.error.shape[0]
        return loss_gradient_wrt_logits
''',
}
LOSS_CLASSES = {"mse": "MeanSquaredError", "cross-entropy": "SoftmaxCrossEntropy"}

OPTIMIZERS = {
    "sgd": '''
# --- The update: plain gradient descent ------------------------------------------------------------------------


class GradientDescent:
    def optimize(self, layers, learning_rate):
        """W ← W − η·∂L/∂W and b ← b − η·∂L/∂b for every layer."""
        for layer in layers:
            new_weight = layer.weight - learning_rate * layer.weight_gradient
            new_bias = layer.bias - learning_rate * layer.bias_gradient
            layer.weight, layer.bias = new_weight, new_bias
''',
    "momentum": '''
# --- The update: gradient descent with momentum (PyTorch's SGD with momentum) --------------------------------------


class Momentum:
    """Every weight and bias keeps a velocity: v ← μ·v + ∂L/∂W, then W ← W − η·v. The velocities start at 0, so the
    first update is plain gradient descent."""

    def __init__(self, momentum):
        self.momentum = momentum
        self.velocities = None

    def optimize(self, layers, learning_rate):
        if self.velocities is None:
            self.velocities = [(np.zeros_like(layer.weight), np.zeros_like(layer.bias)) for layer in layers]
        made = []
        for layer, (weight_velocity, bias_velocity) in zip(layers, self.velocities, strict=True):
            new_weight_velocity = self.momentum * weight_velocity + layer.weight_gradient
            new_bias_velocity = self.momentum * bias_velocity + layer.bias_gradient
            new_weight = layer.weight - learning_rate * new_weight_velocity
            new_bias = layer.bias - learning_rate * new_bias_velocity
            layer.weight, layer.bias = new_weight, new_bias
            made.append((new_weight_velocity, new_bias_velocity))
        self.velocities = made
''',
    "adam": '''
# --- The update: Adam (PyTorch's formulas) ---------------------------------------------------------------------


class Adam:
    """Every weight and bias keeps m, a running average of its gradients, and s, one of their squares. At update t
    (counted from 1): m ← β₁m + (1−β₁)g; s ← β₂s + (1−β₂)g²; m̂ = m/(1−β₁ᵗ); ŝ = s/(1−β₂ᵗ); W ← W − η·m̂/(√ŝ + ε)."""

    def __init__(self, beta1, beta2, eps):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.step = 0
        self.moments = None

    def optimize(self, layers, learning_rate):
        self.step += 1
        if self.moments is None:
            self.moments = [(np.zeros_like(layer.weight), np.zeros_like(layer.weight), np.zeros_like(layer.bias),
                             np.zeros_like(layer.bias)) for layer in layers]
        made = []
        for layer, (weight_first, weight_second, bias_first, bias_second) in zip(layers, self.moments, strict=True):
            new_weight, weight_first, weight_second = self.adam(layer.weight, layer.weight_gradient, weight_first,
                                                                weight_second, learning_rate, self.step)
            new_bias, bias_first, bias_second = self.adam(layer.bias, layer.bias_gradient, bias_first, bias_second,
                                                          learning_rate, self.step)
            layer.weight, layer.bias = new_weight, new_bias
            made.append((weight_first, weight_second, bias_first, bias_second))
        self.moments = made

    def adam(self, parameter, gradient, first_moment, second_moment, learning_rate, step):
        """One parameter's update number `step`: (the new parameter, m, s)."""
        first_moment = self.beta1 * first_moment + (1 - self.beta1) * gradient
        second_moment = self.beta2 * second_moment + (1 - self.beta2) * gradient ** 2
        corrected_first_moment = first_moment / (1 - self.beta1 ** step)
        corrected_second_moment = second_moment / (1 - self.beta2 ** step)
        denominator = np.sqrt(corrected_second_moment) + self.eps
        new_parameter = parameter - learning_rate * corrected_first_moment / denominator
        return new_parameter, first_moment, second_moment
''',
}

NETWORK = '''
# --- The network: the layers in a row, the loss, the update ----------------------------------------------------


class DenseNetwork:
    def __init__(self, layers, loss, optimizer):
        self.layers = layers
        self.loss = loss
        self.optimizer = optimizer

    def forward(self, X):
        output = X
        for layer in self.layers:
            output = layer.forward(output)
        self.logits = output
        return output

    def compute_loss(self, target):
        return self.loss.compute_loss(self.logits, target)

    def backward(self):
        cumulated_backpropagating_gradient = self.loss.backward()
        for layer in reversed(self.layers):
            cumulated_backpropagating_gradient = layer.backward(cumulated_backpropagating_gradient)

    def optimize(self, learning_rate):
        self.optimizer.optimize([layer for layer in self.layers if isinstance(layer, DenseLayer)], learning_rate)

    def step(self, X, y, learning_rate):
        """One training iteration: forward, loss, backward, update. Returns the loss of its forward pass."""
        self.forward(X)
        loss = self.compute_loss(y)
        self.backward()
        self.optimize(learning_rate)
        return float(loss)

    def evaluate(self, X, y):
        """The loss of the current parameters over X, and the prediction, without training: the same forward
        pass and loss as a step's."""
        logits = self.forward(X)
        return float(self.loss.compute_loss(logits, y)), logits
'''

TRAINING = '''
# --- Training: epochs of batches, measured as backprop-tui measures them -------------------------------------


def shuffle_order(seed, epoch, rows):
    """The order epoch `epoch` visits the rows in. Child 2 of SeedSequence(seed) draws the shuffles, its child
    number `epoch` this epoch's, so an epoch's order depends on the seed and the epoch alone."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, epoch))).permutation(rows)


def accuracy(scores, y):
    """The share of rows whose highest score is at the true class. A tie goes to the lowest class; a row holding
    a NaN predicts no class (−1), so it counts as wrong; no rows at all: NaN."""
    if scores.shape[0] == 0:
        return float("nan")
    predicted = np.argmax(scores, axis=1)
    predicted[np.isnan(scores).any(axis=1)] = -1
    return float(np.mean(predicted == np.argmax(y, axis=1)))


def diverged(loss, first_loss):
    """Training has blown up: a loss that is not a finite number, or a million times the first epoch's."""
    if not math.isfinite(loss):
        return True
    return math.isfinite(first_loss) and first_loss > 0 and loss > 1e6 * first_loss


class History:
    """What each epoch measured, in order."""

    def __init__(self, iterations):
        self.iterations = iterations
        """Iterations per epoch: 1 for the full batch."""
        self.losses = []
        self.running_losses = []
        self.test_losses = []
        self.accuracy = []
        self.test_accuracy = []
        self.diverged_at = None


def train(network, X, y, held_out, classification):
    """Every epoch of the run, stopping after the first one that diverged.

    The loss of epoch k is the loss of the parameters epoch k starts with, over every training row: with the full
    batch, the step's own loss (its forward pass is over every row, before its update); with batches, one forward
    pass more before the epoch's first step. The running loss is the mean of the epoch's batch losses. The held-out
    rows and the accuracies are measured like the loss, for the parameters the epoch starts with."""
    learning_rate, batch_size, seed = CONFIG["learning_rate"], CONFIG["batch_size"], CONFIG["seed"]
    rows = X.shape[0]
    full_batch = batch_size is None or batch_size >= rows
    iterations = 1 if full_batch else -(-rows // batch_size)  # ⌈N/B⌉: the last batch is smaller if B does not divide N
    history = History(iterations)
    first_loss = None
    for epoch in range(CONFIG["epochs"]):
        if not full_batch:
            epoch_loss, logits = network.evaluate(X, y)
        if held_out is not None:
            test_loss, test_logits = network.evaluate(*held_out)
        order = None if full_batch else shuffle_order(seed, epoch, rows)
        total = 0.0
        for iteration in range(iterations):
            if order is None:
                X_batch, y_batch = X, y
            else:
                chosen = order[iteration * batch_size:(iteration + 1) * batch_size]
                X_batch, y_batch = X[chosen], y[chosen]
            loss = network.step(X_batch, y_batch, learning_rate)
            total += loss
        if full_batch:
            epoch_loss, logits = loss, network.logits
        history.losses.append(epoch_loss)
        history.running_losses.append(total / iterations)
        if held_out is not None:
            history.test_losses.append(test_loss)
        if classification:
            history.accuracy.append(accuracy(logits, y))
            if held_out is not None:
                history.test_accuracy.append(accuracy(test_logits, held_out[1]))
        first_loss = epoch_loss if first_loss is None else first_loss
        if diverged(epoch_loss, first_loss):
            history.diverged_at = epoch
            break
    return history
'''

OUTPUT = '''
# --- What it prints: the loss table, every epoch as CSV, or JSON ------------------------------------------------


def loss_text(loss):
    return f"{loss:10.4f}" if 1e-4 <= abs(loss) < 1e6 or loss == 0 else f"{loss:10.4g}"


def accuracy_text(value):
    return f"{value:9.2%}" if math.isfinite(value) else f"{'nan':>9}"


def table(history, every):
    """Every `every`-th epoch, like the article's table, and the last epoch run."""
    columns = []  # (header, width, the cell of an epoch) after Epoch and Loss
    if history.iterations > 1:
        columns.append(("Running", 10, lambda epoch: loss_text(history.running_losses[epoch])))
    if history.test_losses:
        columns.append(("Test loss", 10, lambda epoch: loss_text(history.test_losses[epoch])))
    if ARTICLE_LOSSES:
        columns.append(("Article", 10,
                        lambda epoch: f"{ARTICLE_LOSSES[epoch]:10.4f}" if epoch in ARTICLE_LOSSES else ""))
    if history.accuracy:
        columns.append(("Accuracy", 9, lambda epoch: accuracy_text(history.accuracy[epoch])))
    if history.test_accuracy:
        columns.append(("Test acc.", 9, lambda epoch: accuracy_text(history.test_accuracy[epoch])))
    lines = [f"{'Epoch':>6}  {'Loss':>10}" + "".join(f"  {header:>{width}}" for header, width, _ in columns)]
    shown = list(range(0, len(history.losses), every))
    if history.losses and shown[-1] != len(history.losses) - 1:
        shown.append(len(history.losses) - 1)
    for epoch in shown:
        cells = "".join(f"  {cell(epoch):>{width}}" for _, width, cell in columns)
        lines.append(f"{epoch:>6}  {loss_text(history.losses[epoch])}{cells}".rstrip())
    return "\\n".join(lines)


def csv_text(history):
    """Every epoch at full precision: epoch, loss, running_loss, then the measures the run has."""
    series = [("loss", history.losses), ("running_loss", history.running_losses), ("test_loss", history.test_losses),
              ("accuracy", history.accuracy), ("test_accuracy", history.test_accuracy)]
    kept = [(name, values) for name, values in series if values or name in ("loss", "running_loss")]
    lines = [",".join(["epoch", *(name for name, _ in kept)])]
    for epoch in range(len(history.losses)):
        lines.append(",".join([str(epoch), *(repr(values[epoch]) for _, values in kept)]))
    return "\\n".join(lines)


def json_number(value):
    """JSON has no NaN or infinity: null stands for them."""
    return value if math.isfinite(value) else None


def json_text(history, held_out, classification):
    document = {
        "config": CONFIG,
        "losses": [json_number(loss) for loss in history.losses],
        "diverged_at": history.diverged_at,
    }
    if history.iterations > 1:  # the full batch's running loss is its loss
        document["running_losses"] = [json_number(loss) for loss in history.running_losses]
    if classification:
        document["accuracy"] = [json_number(value) for value in history.accuracy]
    if held_out is not None:
        document["test_losses"] = [json_number(loss) for loss in history.test_losses]
        if classification:
            document["test_accuracy"] = [json_number(value) for value in history.test_accuracy]
    return json.dumps(document, allow_nan=False)
'''

MAIN = '''
# --- Run it ------------------------------------------------------------------------------------------------------


def every_k(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--every must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--every must be at least 1 (got {value})")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train the exported run and print its losses, as "
                                                 "`backprop-tui train` does (its --break is not part of this script).")
    parser.add_argument("--format", choices=("text", "json", "csv"), default="text",
                        help="text (default), json or csv (every epoch)")
    parser.add_argument("--every", type=every_k, default=20, metavar="K",
                        help="a row every K epochs of the text table (default 20)")
    args = parser.parse_args(argv)
    with np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.npz")) as data:
        X, y = data["X"], data["y"]
        held_out = (data["test_X"], data["test_y"]) if "test_X" in data.files else None
        network = build_network(data)
    classification = CONFIG["classes"] is not None
    with np.errstate(all="ignore"):  # a diverging run overflows: it is said once, below, in a sentence
        history = train(network, X, y, held_out, classification)
    if args.format == "json":
        print(json_text(history, held_out, classification))
    elif args.format == "csv":
        print(csv_text(history))
    else:
        print(table(history, args.every))
    if history.diverged_at is not None:
        loss = history.losses[-1]
        print(f"backprop-tui: diverged at epoch {history.diverged_at} (loss = {loss:.4g}): lower the learning rate",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
