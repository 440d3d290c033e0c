"""AttributeBaseline: how much of the error an attribute explains, the paper's reference line."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from medslice.errors import BadValueError
from medslice.slicing.base import SliceDiscoveryWarning
from medslice.slicing.validation import labels_and_predictions, misclassified


class AttributeBaseline(BaseEstimator):
    """Evaluation-only baseline: the fraction of misclassified audit samples that carry the attribute.

    It needs no fitting: it is what a slice that "just picks errors at random" would score against the
    attribute, so a discovered slice is only informative when it beats it (docs/reference.md §1).
    """

    def score(self, attribute: np.ndarray, targets: np.ndarray, preds: np.ndarray) -> float:
        """Return the share of misclassified samples with ``attribute`` true.

        ``attribute`` is a 1-D boolean or 0/1 array; ``targets`` are 1-D labels or one-hot; ``preds`` are
        1-D binary probabilities or hard 0/1 predictions, or (n, C) probabilities. With no misclassified
        sample the share is undefined: NaN is returned with a :class:`SliceDiscoveryWarning`.
        """
        attribute_array = np.asarray(attribute)
        if attribute_array.ndim != 1:
            raise BadValueError(f"attribute must be 1-D; got shape {attribute_array.shape}")
        n_samples = attribute_array.shape[0]
        if attribute_array.dtype != np.bool_:
            values = np.unique(attribute_array)
            if not np.isin(values, [0, 1]).all():
                raise BadValueError(f"attribute must be boolean or 0/1; found values {values[:5].tolist()}")
            attribute_array = attribute_array.astype(bool)
        y, y_hat = labels_and_predictions(targets, preds, n_samples, reference="attribute")
        errors = misclassified(y, y_hat)
        if not errors.any():
            warnings.warn(
                "AttributeBaseline: no sample is misclassified; the score is undefined (NaN)",
                SliceDiscoveryWarning,
                stacklevel=2,
            )
            return float("nan")
        return float(attribute_array[errors].mean())
