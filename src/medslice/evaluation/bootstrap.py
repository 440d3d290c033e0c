"""Bootstrap confidence intervals of a mean over bootstrap runs."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import bootstrap

from medslice.errors import BadValueError


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
        raise BadValueError(f"confidence must lie in (0, 1), got {confidence!r}.")
    if n_resamples < 1:
        raise BadValueError(f"n_resamples must be at least 1, got {n_resamples!r}.")
    data = np.asarray(values, dtype=np.float64)
    if data.ndim > 1:
        raise BadValueError(f"values must be 1-D, got shape {data.shape}.")
    data = data.ravel()
    if np.isinf(data).any():
        raise BadValueError(
            "values contain an infinite value; a mean with a confidence interval is undefined."
        )
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


def hierarchical_mean_ci(
    values: ArrayLike,
    groups: ArrayLike,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """``(mean, low, high)`` over a two-level design: a percentile bootstrap that resamples the groups, then
    the values within each resampled group.

    ``groups`` names each value's trained classifier; its values are that classifier's audit draws. The
    interval then covers both sources of variation, classifier to classifier and audit set to audit set,
    and does not treat the draws of one classifier as independent classifiers. With one group it resamples
    the draws alone (an interval over audit sets, not over classifiers); with one value per group it is the
    ordinary bootstrap over groups. NaN values are left out; degenerate inputs behave as in :func:`mean_ci`.
    """
    if not 0 < confidence < 1:
        raise BadValueError(f"confidence must lie in (0, 1), got {confidence!r}.")
    if n_resamples < 1:
        raise BadValueError(f"n_resamples must be at least 1, got {n_resamples!r}.")
    data = np.asarray(values, dtype=np.float64)
    labels = np.asarray(groups)
    if data.ndim != 1 or labels.shape != data.shape:
        raise BadValueError(
            f"values and groups must be 1-D of one length, got {data.shape} and {labels.shape}."
        )
    if np.isinf(data).any():
        raise BadValueError(
            "values contain an infinite value; a mean with a confidence interval is undefined."
        )
    keep = ~np.isnan(data)
    data, labels = data[keep], labels[keep]
    if data.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    if data.size == 1 or np.ptp(data) == 0:
        value = float(data[0])
        return (value, value, value)
    # Groups as rows of a NaN-padded matrix, so every resample is one vectorised draw.
    _, codes = np.unique(labels, return_inverse=True)
    sizes = np.bincount(codes)
    matrix = np.full((len(sizes), sizes.max()), np.nan)
    order = np.argsort(codes, kind="stable")
    positions = np.arange(len(codes)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    matrix[codes[order], positions] = data[order]
    rng = np.random.default_rng(seed)
    n_groups, width = matrix.shape
    chosen = rng.integers(0, n_groups, size=(n_resamples, n_groups))
    within = np.floor(rng.random((n_resamples, n_groups, width)) * sizes[chosen][..., None]).astype(np.int64)
    # Each resampled group keeps its own size: draws beyond it are masked out.
    mask = np.arange(width)[None, None, :] < sizes[chosen][..., None]
    picked = np.where(mask, matrix[chosen[..., None], within], np.nan)
    means = np.nanmean(picked.reshape(n_resamples, -1), axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return (float(data.mean()), float(low), float(high))
