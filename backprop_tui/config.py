"""What a run is made of (data, architecture, η, seed, dtype; optimizer, weight decay, batches, held-out rows)
and how to build it.

No Textual here: the headless commands, the app and the tests all build a run
the same way, from one `RunConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast

from scratchnet import Batches, DataError, Dataset, DenseNetwork, Parameters, load_csv, make_rngs, make_update_rule
from scratchnet.data import HoldOut, NoiseOverflow
from scratchnet.datasets import DATASETS, make_dataset
from scratchnet.operation import UpdateRule

THEME_NAMES = ("dark", "light", "high-contrast", "monochrome")
"""The themes the command line and session files name (`themes.py` maps them to Textual's)."""

MAX_EPOCH = 100_000
"""The last epoch a session reopens (session files, follow mode), and the most epochs a branch runs."""


@dataclass(frozen=True)
class RunConfig:
    hidden: tuple[int, ...] = (8, 4)
    activations: tuple[str, ...] = ()
    """One per hidden layer (relu, tanh, sigmoid, leaky_relu, none): given fewer, the rest are none."""
    loss: str | None = None
    """mse or cross-entropy; None: what the data calls for (build_run settles it)."""
    learning_rate: float = 0.01
    samples: int = None  # type: ignore[assignment]  # only as the default: __post_init__ makes it a number
    """Generated samples. Left out: the data set's own default (1000 houses, 500 or 600 points)."""
    seed: int = 0
    noise: float = None  # type: ignore[assignment]  # only as the default: __post_init__ makes it a number
    """The generated data's spread: price noise in dollars (houses), the points' std (the others).
    Left out: the data set's own default."""
    epochs: int = 125
    dtype: str = "float64"
    data: str | None = None
    target: str | None = None
    dataset: str = "houses"
    """The generated data set (scratchnet.datasets.DATASETS); not used with `data`."""
    labels: bool = False
    """With `data`: the target column holds class labels, even where they are numbers."""
    optimizer: str = "sgd"
    """sgd (the article's gradient descent), momentum or adam."""
    momentum: float = 0.9
    """μ of --optimizer momentum."""
    beta1: float = 0.9
    """β₁, β₂ and ε of --optimizer adam."""
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    """λ of L2 weight decay (0: none, the article)."""
    batch_size: int | None = None
    """Rows per iteration; None: every row (the article's full batch)."""
    test_fraction: float = 0.0
    """The share of rows held out from training and measured every epoch (0: none)."""

    def __post_init__(self) -> None:
        spec = DATASETS.get(self.dataset, DATASETS["houses"])  # an unknown name fails in build_run, by name
        if cast("int | None", self.samples) is None:  # typed int: that is what every reader sees
            object.__setattr__(self, "samples", spec.samples)
        if cast("float | None", self.noise) is None:
            object.__setattr__(self, "noise", spec.noise)
        # One activation per hidden layer, always: `none` where none was given, so equal runs compare equal.
        full = tuple(self.activations[:len(self.hidden)]) + ("none",) * (len(self.hidden) - len(self.activations))
        object.__setattr__(self, "activations", full)

    def as_dict(self, sizes: tuple[int, ...], classes: tuple[str, ...] | None = None) -> dict:
        """The `config` object of `trace --format json`: enough to reproduce the run. Keys are only ever
        added: `classes` holds the class names of a classification run (null for a regression)."""
        return {
            "learning_rate": self.learning_rate,
            "dtype": self.dtype,
            "seed": self.seed,
            "sizes": list(sizes),
            "hidden": list(self.hidden),
            "epochs": self.epochs,
            "data": self.data,
            "target": self.target,
            "samples": None if self.data else self.samples,
            "noise": None if self.data else self.noise,
            "activations": list(self.activations),
            "loss": self.loss,
            "dataset": None if self.data else self.dataset,
            "labels": self.labels,
            "classes": None if classes is None else list(classes),
            "optimizer": self.optimizer,
            "momentum": self.momentum,
            "beta1": self.beta1,
            "beta2": self.beta2,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "batch_size": self.batch_size,
            "test_fraction": self.test_fraction,
        }

    def update_rule(self) -> UpdateRule:
        """The optimizer with its settings, before its first update."""
        return make_update_rule(self.optimizer, self.momentum, self.beta1, self.beta2, self.eps)

    @property
    def batches(self) -> Batches:
        """How an epoch goes through the rows: the shuffles come from the run's seed (its stream of shuffles)."""
        return Batches(self.batch_size, self.seed)

    @property
    def holdout(self) -> HoldOut | None:
        return HoldOut(self.test_fraction, self.seed) if self.test_fraction > 0 else None



@dataclass
class Run:
    """A built run: the data and a freshly initialised network."""

    config: RunConfig
    dataset: Dataset
    network: DenseNetwork
    initial_parameters: Parameters

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.network.sizes


def build_run(config: RunConfig) -> Run:
    """Raises scratchnet.DataError for data that cannot be used."""
    data_rng, weight_rng = make_rngs(config.seed)
    if config.data is not None:
        dataset = load_csv(config.data, config.target, labels=config.labels, holdout=config.holdout)
    else:
        try:
            dataset = make_dataset(config.dataset, config.samples, config.noise, data_rng, config.holdout)
        except NoiseOverflow as error:
            raise DataError(f"--noise {config.noise:g} makes prices overflow: {error.reason}; with this --seed and "
                            f"--samples, use --noise at most {error.bound_text}") from None
    dataset = dataset.astype(config.dtype)
    sizes = (dataset.X.shape[1], *config.hidden, dataset.y.shape[1])
    loss = config.loss or ("cross-entropy" if dataset.is_classification else "mse")
    if loss == "cross-entropy" and not dataset.is_classification:
        raise DataError(f"--loss cross-entropy needs classes to predict, and {dataset.target_name} is a number: "
                        "use --loss mse, or --labels if its whole numbers name classes")
    config = replace(config, loss=loss)
    network = DenseNetwork.initialise(sizes, weight_rng, config.dtype, config.activations, loss, config.update_rule(),
                                      config.weight_decay)
    return Run(config, dataset, network, network.parameters)
