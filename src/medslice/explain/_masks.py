"""Validation of the per-sample arrays every explainer receives (masks, memberships, labels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from medslice.errors import BadTypeError, BadValueError

MEMBERSHIP_THRESHOLD = 0.5


def as_mask(values: ArrayLike, name: str, n_samples: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D boolean mask.

    Booleans pass through; 0/1 integers are accepted; floats are read as membership probabilities
    and thresholded at ``> 0.5``, the slice-membership rule of the paper and of Domino.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise BadValueError(f"{name} must be 1-D, got shape {array.shape}.")
    if n_samples is not None and array.shape[0] != n_samples:
        raise BadValueError(f"{name} has {array.shape[0]} entries, expected {n_samples}.")
    if array.dtype == bool:
        return array
    if np.issubdtype(array.dtype, np.integer):
        if not np.isin(array, (0, 1)).all():
            raise BadValueError(f"{name} holds integers other than 0 and 1.")
        return array.astype(bool)
    if np.issubdtype(array.dtype, np.floating):
        if np.isnan(array).any():
            raise BadValueError(f"{name} contains NaN.")
        return array > MEMBERSHIP_THRESHOLD
    raise BadTypeError(f"{name} must be boolean, 0/1 or probabilities, got dtype {array.dtype}.")


def as_labels(values: ArrayLike, name: str, n_samples: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D array of class labels, checking its length."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise BadValueError(f"{name} must be 1-D, got shape {array.shape}.")
    if n_samples is not None and array.shape[0] != n_samples:
        raise BadValueError(f"{name} has {array.shape[0]} entries, expected {n_samples}.")
    return array


def modal_label(labels: np.ndarray) -> object:
    """Return the most frequent label; ties go to the smallest label, so the choice is stable."""
    if labels.size == 0:
        raise BadValueError("Cannot take the modal label of an empty group.")
    values, counts = np.unique(labels, return_counts=True)
    return values[int(np.argmax(counts))]


def is_missing(value: object) -> bool:
    """Whether a scalar is a missing value (None, NaN, pandas NA/NaT) rather than data."""
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes are data, not a missing scalar
        return False


def check_top_k(top_k: object) -> int:
    """Return ``top_k`` as a positive int (numpy integers included), or raise naming it."""
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise BadValueError(f"top_k must be a positive integer, got {top_k!r}.")
    return int(top_k)
