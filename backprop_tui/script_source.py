"""The text of an exported `run.py`: the run's math the article's way, in blocks a learner reads top to bottom.

A block is fixed source (`script_blocks.py`: the classes, the training loop, the output) or is written from the run
here (the docstring, the settings, the network's layers). Only the operations the run uses are written, so a run of
the article's network reads like the article. Each line of math is the line scratchnet's recorded path runs, in the
same order and the same dtypes, so `python run.py --format json` prints what `backprop-tui train --format json`
prints, bit for bit: the tests run both and compare the bytes.

The settings every computation reads are Python numbers written as literals, never NumPy scalars: a Python float
times a float32 array stays float32, where a float64 scalar would widen it.
"""

from __future__ import annotations

import json
import shlex
import textwrap

from backprop_tui.article import ARTICLE_LOSSES, is_article_setup
from backprop_tui.config import Run, RunConfig
from backprop_tui.script_blocks import (
    ACTIVATION,
    ACTIVATION_CLASSES,
    ACTIVATIONS,
    DECAY_ATTRIBUTE,
    DECAY_LINE,
    DECAY_PARAMETER,
    DENSE_LAYER,
    IMPORTS,
    LOSS_CLASSES,
    LOSSES,
    MAIN,
    NETWORK,
    OPTIMIZERS,
    OUTPUT,
    TRAINING,
)

MARKER = "# Exported by backprop-tui export-script; exporting into this folder again replaces this file and data.npz."
"""run.py's first line: how export-script knows a folder holds an earlier export it may replace."""


def python_literal(value: object) -> str:
    """`value` (None, a bool, int, float, str or a list of them) as Python source that reads back equal, of the same
    type, so `json.dumps` of it gives the same bytes. Strings are written as JSON writes them (a valid Python
    literal), to read as the JSON output does."""
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        readable = json.dumps(value, ensure_ascii=False)
        try:
            readable.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (a file name that was not UTF-8): written as its escape
            return json.dumps(value)
        return readable
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    raise TypeError(f"no literal for {type(value).__name__}")


def train_flags(config: RunConfig, classification: bool) -> list[str]:
    """The flags of `backprop-tui train` that make this run (the settings that are not the defaults): what the
    script's docstring tells a learner to compare with."""
    defaults = RunConfig(dataset=config.dataset)  # the data set's own sample count and noise
    flags: list[str] = []
    if config.hidden != defaults.hidden or any(name != "none" for name in config.activations):
        layers = [f"{size}:{name}" if name != "none" else str(size) for size, name in zip(config.hidden,
                                                                                          config.activations)]
        flags += ["--hidden", ",".join(layers)]
    if config.data is not None:
        flags += ["--data", config.data]
        flags += ["--target", config.target] if config.target is not None else []
        flags += ["--labels"] if config.labels else []
    else:
        flags += ["--dataset", config.dataset] if config.dataset != RunConfig().dataset else []
        flags += ["--samples", str(config.samples)] if config.samples != defaults.samples else []
        flags += ["--noise", repr(config.noise)] if config.noise != defaults.noise else []
    settings: list[tuple[str, object, object]] = [
        ("--loss", config.loss, "cross-entropy" if classification else "mse"),
        ("--lr", config.learning_rate, defaults.learning_rate), ("--seed", config.seed, defaults.seed),
        ("--epochs", config.epochs, defaults.epochs),
        ("--dtype", config.dtype, defaults.dtype), ("--optimizer", config.optimizer, defaults.optimizer),
        ("--momentum", config.momentum, defaults.momentum), ("--beta1", config.beta1, defaults.beta1),
        ("--beta2", config.beta2, defaults.beta2), ("--eps", config.eps, defaults.eps),
        ("--weight-decay", config.weight_decay, defaults.weight_decay),
        ("--batch-size", config.batch_size, defaults.batch_size),
        ("--test-fraction", config.test_fraction, defaults.test_fraction),
    ]
    for flag, value, default in settings:
        if value != default:
            flags += [flag, repr(value) if isinstance(value, float) else str(value)]
    return flags


# --- the blocks written from the run -------------------------------------------------------------------------


