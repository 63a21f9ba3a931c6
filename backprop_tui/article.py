"""The article's own numbers, to stand beside ours for the default configuration."""

from __future__ import annotations

from backprop_tui.config import RunConfig

ARTICLE_LOSSES = {0: 14.3718, 20: 0.1922, 40: 0.0149, 60: 0.0052, 80: 0.0037, 100: 0.0035, 120: 0.0034}


def is_article_setup(config: RunConfig) -> bool:
    """The article's network, data and training (any seed): 4→8→4→1 without activations, mean squared error, η = 0.01,
    1000 generated samples, plain gradient descent on every row at once, no weight decay, nothing held out."""
    return (config.data is None and config.dataset == "houses" and config.hidden == (8, 4)
            and set(config.activations) <= {"none"} and config.loss in (None, "mse")
            and config.learning_rate == 0.01 and config.samples == 1000 and config.optimizer == "sgd"
            and config.weight_decay == 0 and (config.batch_size is None or config.batch_size >= config.samples)
            and config.test_fraction == 0)
