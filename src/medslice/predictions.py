"""Hard class decisions from whatever a classifier gives: labels, or probabilities of class 1.

The slicers take probabilities and hard predictions alike, so every function that compares predictions
with targets (baselines, the ideal error slice, the explainers' reference group, the failure check) reads
them the same way: 1-D probabilities become ``p >= 0.5`` decisions, the slicers' own threshold
(``medslice.slicing.validation.predicted_labels``). Comparing a probability with a label as it is would
count every probability as an error.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from medslice.errors import BadValueError

DECISION_THRESHOLD = 0.5


def hard_predictions(values: ArrayLike, name: str = "preds", n_samples: int | None = None) -> np.ndarray:
    """Return 1-D predicted labels; floats that are not all 0/1 are read as probabilities of class 1.

    Parameters
    ----------
    values : ArrayLike
        Labels of any type, or probabilities of class 1 in [0, 1].
    name : str, default="preds"
        The argument's name, for error messages.
    n_samples : int or None, default=None
        The required length, when known.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise BadValueError(f"{name} must be 1-D, got shape {array.shape}.")
    if n_samples is not None and array.shape[0] != n_samples:
        raise BadValueError(f"{name} must have shape ({n_samples},), got {array.shape}.")
    if np.issubdtype(array.dtype, np.floating) and not np.isin(array, (0.0, 1.0)).all():
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise BadValueError(f"{name} must be labels or probabilities of class 1 in [0, 1].")
        return (array >= DECISION_THRESHOLD).astype(np.int64)
    return array
