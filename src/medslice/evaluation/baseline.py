"""The paper's baseline: how common the attribute is among misclassified samples."""

from __future__ import annotations

from numpy.typing import ArrayLike

from medslice.evaluation._validation import as_binary, as_labels, as_predicted_labels


def attribute_fraction_baseline(attribute: ArrayLike, targets: ArrayLike, preds: ArrayLike) -> float:
    """Fraction of misclassified audit samples that carry the attribute.

    This is the precision of "flag every error": a slice finder beats it only by concentrating the
    attribute more than the errors already do. NaN when nothing is misclassified.
    """
    carries = as_binary(attribute, "attribute")
    n_samples = carries.shape[0]
    errors = as_labels(targets, "targets", n_samples) != as_predicted_labels(preds, "preds", n_samples)
    if not errors.any():
        return float("nan")
    return float(carries[errors].mean())
