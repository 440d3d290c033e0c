"""What every slicer shares: the fit / predict_proba / predict protocol and degenerate-case reporting.

A slicer is fitted on ``(embeddings, targets, pred_probs)`` and returns, per sample, a membership score for
each discovered slice. When there is nothing to slice (no misclassified case, a single class), a slicer
still fits, records the reason in ``warnings_``, emits a :class:`SliceDiscoveryWarning`, and reports
**zero slices**: ``n_slices_ == 0`` and ``predict_proba`` returns an ``(n, 0)`` array. Callers therefore
always iterate over the columns they get, never over ``n_slices``.
"""

from __future__ import annotations

import warnings
from typing import Protocol, runtime_checkable

import numpy as np


class SliceDiscoveryWarning(UserWarning):
    """A slicer was fitted on data with nothing to slice; it reports zero slices."""


@runtime_checkable
class Slicer(Protocol):
    """The interface shared by :class:`DominoSlicer` and the baselines."""

    def fit(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> Slicer:
        """Discover slices; return self."""
        ...

    def predict_proba(
        self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray
    ) -> np.ndarray:
        """Membership score of every sample in every discovered slice, (n, n_slices_)."""
        ...

    def predict(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
        """Hard 0/1 membership, (n, n_slices_): :func:`members` of ``predict_proba``."""
        ...


MEMBERSHIP_THRESHOLD = 0.5


def members(proba: np.ndarray) -> np.ndarray:
    """0/1 int membership (n, n_slices): probability above 0.5, medslice's one rule for a slice member.

    Metrics, summaries, explainers and montages count members this way. Domino's reference ``predict``
    takes the arg-max over the selected slice columns instead, which puts every sample in some slice even
    when nearly all its mass sits on components that are not slices; a sample may here be in no slice.
    """
    return (proba > MEMBERSHIP_THRESHOLD).astype(np.int64)


def record_warning(messages: list[str], message: str) -> None:
    """Append ``message`` to a slicer's ``warnings_`` list and emit it as a SliceDiscoveryWarning."""
    messages.append(message)
    warnings.warn(message, SliceDiscoveryWarning, stacklevel=3)


def degenerate_reasons(y: np.ndarray, errors: np.ndarray) -> list[str]:
    """Reasons why the data holds no slice to discover (empty when discovery makes sense)."""
    reasons = []
    n_present = int(np.count_nonzero(y.sum(axis=0)))
    if n_present < 2:
        reasons.append(
            f"targets contain a single class ({n_present} of {y.shape[1]} classes present); "
            "errors cannot be contrasted across classes, so no slices are reported"
        )
    if not errors.any():
        reasons.append("no sample is misclassified, so there is no error slice to report")
    return reasons
