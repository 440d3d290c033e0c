"""Bootstrap confidence intervals of a mean over bootstrap runs."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import bootstrap


def mean_ci(
    values: ArrayLike,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Return ``(mean, low, high)``: the mean and its percentile bootstrap confidence interval.

    NaN values (e.g. a baseline that is undefined in one run) are left out. Degenerate inputs do
    not crash: no values give ``(nan, nan, nan)``; one value or constant values give a zero-width
    interval.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}.")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples!r}.")
    data = np.asarray(values, dtype=np.float64)
    if data.ndim > 1:
        raise ValueError(f"values must be 1-D, got shape {data.shape}.")
    data = data.ravel()
    if np.isinf(data).any():
        raise ValueError("values contain an infinite value; a mean with a confidence interval is undefined.")
    data = data[~np.isnan(data)]
    if data.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    # Resampling a constant sample can only return that constant; scipy would warn about degeneracy.
    if data.size == 1 or np.ptp(data) == 0:
        value = float(data[0])
        return (value, value, value)
    mean = float(data.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        result = bootstrap(
            (data,),
            np.mean,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    return (mean, float(result.confidence_interval.low), float(result.confidence_interval.high))
