"""Per-slice summary table: how big each slice is, how wrong, and in which direction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.errors import BadTypeError, BadValueError
from medslice.slicing.validation import labels_and_predictions, predicted_labels

SUMMARY_COLUMNS: tuple[str, ...] = (
    "slice",
    "size",
    "error_rate",
    "error_type",
    "accuracy_gap",
    "majority_class",
    "mean_membership",
)


def _error_type(targets: np.ndarray, predictions: np.ndarray, n_classes: int, dominance: float) -> str:
    wrong = targets != predictions
    if not wrong.any():
        return "none"
    if n_classes != 2:
        return "mixed"
    false_positive_share = float(np.mean(predictions[wrong] == 1))
    if false_positive_share >= dominance:
        return "FP"
    if 1.0 - false_positive_share >= dominance:
        return "FN"
    return "mixed"


def summarize_slices(
    membership: np.ndarray,
    targets: np.ndarray,
    preds: np.ndarray,
    threshold: float = 0.5,
    *,
    dominance: float = 0.8,
) -> pd.DataFrame:
    """Describe each slice column of ``membership`` (n, k); one row per slice.

    Members are the samples with membership ``> threshold``. Columns:

    * ``slice``: column index; ``size``: number of members;
    * ``error_rate``: share of members misclassified (NaN for an empty slice);
    * ``error_type``: for binary tasks ``"FP"`` or ``"FN"`` when at least ``dominance`` of the members'
      errors are false positives or false negatives, ``"mixed"`` otherwise, ``"none"`` without errors;
      multi-class errors are ``"mixed"``;
    * ``accuracy_gap``: accuracy outside the slice minus accuracy inside (NaN if either side is empty);
    * ``majority_class``: most frequent target class among members (lowest class on ties; missing for an
      empty slice);
    * ``mean_membership``: mean membership of the members (NaN for an empty slice).

    ``targets`` and ``preds`` follow the slicer conventions (1-D labels or one-hot; 1-D binary
    probabilities / hard predictions or (n, C)). An (n, 0) membership gives an empty table.
    """
    scores = np.asarray(membership, dtype=np.float64)
    if scores.ndim != 2:
        raise BadValueError(f"membership must be 2-D (n_samples, n_slices); got shape {scores.shape}")
    n_bad = int(scores.size - np.count_nonzero(np.isfinite(scores)))
    if n_bad:
        raise BadValueError(f"membership contains {n_bad} NaN or infinite values")
    if scores.size and (scores.min() < 0 or scores.max() > 1 + 1e-9):
        raise BadValueError(
            f"membership must hold probabilities in [0, 1]; got {scores.min():g} to {scores.max():g}"
        )
    for name, value in (("threshold", threshold), ("dominance", dominance)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise BadTypeError(f"{name} must be a number; got {value!r}")
    if not 0.0 <= threshold < 1.0:
        raise BadValueError(f"threshold must be in [0, 1); got {threshold}")
    if not 0.5 < dominance <= 1.0:
        raise BadValueError(f"dominance must be in (0.5, 1]; got {dominance}")
    y, y_hat = labels_and_predictions(targets, preds, scores.shape[0], reference="membership")
    target_labels = np.argmax(y, axis=1)
    predictions = predicted_labels(y_hat)
    correct = target_labels == predictions
    n_classes = y.shape[1]

    rows = []
    for index in range(scores.shape[1]):
        members = scores[:, index] > threshold
        size = int(members.sum())
        outside = ~members
        rows.append(
            {
                "slice": index,
                "size": size,
                "error_rate": float(1.0 - correct[members].mean()) if size else np.nan,
                "error_type": _error_type(target_labels[members], predictions[members], n_classes, dominance),
                "accuracy_gap": (
                    float(correct[outside].mean() - correct[members].mean())
                    if size and outside.any()
                    else np.nan
                ),
                "majority_class": (
                    int(np.bincount(target_labels[members], minlength=n_classes).argmax()) if size else pd.NA
                ),
                "mean_membership": float(scores[members, index].mean()) if size else np.nan,
            }
        )
    table = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return table.astype(
        {
            "slice": "int64",
            "size": "int64",
            "error_rate": "float64",
            "error_type": "string",
            "accuracy_gap": "float64",
            "majority_class": "Int64",
            "mean_membership": "float64",
        }
    )
