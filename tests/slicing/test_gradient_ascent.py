"""The numpy Adam and plateau schedule behind SpotlightSlicer."""

from __future__ import annotations

import numpy as np

from medslice.slicing.gradient_ascent import Adam, ReduceOnPlateau


def test_adam_minimises_a_quadratic():
    target = np.array([3.0, -2.0, 0.5])
    params = np.zeros(3)
    optimizer = Adam(learning_rate=0.1)
    for _ in range(500):
        params = optimizer.step(params, 2.0 * (params - target))
    np.testing.assert_allclose(params, target, atol=1e-2)


def test_adam_first_step_has_learning_rate_length():
    # Bias correction makes the first step exactly lr * sign(gradient), whatever the gradient's scale.
    step = Adam(learning_rate=0.05).step(np.zeros(2), np.array([1e-3, -40.0]))
    np.testing.assert_allclose(step, [-0.05, 0.05], rtol=1e-4)


def test_plateau_halves_learning_rate_after_patience():
    optimizer = Adam(learning_rate=1.0)
    scheduler = ReduceOnPlateau(optimizer, patience=3, factor=0.5)
    scheduler.step(-10.0)
    for _ in range(3):
        scheduler.step(-5.0)  # worse, but within patience
    assert optimizer.learning_rate == 1.0
    scheduler.step(-5.0)
    assert optimizer.learning_rate == 0.5
    scheduler.step(-20.0)  # an improvement resets the count
    for _ in range(3):
        scheduler.step(-20.0)
    assert optimizer.learning_rate == 0.5
