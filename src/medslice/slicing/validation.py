"""Input checks and conversions shared by every slicer, the summary and the baselines.

Every public entry point of :mod:`medslice.slicing` funnels its arrays through these helpers so that bad
input fails early, with a message naming the argument, instead of deep inside numpy.
"""

from __future__ import annotations

import numpy as np

from medslice.errors import BadTypeError, BadValueError

# Soft predictions are probabilities: rows of a (n, C) matrix must sum to one, up to rounding in the
# classifier's softmax and in float32 storage.
ROW_SUM_TOLERANCE = 1e-3


def check_embeddings(embeddings: object, name: str = "embeddings") -> np.ndarray:
    """Return ``embeddings`` as a finite, non-empty 2-D float array, or raise naming ``name``."""
    array = np.asarray(embeddings)
    if array.ndim != 2:
        raise BadValueError(f"{name} must be a 2-D array (n_samples, n_features); got shape {array.shape}")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise BadTypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise BadTypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise BadValueError(f"{name} must have at least one row and one column; got {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    n_bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if n_bad:
        raise BadValueError(f"{name} contains {n_bad} NaN or infinite values")
    return array


def _check_length(array: np.ndarray, n_samples: int, name: str, reference: str) -> None:
    if array.shape[0] != n_samples:
        raise BadValueError(
            f"{name} has {array.shape[0]} rows but {reference} has {n_samples}; they must match"
        )


def _check_real_finite(array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype == np.bool_:
        return array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise BadTypeError(f"{name} must hold real numbers; got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    n_bad = int(array.size - np.count_nonzero(np.isfinite(array)))
    if n_bad:
        raise BadValueError(f"{name} contains {n_bad} NaN or infinite values")
    return array


def prediction_matrix(pred_probs: object, n_samples: int, reference: str = "embeddings") -> np.ndarray:
    """Return predictions as an (n, C) probability matrix.

    A 1-D array is the binary probability (or hard 0/1 prediction) of class 1 and becomes ``[1 - p, p]``.
    A 2-D array must already hold one probability per class, each row summing to one.
    """
    array = _check_real_finite(np.asarray(pred_probs), "pred_probs")
    if array.ndim not in (1, 2):
        raise BadValueError(f"pred_probs must be 1-D or 2-D; got shape {array.shape}")
    _check_length(array, n_samples, "pred_probs", reference)
    n_outside = int(np.count_nonzero((array < 0.0) | (array > 1.0)))
    if n_outside:
        hint = (
            " (1-D pred_probs is the probability of class 1; pass multi-class predictions as (n, C))"
            if array.ndim == 1
            else ""
        )
        raise BadValueError(f"pred_probs must lie in [0, 1]; {n_outside} values do not{hint}")
    if array.ndim == 1:
        return np.column_stack([1.0 - array, array])
    if array.shape[1] < 2:
        raise BadValueError(f"pred_probs must have at least 2 columns (one per class); got {array.shape[1]}")
    row_sums = array.sum(axis=1)
    off = np.flatnonzero(np.abs(row_sums - 1.0) > ROW_SUM_TOLERANCE)
    if off.size:
        raise BadValueError(
            f"pred_probs rows must sum to 1; {off.size} rows do not "
            f"(row {int(off[0])} sums to {row_sums[off[0]]:.4g})"
        )
    return array


def target_matrix(
    targets: object, n_samples: int, n_classes: int, reference: str = "embeddings"
) -> np.ndarray:
    """Return targets as an (n, C) one-hot float matrix.

    ``targets`` is either 1-D integer class labels in ``[0, n_classes)`` or an (n, n_classes) one-hot
    matrix.
    """
    array = _check_real_finite(np.asarray(targets), "targets")
    if array.ndim not in (1, 2):
        raise BadValueError(f"targets must be 1-D labels or a 2-D one-hot matrix; got {array.shape}")
    _check_length(array, n_samples, "targets", reference)
    if array.ndim == 1:
        n_fractional = int(np.count_nonzero(array != np.round(array)))
        if n_fractional:
            raise BadValueError(f"targets must be integer class labels; {n_fractional} are not")
        labels = array.astype(np.int64)
        n_outside = int(np.count_nonzero((labels < 0) | (labels >= n_classes)))
        if n_outside:
            raise BadValueError(
                f"targets must be class labels in [0, {n_classes}) to match pred_probs; {n_outside} are not"
            )
        one_hot = np.zeros((n_samples, n_classes), dtype=np.float64)
        one_hot[np.arange(n_samples), labels] = 1.0
        return one_hot
    if array.shape[1] != n_classes:
        raise BadValueError(
            f"targets has {array.shape[1]} columns but pred_probs implies {n_classes} classes"
        )
    not_binary = int(np.count_nonzero((array != 0.0) & (array != 1.0)))
    bad_rows = int(np.count_nonzero(array.sum(axis=1) != 1.0))
    if not_binary or bad_rows:
        raise BadValueError(
            "targets given as a 2-D array must be one-hot (0/1 with one 1 per row); "
            f"{not_binary} values are not 0/1 and {bad_rows} rows do not sum to 1"
        )
    return array


def check_fitted_embeddings(embeddings: object, n_features_in: int) -> np.ndarray:
    """Validate embeddings passed to a fitted slicer: finite, 2-D and as wide as those it was fitted on."""
    z = check_embeddings(embeddings)
    if z.shape[1] != n_features_in:
        raise BadValueError(
            f"embeddings has {z.shape[1]} features but the slicer was fitted on {n_features_in}"
        )
    return z


def labels_and_predictions(
    targets: object, pred_probs: object, n_samples: int, reference: str = "embeddings"
) -> tuple[np.ndarray, np.ndarray]:
    """Validate targets and predictions together; return ``(Y, Y_hat)``, both (n, C) floats."""
    y_hat = prediction_matrix(pred_probs, n_samples, reference)
    y = target_matrix(targets, n_samples, y_hat.shape[1], reference)
    return y, y_hat


def membership_embeddings(
    embeddings: object, n_features_in: int, targets: object | None, pred_probs: object | None
) -> np.ndarray:
    """Validated embeddings for a slicer whose membership ignores labels.

    ``targets`` and ``pred_probs`` belong to the common slicer interface; when both are given they are
    still checked, so a caller's mistake surfaces here rather than in a slicer that does use them.
    """
    z = check_fitted_embeddings(embeddings, n_features_in)
    if targets is not None and pred_probs is not None:
        labels_and_predictions(targets, pred_probs, z.shape[0])
    return z


def predicted_labels(y_hat: np.ndarray) -> np.ndarray:
    """Hard class decisions from an (n, C) prediction matrix.

    Binary predictions use ``p >= 0.5`` for class 1 (the usual classifier threshold, so a tie goes to the
    positive class); multi-class predictions use the arg-max.
    """
    if y_hat.shape[1] == 2:
        return (y_hat[:, 1] >= 0.5).astype(np.int64)
    return np.argmax(y_hat, axis=1).astype(np.int64)


def misclassified(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """Boolean mask of the samples whose predicted class differs from the target class."""
    return predicted_labels(y_hat) != np.argmax(y, axis=1)


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int ``>= minimum`` or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise BadTypeError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise BadValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def check_non_negative_float(value: object, name: str) -> float:
    """Return ``value`` as a finite float ``>= 0`` or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise BadTypeError(f"{name} must be a number; got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise BadValueError(f"{name} must be a finite number >= 0; got {value}")
    return float(value)


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices`` or raise naming ``name`` and the choices."""
    if not isinstance(value, str) or value not in choices:
        raise BadValueError(f"{name} must be one of {list(choices)}; got {value!r}")
    return value
