"""The paper's precision@10 of the ideal error slice: how much a slicer can get from the errors alone.

An error-aware slicer such as Domino builds its slices around misclassified cases. The best slice made only
of errors holds the misclassified cases of the expected class that carry the planted attribute, each with
membership 1; its weighted precision@10 is their number, capped at ten, over ten. When the classifier
missed fewer than ten planted cases, no error-only slice scores 1. Real slices also take in correctly
classified neighbours, so a slicer can score above this reference, but a score far below it means the
slicer, not the classifier, left the planted failure unfound.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from medslice.evaluation._validation import as_binary, as_labels, as_predicted_labels, check_k


def ideal_error_slice_precision(
    attribute: ArrayLike,
    targets: ArrayLike,
    preds: ArrayLike,
    expected_class: object,
    k: int = 10,
) -> float:
    """The paper's weighted precision@k of the ideal slice of misclassified cases.

    That slice holds the misclassified cases whose true class is ``expected_class`` and that carry the
    attribute, each with membership 1, so its score is ``min(count, k) / k``. No slice whose members
    (probability > 0.5) are all misclassified scores higher.
    """
    k = check_k(k)
    carries = as_binary(attribute, "attribute")
    n_samples = carries.shape[0]
    labels = as_labels(targets, "targets", n_samples)
    errors = labels != as_predicted_labels(preds, "preds", n_samples)
    count = int((carries & errors & (labels == expected_class)).sum())
    return min(count, k) / k
