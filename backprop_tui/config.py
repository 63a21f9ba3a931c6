"""What a run is made of (data, architecture, η, seed, dtype) and how to build it.

No Textual here: the headless commands, the app and the tests all build a run
the same way, from one `RunConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet import DataError, Dataset, DenseNetwork, load_csv, make_house_prices, make_rngs
from scratchnet.data import DEFAULT_NOISE, NoiseOverflow

THEME_NAMES = ("dark", "light", "high-contrast", "monochrome")
"""The themes the command line and session files name (`themes.py` maps them to Textual's)."""

MAX_EPOCH = 100_000
"""The last epoch a session reopens (session files, follow mode), and the most epochs a branch runs."""


@dataclass(frozen=True)
class RunConfig:
    hidden: tuple[int, ...] = (8, 4)
    learning_rate: float = 0.01
    samples: int = 1000
    seed: int = 0
    noise: float = DEFAULT_NOISE
    epochs: int = 125
    dtype: str = "float64"
    data: str | None = None
    target: str | None = None

    def as_dict(self, sizes: tuple[int, ...]) -> dict:
        """The `config` object of `trace --format json`: enough to reproduce the run."""
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
        }


@dataclass
class Run:
    """A built run: the data and a freshly initialised network."""

    config: RunConfig
    dataset: Dataset
    network: DenseNetwork
    initial_parameters: list[tuple[np.ndarray, np.ndarray]]

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.network.sizes


def build_run(config: RunConfig) -> Run:
    """Raises scratchnet.DataError for data that cannot be used."""
    data_rng, weight_rng = make_rngs(config.seed)
    if config.data is not None:
        dataset = load_csv(config.data, config.target)
    else:
        try:
            dataset = make_house_prices(config.samples, config.noise, data_rng)
        except NoiseOverflow as error:
            raise DataError(f"--noise {config.noise:g} makes prices overflow: {error.reason}; with this --seed and "
                            f"--samples, use --noise at most {error.bound_text}") from None
    dataset = dataset.astype(config.dtype)
    sizes = (dataset.X.shape[1], *config.hidden, dataset.y.shape[1])
    network = DenseNetwork.initialise(sizes, weight_rng, config.dtype)
    return Run(config, dataset, network, network.parameters)
