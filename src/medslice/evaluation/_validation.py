"""Shape and type checks shared by the metric functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from medslice.errors import BadTypeError, BadValueError
from medslice.predictions import hard_predictions

PROBABILITY_TOLERANCE = 1e-9


def as_binary(values: ArrayLike, name: str, n_samples: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D boolean array; accepts booleans and 0/1 numbers."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise BadValueError(f"{name} must be 1-D, got shape {array.shape}.")
    if n_samples is not None and array.shape[0] != n_samples:
        raise BadValueError(f"{name} has {array.shape[0]} entries, expected {n_samples}.")
    if array.dtype == bool:
        return array
    if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
        raise BadValueError(f"{name} must hold only booleans or 0/1 values.")
    return array.astype(bool)


def as_membership(values: ArrayLike, name: str = "membership") -> np.ndarray:
    """Return membership probabilities as an ``(n, n_slices)`` float array (1-D: one slice)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise BadValueError(f"{name} must be 1-D or 2-D, got shape {array.shape}.")
    if array.shape[1] == 0:
        raise BadValueError(f"{name} has no slice columns.")
    if array.shape[0] == 0:
        raise BadValueError(f"{name} has no rows.")
    if not np.isfinite(array).all():
        raise BadValueError(f"{name} contains NaN or infinite values.")
    # A posterior normalised in floating point may overshoot 1 by an ulp; anything more is not a probability.
    if array.min() < -PROBABILITY_TOLERANCE or array.max() > 1 + PROBABILITY_TOLERANCE:
        raise BadValueError(
            f"{name} must hold probabilities in [0, 1], got values from {array.min():g} to {array.max():g}."
        )
    return np.clip(array, 0.0, 1.0)


def as_labels(values: ArrayLike, name: str, n_samples: int) -> np.ndarray:
    """Return ``values`` as a 1-D label array of length ``n_samples``."""
    array = np.asarray(values)
    if array.shape != (n_samples,):
        raise BadValueError(f"{name} must have shape ({n_samples},), got {array.shape}.")
    return array


def as_predicted_labels(values: ArrayLike, name: str, n_samples: int) -> np.ndarray:
    """Hard predictions of length ``n_samples``; probabilities become ``p >= 0.5`` decisions."""
    return hard_predictions(values, name, n_samples)


def check_k(k: object) -> int:
    """Return ``k`` as an int of at least 1, or raise naming it."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise BadTypeError(f"k must be an integer, got {k!r}.")
    if k < 1:
        raise BadValueError(f"k must be at least 1, got {k!r}.")
    return int(k)


def check_expected_class(expected_class: object, labels: np.ndarray) -> None:
    """Refuse an expected class that no target holds: it would silently score every slice zero."""
    if labels.size and not (labels == expected_class).any():
        present = sorted({str(value) for value in np.unique(labels)})[:5]
        raise BadValueError(
            f"expected_class {expected_class!r} is not among the targets' labels {present}; "
            "check its type (1 is not '1')."
        )
