"""Synthetic audit sets with a planted error slice, shared by the slicing tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlantedAuditSet:
    """Embeddings, labels and predictions with a known error slice."""

    embeddings: np.ndarray
    targets: np.ndarray  # 1-D class labels
    predictions: np.ndarray  # 1-D hard predicted labels
    in_slice: np.ndarray  # boolean mask of the planted slice


def planted_audit_set(
    n_samples: int = 400,
    *,
    n_dims: int = 8,
    slice_size: int = 30,
    n_classes: int = 2,
    background_error_rate: float = 0.05,
    seed: int = 0,
) -> PlantedAuditSet:
    """Gaussian background with scattered errors, plus one tight, fully misclassified cluster.

    The planted slice has target class ``n_classes - 1``'s opposite (class 0) predicted as the last class,
    i.e. false positives in the binary case.
    """
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(n_samples, n_dims))
    targets = rng.integers(0, n_classes, n_samples)
    predictions = targets.copy()
    scattered = rng.random(n_samples) < background_error_rate
    predictions[scattered] = (targets[scattered] + 1) % n_classes

    in_slice = np.zeros(n_samples, dtype=bool)
    in_slice[rng.choice(n_samples, slice_size, replace=False)] = True
    center = np.zeros(n_dims)
    center[:2] = 3.5
    embeddings[in_slice] = center + 0.3 * rng.normal(size=(slice_size, n_dims))
    targets[in_slice] = 0
    predictions[in_slice] = n_classes - 1
    return PlantedAuditSet(embeddings, targets, predictions, in_slice)


def precision_at_k(membership: np.ndarray, in_slice: np.ndarray, k: int = 10) -> np.ndarray:
    """precision@k of every membership column against the planted slice."""
    return np.array([in_slice[np.argsort(-column, kind="stable")[:k]].mean() for column in membership.T])
