"""The update rules on the fast path: gradient descent, momentum and Adam over one flat vector of every
parameter (see `layout.py`), with the formulas of `optimizer.py`, `momentum.py` and `adam.py` entry by entry.

A rule with state keeps it as flat vectors while the fast path runs and hands it back as an `OptimizerState`
of per-layer views when the fast path settles: making a dozen views per iteration would add about a seventh
to an Adam iteration of 32 rows, and nobody reads the state in between. Every vector is new at every update
and never written to again, so the handed-back state is a snapshot like any other.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from scratchnet.adam import Adam
from scratchnet.fast.layout import FlatLayout
from scratchnet.momentum import Momentum
from scratchnet.operation import FRESH, OptimizerState, UpdateRule
from scratchnet.optimizer import GradientDescent


class FlatRule(Protocol):
    def start(self, rule: UpdateRule) -> None:
        """Take up the network's rule where it stands (its settings and state)."""
        ...

    def update(self, theta: np.ndarray, gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        """The new parameter vector (a new array; `theta` and `gradient` are left as they are)."""
        ...

    def state(self) -> OptimizerState:
        """Where the rule stands now, for the network's rule to be rebuilt at."""
        ...

    def vectors(self) -> tuple[np.ndarray, ...]:
        """Its state as flat vectors (momentum: v; Adam: m, s), each new at every update and never written to
        again, so keeping them is keeping a reference."""
        ...

    @property
    def count(self) -> int:
        """Updates made so far (t of the last one)."""
        ...


class FlatGradientDescent:
    """W ← W − η·∂L/∂W. No state."""

    def __init__(self, layout: FlatLayout) -> None:
        pass

    def start(self, rule: UpdateRule) -> None:
        pass

    def update(self, theta: np.ndarray, gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        return theta - learning_rate * gradient

    def state(self) -> OptimizerState:
        return FRESH

    def vectors(self) -> tuple[np.ndarray, ...]:
        return ()

    @property
    def count(self) -> int:
        return 0


class FlatMomentum:
    """v ← μ·v + ∂L/∂W; W ← W − η·v."""

    def __init__(self, layout: FlatLayout) -> None:
        self.layout = layout
        self.momentum = 0.0
        self.step = 0
        self.velocity: np.ndarray

    def start(self, rule: UpdateRule) -> None:
        assert isinstance(rule, Momentum)
        self.momentum, self.step = rule.momentum, rule.state.step
        self.velocity = self.layout.gather(rule.state.arrays) if rule.state.arrays else \
            np.zeros(self.layout.size, self.layout.dtype)

    def update(self, theta: np.ndarray, gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        velocity = self.momentum * self.velocity
        velocity += gradient
        self.velocity = velocity
        self.step += 1
        return theta - learning_rate * velocity

    def state(self) -> OptimizerState:
        return OptimizerState(self.step, tuple(self.layout.views(self.velocity)))

    def vectors(self) -> tuple[np.ndarray, ...]:
        return (self.velocity,)

    @property
    def count(self) -> int:
        return self.step


class FlatAdam:
    """m ← β₁m + (1−β₁)g; s ← β₂s + (1−β₂)g²; W ← W − η·m̂/(√ŝ + ε) with m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ)."""

    def __init__(self, layout: FlatLayout) -> None:
        self.layout = layout
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8
        self.step = 0
        self.first_moment: np.ndarray
        self.second_moment: np.ndarray
        self.squared_gradient = np.empty(layout.size, layout.dtype)

    def start(self, rule: UpdateRule) -> None:
        assert isinstance(rule, Adam)
        self.beta1, self.beta2, self.eps, self.step = rule.beta1, rule.beta2, rule.eps, rule.state.step
        size, dtype = self.layout.size, self.layout.dtype
        moments = rule.state.arrays  # per layer: mW, sW, mb, sb
        self.first_moment = self.layout.gather([(m_W, m_b) for m_W, _, m_b, _ in moments]) if moments else \
            np.zeros(size, dtype)
        self.second_moment = self.layout.gather([(s_W, s_b) for _, s_W, _, s_b in moments]) if moments else \
            np.zeros(size, dtype)

    def update(self, theta: np.ndarray, gradient: np.ndarray, learning_rate: float) -> np.ndarray:
        self.step += 1
        step = self.step
        first_moment = self.beta1 * self.first_moment
        first_moment += (1 - self.beta1) * gradient
        second_moment = self.beta2 * self.second_moment
        second_moment += (1 - self.beta2) * np.square(gradient, out=self.squared_gradient)  # gradient ** 2
        self.first_moment, self.second_moment = first_moment, second_moment
        corrected_first_moment = first_moment / (1 - self.beta1 ** step)
        corrected_second_moment = second_moment / (1 - self.beta2 ** step)
        denominator = np.sqrt(corrected_second_moment, out=corrected_second_moment)
        denominator += self.eps
        change = learning_rate * corrected_first_moment
        change /= denominator
        return theta - change

    def state(self) -> OptimizerState:
        firsts, seconds = self.layout.views(self.first_moment), self.layout.views(self.second_moment)
        return OptimizerState(self.step, tuple((m_W, s_W, m_b, s_b)
                                                     for (m_W, m_b), (s_W, s_b) in zip(firsts, seconds)))

    def vectors(self) -> tuple[np.ndarray, ...]:
        return self.first_moment, self.second_moment

    @property
    def count(self) -> int:
        return self.step


RULES: dict[type[UpdateRule], type[FlatGradientDescent] | type[FlatMomentum] | type[FlatAdam]] = {
    GradientDescent: FlatGradientDescent, Momentum: FlatMomentum, Adam: FlatAdam}


def flat_state(layout: FlatLayout, rule: UpdateRule) -> tuple[tuple[np.ndarray, ...], int]:
    """A network's update rule where it stands, as the fast rule would hold it: its flat state vectors (zeros when
    it has made no update) and the updates made so far."""
    flat = RULES[type(rule)](layout)
    flat.start(rule)
    return flat.vectors(), flat.count
