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
        """Hard 0/1 membership, (n, n_slices_)."""
        ...


def one_hot_argmax(proba: np.ndarray) -> np.ndarray:
    """One-hot int matrix marking each row's most probable column; an (n, 0) input stays (n, 0)."""
    hard = np.zeros(proba.shape, dtype=np.int64)
    if proba.shape[1]:
        hard[np.arange(proba.shape[0]), np.argmax(proba, axis=1)] = 1
    return hard


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
