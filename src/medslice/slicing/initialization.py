"""Initial responsibilities for the error-aware mixture: confusion, k-means, random or given."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from medslice.errors import BadValueError

INIT_METHODS: tuple[str, ...] = ("kmeans", "confusion", "random")
# Noise that breaks ties between components that start from the same confusion cell.
CONFUSION_NOISE = 1e-3


def initial_responsibilities(
    init_params: str | np.ndarray,
    z: np.ndarray,
    y: np.ndarray,
    y_hat: np.ndarray,
    *,
    n_components: int,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """Return an (n, K) row-stochastic float64 matrix to start EM from.

    ``init_params`` is a method name from :data:`INIT_METHODS` or an explicit (n, K) array of non-negative
    weights, which is normalised row by row.
    """
    n_samples = z.shape[0]
    if not isinstance(init_params, str):
        return _given(init_params, n_samples, n_components)
    if init_params == "kmeans":
        labels = KMeans(n_clusters=n_components, n_init=1, random_state=random_state).fit(z).labels_
        resp = np.zeros((n_samples, n_components))
        resp[np.arange(n_samples), labels] = 1.0
        return resp
    if init_params == "confusion":
        return _confusion(y, y_hat, n_components, random_state)
    if init_params == "random":
        resp = random_state.uniform(size=(n_samples, n_components))
        return resp / resp.sum(axis=1, keepdims=True)
    raise BadValueError(f"init_params must be one of {list(INIT_METHODS)} or an array")


def _confusion(
    y: np.ndarray, y_hat: np.ndarray, n_components: int, random_state: np.random.RandomState
) -> np.ndarray:
    n_samples, n_classes = y.shape
    n_cells = n_classes**2
    if n_components < n_cells:
        raise BadValueError(
            f'init_params="confusion" needs n_mixture_components >= n_classes**2 = {n_cells} '
            f"(one component per confusion-matrix cell, {n_classes} classes); "
            f"got n_mixture_components={n_components}"
        )
    cells = (y[:, :, None] * y_hat[:, None, :]).reshape(n_samples, n_cells)
    # Component k starts from confusion cell k mod C^2, so every cell gets at least one component.
    resp = cells[:, np.arange(n_components) % n_cells]
    resp = resp / resp.sum(axis=1, keepdims=True)
    resp = resp + random_state.uniform(size=resp.shape) * CONFUSION_NOISE
    return resp / resp.sum(axis=1, keepdims=True)


def _given(init_params: object, n_samples: int, n_components: int) -> np.ndarray:
    resp = np.asarray(init_params, dtype=np.float64)
    if resp.shape != (n_samples, n_components):
        raise BadValueError(
            "init_params given as an array must have shape (n_samples, n_mixture_components) = "
            f"({n_samples}, {n_components}); got {resp.shape}"
        )
    if not np.all(np.isfinite(resp)) or np.any(resp < 0):
        raise BadValueError("init_params given as an array must be finite and non-negative")
    row_sums = resp.sum(axis=1, keepdims=True)
    if np.any(row_sums <= 0):
        raise BadValueError(f"init_params given as an array has {int(np.sum(row_sums <= 0))} all-zero rows")
    return resp / row_sums
