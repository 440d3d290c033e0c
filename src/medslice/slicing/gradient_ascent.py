"""A small numpy Adam with a reduce-on-plateau learning rate, for low-dimensional searches.

The Spotlight search optimises a handful of parameters over a few hundred samples; at that size numpy
with analytic gradients is faster than an autograd framework, and deterministic.
"""

from __future__ import annotations

import numpy as np


class Adam:
    """Adam (Kingma & Ba, 2015) for one flat parameter vector; ``step`` *descends* the gradient."""

    def __init__(
        self, learning_rate: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self._first: np.ndarray | None = None
        self._second: np.ndarray | None = None
        self._steps = 0

    def step(self, params: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Return the parameters after one descent step along ``gradient``."""
        if self._first is None or self._second is None:
            self._first = np.zeros_like(params)
            self._second = np.zeros_like(params)
        self._steps += 1
        self._first = self.beta1 * self._first + (1.0 - self.beta1) * gradient
        self._second = self.beta2 * self._second + (1.0 - self.beta2) * gradient**2
        first_unbiased = self._first / (1.0 - self.beta1**self._steps)
        second_unbiased = self._second / (1.0 - self.beta2**self._steps)
        return params - self.learning_rate * first_unbiased / (np.sqrt(second_unbiased) + self.eps)


class ReduceOnPlateau:
    """Halve an optimiser's learning rate when the minimised value stops improving.

    The rule is torch's ``ReduceLROnPlateau(mode="min", threshold_mode="rel")`` with its defaults, as used
    by the reference Spotlight: a value counts as an improvement when ``value < best * (1 - threshold)``.
    For negative values (a maximised objective, negated) that tolerates a tiny worsening, so the rate
    only drops on a clear plateau.
    """

    def __init__(
        self, optimizer: Adam, patience: int = 20, factor: float = 0.5, threshold: float = 1e-4
    ) -> None:
        self.optimizer = optimizer
        self.patience = patience
        self.factor = factor
        self.threshold = threshold
        self._best = np.inf
        self._bad_steps = 0

    def step(self, value: float) -> None:
        """Record the latest minimised value and lower the learning rate after a plateau."""
        if value < self._best * (1.0 - self.threshold):
            self._best = value
            self._bad_steps = 0
            return
        self._bad_steps += 1
        if self._bad_steps > self.patience:
            self.optimizer.learning_rate *= self.factor
            self._bad_steps = 0