def _docstring_safe(text: str) -> str:
    """Text that cannot end the docstring it stands in, nor start an escape there (a CSV's names may hold anything)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def _docstring(run: Run) -> str:
    config, dataset, sizes = run.config, run.dataset, run.sizes
    activated = [f"{name} after layer {layer}" for layer, name in enumerate(config.activations, 1) if name != "none"]
    network = " → ".join(map(str, sizes)) + " dense layers, " + (", ".join(activated) if activated else
                                                                  "no activations (the article's network)")
    optimizer = {"sgd": "plain gradient descent", "momentum": f"momentum (μ = {config.momentum!r})",
                 "adam": f"Adam (β₁ = {config.beta1!r}, β₂ = {config.beta2!r}, ε = {config.eps!r})"}[config.optimizer]
    loss = {"mse": "mean squared error", "cross-entropy": "softmax with cross-entropy"}[config.loss or "mse"]
    decay = f", weight decay λ = {config.weight_decay!r}" if config.weight_decay else ""
    per_epoch = ("every training row at once" if config.batches.full(dataset.n_samples) else
                 f"batches of {config.batch_size} rows, shuffled each epoch")
    source = f"the CSV {config.data}" if config.data is not None else f"the generated {config.dataset} data"
    target = (f"one-hot over the classes {', '.join(dataset.class_names)}" if dataset.class_names is not None else
              f"{dataset.target_name}, standardized")
    held = "" if dataset.test_X is None else f", the {dataset.test_X.shape[0]} held-out rows test_X and test_y"
    flags = shlex.join(["backprop-tui", "train", *train_flags(config, dataset.is_classification)])
    paragraphs = [
        f"The network: {network}; {loss}; {optimizer}{decay}; learning rate η = {config.learning_rate!r}; "
        f"{config.epochs} epochs over {per_epoch}, in {config.dtype}.",
        f"The data: data.npz beside this file holds {source}, drawn and standardized by backprop-tui (seed "
        f"{config.seed}): the {dataset.n_samples} training rows X (features {', '.join(dataset.feature_names)}) and "
        f"y ({target}){held}, and the weights and biases W1, b1, W2, … the run starts from.",
    ]
    body = "\n\n".join(textwrap.fill(paragraph, 116, break_on_hyphens=False) for paragraph in paragraphs)
    usage = f'''
    python run.py                 the loss table, as `backprop-tui train` prints it
    python run.py --every 10      a row every 10 epochs (default 20)
    python run.py --format csv    every epoch, at full precision
    python run.py --format json   the JSON of `backprop-tui train --format json` with the same flags

The same run in backprop-tui:
    {flags}

Every line of math below is an operation backprop-tui runs, in the same order and the same dtypes, so the numbers
are backprop-tui's to the last bit on the same machine with the same NumPy. train's --break has no counterpart
here: the script trains every epoch, and stops early only where the loss diverges.
'''
    text = "backprop-tui's run as a script that needs only Python and NumPy.\n\n" + body + "\n" + usage
    return '"""' + _docstring_safe(text) + '"""'


def _settings(run: Run) -> str:
    config = run.config.as_dict(run.sizes, run.dataset.class_names)
    lines = ["", "# The run's settings, as `backprop-tui train --format json` prints them under \"config\".",
             "CONFIG = {"]
    lines += [f"    {python_literal(key)}: {python_literal(value)}," for key, value in config.items()]
    lines.append("}")
    if is_article_setup(run.config):
        article = ", ".join(f"{epoch}: {loss!r}" for epoch, loss in ARTICLE_LOSSES.items())
        lines += ["# The article's own table: this is the article's setup, so the text table shows it beside ours.",
                  f"ARTICLE_LOSSES = {{{article}}}"]
    else:
        lines += ["ARTICLE_LOSSES = {}  # the article's own table, shown beside ours only for the article's setup"]
    return "\n".join(lines) + "\n"


def _dense_layer(weight_decay: float) -> str:
    if not weight_decay:
        return DENSE_LAYER.format(decay_parameter="", decay_attribute="", decay_line="")
    return DENSE_LAYER.format(decay_parameter=DECAY_PARAMETER, decay_attribute=DECAY_ATTRIBUTE, decay_line=DECAY_LINE)


def _activations(names: tuple[str, ...]) -> str:
    """The activations the run uses, after the class they share; nothing for the article's linear network."""
    used = [ACTIVATIONS[name] for name in ACTIVATIONS if name in names]
    return "\n\n\n".join(block.strip("\n") for block in [ACTIVATION, *used]) if used else ""


def _build_network(run: Run) -> str:
    config = run.config
    layers = []
    for number in range(1, len(run.sizes)):
        decay = f", weight_decay={config.weight_decay!r}" if config.weight_decay else ""
        layers.append(f'        DenseLayer(data["W{number}"], data["b{number}"]{decay}),')
        if number < len(run.sizes) - 1 and config.activations[number - 1] != "none":
            layers.append(f"        {ACTIVATION_CLASSES[config.activations[number - 1]]}(),")
    optimizer = {"sgd": "GradientDescent()", "momentum": f"Momentum({config.momentum!r})",
                 "adam": f"Adam({config.beta1!r}, {config.beta2!r}, {config.eps!r})"}[config.optimizer]
    loss = LOSS_CLASSES[config.loss or "mse"]
    return "\n".join([
        "", "", "def build_network(data):",
        '    """The network of this run, holding the weights and biases it starts from (W1, b1, … in data.npz)."""',
        "    layers = [", *layers, "    ]",
        f"    return DenseNetwork(layers, {loss}(), {optimizer})", ""])


def script_text(run: Run) -> str:
    """run.py for a built run (its loss settled by the data: `build_run`'s config)."""
    config = run.config
    sections = [_settings(run), _dense_layer(config.weight_decay), _activations(config.activations),
                LOSSES[config.loss or "mse"], OPTIMIZERS[config.optimizer], NETWORK, _build_network(run), TRAINING,
                OUTPUT, MAIN]
    code = "\n\n\n".join(section.strip("\n") for section in sections if section)
    return f"{MARKER}\n{_docstring(run)}\n\n{IMPORTS.strip()}\n\n{code}\n"
