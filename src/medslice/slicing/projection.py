"""The optional PCA that slicers apply to embeddings before modelling them."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA


def fit_pca(embeddings: np.ndarray, n_components: int | None, random_state: int | None) -> PCA | None:
    """Fit a PCA to ``n_components`` dimensions, or return ``None`` when no reduction is needed.

    The reduction is skipped when ``n_components`` is ``None`` or not smaller than the embedding width. The
    number of components is capped at the number of samples, the most PCA can estimate.
    ``svd_solver="covariance_eigh"`` is exact and fast when samples far outnumber features (200k x 512
    takes about a second); with fewer samples than features the full SVD is the exact choice.
    """
    n_samples, n_features = embeddings.shape
    if n_components is None or n_components >= n_features:
        return None
    n_kept = min(n_components, n_samples)
    solver = "covariance_eigh" if n_samples >= n_features else "full"
    return PCA(n_components=n_kept, svd_solver=solver, random_state=random_state).fit(embeddings)


def project(pca: PCA | None, embeddings: np.ndarray) -> np.ndarray:
    """Apply a fitted PCA from :func:`fit_pca`, or pass the embeddings through when there is none."""
    if pca is None:
        return embeddings
    return pca.transform(embeddings)
