"""The paper's weighted precision@10 (docs/reference.md §4, "paper variant")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from medslice.evaluation._validation import (
    as_binary,
    as_labels,
    as_membership,
    check_expected_class,
    check_k,
)
from medslice.evaluation.ranking import check_ties, top_k_sum

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
    ties: str = "expected",
) -> np.ndarray:
    """Weighted precision@k of every slice column; NaN for slices that do not qualify.

    A slice qualifies when it has members (probability > 0.5) and their majority true class is
    ``expected_class``. Its score is ``sum(attribute * probability) / k`` over its ``k`` most
    probable members: a slice with fewer than ``k`` members is still divided by ``k``. When members
    tie at the cut (Domino's memberships often sit at 1.0, up to float noise), ``ties="expected"``
    (default) averages over every order of the tie, where probabilities that agree to
    :data:`~medslice.evaluation.ranking.TIE_DECIMALS` decimals tie; ``"ordinal"`` ranks the raw
    probabilities and keeps row order inside exact ties, as the paper's code sorts.
    """
    k = check_k(k)
    check_ties(ties)
    probabilities = as_membership(membership)
    n_samples = probabilities.shape[0]
    carries = as_binary(attribute, "attribute", n_samples)
    labels = as_labels(targets, "targets", n_samples)
    check_expected_class(expected_class, labels)
    scores = np.full(probabilities.shape[1], np.nan)
    for column in range(probabilities.shape[1]):
        column_probabilities = probabilities[:, column]
        members = np.flatnonzero(column_probabilities > MEMBERSHIP_THRESHOLD)
        if members.size == 0 or _majority_class(labels[members]) != expected_class:
            continue
        member_probabilities = column_probabilities[members]
        weighted = carries[members] * member_probabilities
        scores[column] = top_k_sum(member_probabilities, weighted, k, ties) / k
    return scores


def paper_precision_at_10(
    membership: ArrayLike,
    attribute: ArrayLike,
    targets: ArrayLike,
    expected_class: object,
    ties: str = "expected",
) -> float:
    """The best qualifying slice's weighted precision@10; 0.0 when no slice qualifies.

    See :func:`paper_slice_scores` for the per-slice definition and ``ties``.
    """
    scores = paper_slice_scores(membership, attribute, targets, expected_class, k=10, ties=ties)
    # No qualifying slice means the method found nothing of the expected kind: it scores zero.
    return float(np.nanmax(scores)) if np.isfinite(scores).any() else 0.0
