"""Shape and type checks shared by the metric functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def as_binary(values: ArrayLike, name: str, n_samples: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D boolean array; accepts booleans and 0/1 numbers."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}.")
    if n_samples is not None and array.shape[0] != n_samples:
        raise ValueError(f"{name} has {array.shape[0]} entries, expected {n_samples}.")
    if array.dtype == bool:
        return array
    if not np.issubdtype(array.dtype, np.number) or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only booleans or 0/1 values.")
    return array.astype(bool)


def as_membership(values: ArrayLike, name: str = "membership") -> np.ndarray:
    """Return membership probabilities as an ``(n, n_slices)`` float array (1-D: one slice)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {array.shape}.")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no slice columns.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def as_labels(values: ArrayLike, name: str, n_samples: int) -> np.ndarray:
    """Return ``values`` as a 1-D label array of length ``n_samples``."""
    array = np.asarray(values)
    if array.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), got {array.shape}.")
    return array
