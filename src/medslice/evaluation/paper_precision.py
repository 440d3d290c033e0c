"""The paper's weighted precision@10 (REFERENCE.md §4, "paper variant")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from medslice.evaluation._validation import as_binary, as_labels, as_membership

MEMBERSHIP_THRESHOLD = 0.5


def _majority_class(labels: np.ndarray) -> object:
    """Modal label; ties go to the smallest label so that the class filter is deterministic."""
    values, counts = np.unique(labels, return_counts=True)
    return values[int(np.argmax(counts))]


def paper_slice_scores(
    membership: ArrayLike,
    attribute: ArrayLike,
    targets: ArrayLike,
    expected_class: object,
    k: int = 10,
) -> np.ndarray:
    """Weighted precision@k of every slice column; NaN for slices that do not qualify.

    A slice qualifies when it has members (probability > 0.5) and their majority true class is
    ``expected_class``. Its score is ``sum(attribute * probability) / k`` over its ``k`` most
    probable members: a slice with fewer than ``k`` members is still divided by ``k``.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k!r}.")
    probabilities = as_membership(membership)
    n_samples = probabilities.shape[0]
    carries = as_binary(attribute, "attribute", n_samples)
    labels = as_labels(targets, "targets", n_samples)
    scores = np.full(probabilities.shape[1], np.nan)
    for column in range(probabilities.shape[1]):
        column_probabilities = probabilities[:, column]
        members = np.flatnonzero(column_probabilities > MEMBERSHIP_THRESHOLD)
        if members.size == 0 or _majority_class(labels[members]) != expected_class:
            continue
        ranked = members[np.argsort(-column_probabilities[members], kind="mergesort")][:k]
        scores[column] = float((carries[ranked] * column_probabilities[ranked]).sum() / k)
    return scores


def paper_precision_at_10(
    membership: ArrayLike,
    attribute: ArrayLike,
    targets: ArrayLike,
    expected_class: object,
) -> float:
    """The best qualifying slice's weighted precision@10; 0.0 when no slice qualifies.

    See :func:`paper_slice_scores` for the per-slice definition.
    """
    scores = paper_slice_scores(membership, attribute, targets, expected_class, k=10)
    # No qualifying slice means the method found nothing of the expected kind: it scores zero.
    return float(np.nanmax(scores)) if np.isfinite(scores).any() else 0.0
