"""dcbench precision@k: how many of a predicted slice's top-ranked samples lie in the true slice."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from medslice.errors import BadValueError
from medslice.evaluation._validation import as_binary, as_membership, check_k
from medslice.evaluation.ranking import tie_keys, top_k_sum


def ranked_precision(in_slice: np.ndarray, scores: np.ndarray, k: int, ties: str = "expected") -> float:
    """Share of the ``k`` highest-scoring samples that are in the slice.

    With fewer than ``k`` samples the share is over all of them. ``ties="expected"`` (default) averages
    over every order of tied scores, those equal to :data:`~medslice.evaluation.ranking.TIE_DECIMALS`
    decimals (:func:`~medslice.evaluation.ranking.top_k_sum`); ``"ordinal"`` ranks the raw scores in
    sample order, as dcbench ranks with ``rankdata(method="ordinal")``.
    """
    k = check_k(k)
    truth = np.asarray(in_slice, dtype=np.float64)
    return top_k_sum(np.asarray(scores, dtype=np.float64), truth, k, ties) / min(k, len(truth))


def column_average_precision(in_slice: ArrayLike, membership: ArrayLike) -> np.ndarray:
    """Average precision of every predicted slice column against the ground-truth slice."""
    truth = as_binary(in_slice, "in_slice")
    scores = as_membership(membership)
    if scores.shape[0] != truth.shape[0]:
        raise BadValueError(f"membership has {scores.shape[0]} rows, in_slice has {truth.shape[0]}.")
    if not truth.any():
        raise BadValueError("in_slice has no positive sample; precision and AP are undefined.")
    return np.array([_average_precision(truth, scores[:, column]) for column in range(scores.shape[1])])


def _average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """``sklearn.metrics.average_precision_score(truth, tie_keys(scores))`` for a binary ``truth``.

    Scores are compared as the ranking compares them (:func:`~medslice.evaluation.ranking.tie_keys`), so
    float noise neither splits a tie into two thresholds nor changes which column is best. Then the same
    step integral over the same precision-recall points, computed with the same floating-point
    operations (counts are exact, so the order of tied scores does not matter), without scikit-learn's
    input checks, which cost about a millisecond per call. ``truth`` must hold a positive.
    """
    scores = tie_keys(scores)
    order = np.argsort(scores, kind="mergesort")[::-1]
    ranked = scores[order]
    # The last row of every run of equal scores is a threshold.
    thresholds = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    true_positives = np.cumsum(truth[order].astype(np.float64), dtype=np.float64)[thresholds]
    false_positives = 1 + thresholds.astype(np.float64) - true_positives
    predicted = true_positives + false_positives
    precision = np.where(predicted != 0, np.divide(true_positives, predicted), 0.0)
    recall = true_positives / true_positives[-1]
    precision = np.concatenate((precision[::-1], [1.0]))
    recall = np.concatenate((recall[::-1], [0.0]))
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def best_slice_metrics(
    in_slice: ArrayLike, membership: ArrayLike, ks: tuple[int, ...] = (10, 25), ties: str = "expected"
) -> dict[str, float | int]:
    """Score the predicted slice that best matches the ground truth, as dcbench does.

    The best column is the one with the highest average precision (the first on ties). ``ties`` is
    passed to :func:`ranked_precision`.

    Returns
    -------
    dict[str, float | int]
        ``{"precision_at_<k>": ... for k in ks, "average_precision": ..., "best_column": ...}``.
    """
    truth = as_binary(in_slice, "in_slice")
    scores = as_membership(membership)
    precisions = column_average_precision(truth, scores)
    best = int(np.argmax(precisions))
    metrics: dict[str, float | int] = {
        f"precision_at_{k}": ranked_precision(truth, scores[:, best], check_k(k), ties) for k in ks
    }
    metrics["average_precision"] = float(precisions[best])
    metrics["best_column"] = best
    return metrics


def precision_at_k(in_slice: ArrayLike, membership: ArrayLike, k: int, ties: str = "expected") -> float:
    """precision@k of the predicted slice column with the best average precision (dcbench).

    Parameters
    ----------
    in_slice : ArrayLike
        Ground-truth slice membership per sample (bool or 0/1).
    membership : ArrayLike
        Predicted membership probabilities, ``(n,)`` or ``(n, n_slices)``.
    k : int
        How many top-ranked samples to look at.
    ties : str, default="expected"
        ``"expected"`` (default) or ``"ordinal"``; see :func:`ranked_precision`.
    """
    k = check_k(k)
    return float(best_slice_metrics(in_slice, membership, ks=(k,), ties=ties)[f"precision_at_{k}"])
