"""The EM algorithm of Domino's error-aware Gaussian mixture (docs/reference.md §2), vectorised in numpy.

Each sample is described by one feature row ``[z**2, z, Y, Y_hat]`` (``z**2`` only for diagonal
covariances, ``Y_hat`` only when predictions are hard). With that layout both EM steps are one dense
matrix product over the samples:

* E-step: ``W @ features.T`` yields the whole weighted log-likelihood, because the diagonal Gaussian
  exponent ``-(z - mu)**2 / (2 var)`` expands into ``z**2 . (-1 / 2var) + z . (mu / var) + const`` and, for
  one-hot rows, ``log(Y . p + eps)`` equals ``Y . log(p + eps)``.
* M-step: ``R.T @ features`` yields, per component, the sums of ``r z**2``, ``r z``, ``r Y`` and
  ``r Y_hat``, from which weights, means, variances and class probabilities follow.

Both steps run fused over blocks of rows, so a block's (K, rows) log-likelihoods stay in cache between
the product, the softmax and the M-step product, and the full (n, K) responsibility matrix is never
materialised during EM. Blocks run on a thread pool with single-threaded BLAS: on a small shared
machine that scales better than multi-threaded BLAS on these skinny products. Block results are summed
in a fixed order, so results do not depend on the number of threads.

The heavy arrays stay in the working ``dtype`` (float32 halves the time); the small per-component
parameters are always computed in float64.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular
from tqdm.auto import tqdm

from medslice.slicing.threads import limited_threads

LOG_2PI = float(np.log(2.0 * np.pi))
# The same eps as the reference implementation (float64), used both in N_k and inside the logs.
EPS = float(np.finfo(np.float64).eps)
# 16k rows x 25 components of float32 is 1.6 MB: the block's log-likelihoods stay in cache.
BLOCK_ROWS = 16_384
BLOCK_COUNT_MULTIPLE = 8


@dataclass(frozen=True)
class MixtureParameters:
    """Parameters of the error-aware mixture, in the centred space of :class:`MixtureData`."""

    weights: np.ndarray  # (K,) mixing proportions pi_k
    means: np.ndarray  # (K, d)
    covariances: np.ndarray  # (K, d) for "diag", (K, d, d) for "full"
    y_probs: np.ndarray  # (K, C) class distribution of the targets per component
    y_hat_probs: np.ndarray  # (K, C) class distribution of the predictions per component


@dataclass(frozen=True)
class MixtureData:
    """Samples laid out for the vectorised EM steps; build it with :func:`prepare_data`."""

    features: np.ndarray  # (n, f) [z**2 (diag only), z, Y, Y_hat (hard only)]
    z: np.ndarray  # (n, d) contiguous embeddings
    y_hat: np.ndarray  # (n, C) predictions, needed separately when they are soft
    covariance_type: str
    n_dims: int
    n_classes: int
    y_hat_in_features: bool

    @property
    def dtype(self) -> np.dtype:
        """The working floating-point type of the large arrays."""
        return self.features.dtype

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.features.shape[0]

    @property
    def linear_columns(self) -> slice:
        """Columns of ``features`` holding ``z``."""
        start = self.n_dims if self.covariance_type == "diag" else 0
        return slice(start, start + self.n_dims)

    @property
    def y_columns(self) -> slice:
        """Columns of ``features`` holding the one-hot targets."""
        start = self.linear_columns.stop
        return slice(start, start + self.n_classes)

    @property
    def y_hat_columns(self) -> slice:
        """Columns of ``features`` holding hard predictions (empty when they are soft)."""
        start = self.y_columns.stop
        return slice(start, start + (self.n_classes if self.y_hat_in_features else 0))


def prepare_data(
    z: np.ndarray, y: np.ndarray, y_hat: np.ndarray, covariance_type: str, dtype: np.dtype
) -> MixtureData:
    """Lay out embeddings ``z`` (n, d), one-hot targets ``y`` and predictions ``y_hat`` (n, C)."""
    z = np.ascontiguousarray(z, dtype=dtype)
    y_hat = np.ascontiguousarray(y_hat, dtype=dtype)
    hard = bool(np.all((y_hat == 0) | (y_hat == 1)))
    blocks = [z * z] if covariance_type == "diag" else []
    blocks += [z, y.astype(dtype, copy=False)]
    if hard:
        blocks.append(y_hat)
    return MixtureData(
        features=np.concatenate(blocks, axis=1),
        z=z,
        y_hat=y_hat,
        covariance_type=covariance_type,
        n_dims=z.shape[1],
        n_classes=y.shape[1],
        y_hat_in_features=hard,
    )


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def _block_executor(n_threads: int, n_samples: int | None = None) -> Iterator[Callable]:
    """Yield a ``map`` over row blocks, on ``n_threads`` threads with single-threaded BLAS.

    With ``n_samples`` rows in a single block (an audit set of a few hundred rows) a thread pool has nothing
    to share out, so the block runs in the calling thread: the same sums, without starting threads.
    """
    with limited_threads(limits=1, user_api="blas"):
        single_block = n_samples is not None and len(_row_blocks(n_samples)) <= 1
        if n_threads <= 1 or single_block:
            yield lambda fn, items: list(map(fn, items))
            return
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            yield lambda fn, items: list(pool.map(fn, items))


def _row_blocks(n_samples: int) -> list[slice]:
    """Equal blocks of at most BLOCK_ROWS rows.

    Beyond one block, the count is rounded up to a multiple of BLOCK_COUNT_MULTIPLE so that 2, 4 or 8
    threads get equal work, while the partition (hence the summation order) never depends on the threads.
    """
    n_blocks = -(-n_samples // BLOCK_ROWS)
    if n_blocks > 1:
        n_blocks = -(-n_blocks // BLOCK_COUNT_MULTIPLE) * BLOCK_COUNT_MULTIPLE
    bounds = np.linspace(0, n_samples, n_blocks + 1).round().astype(int)
    return [slice(int(start), int(stop)) for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


@dataclass(frozen=True)
class _Coefficients:
    """Per-iteration constants of the E-step, precomputed once from the parameters."""

    weights_t: np.ndarray  # (K, f') multiplies feature rows: quadratic, linear and label terms
    bias: np.ndarray  # (K, 1)
    soft_y_hat_probs: np.ndarray | None  # (K, C) when predictions are soft
    gamma_hat: float
    means: np.ndarray  # (K, d), used by full covariances only
    choleskys: np.ndarray | None  # (K, d, d), full covariances only


def _coefficients(
    data: MixtureData, params: MixtureParameters, gamma: float, gamma_hat: float
) -> _Coefficients:
    log_y = gamma * np.log(params.y_probs + EPS)  # (K, C)
    label_blocks = [log_y]
    if data.y_hat_in_features:
        label_blocks.append(gamma_hat * np.log(params.y_hat_probs + EPS))
    choleskys = None
    if data.covariance_type == "diag":
        precision = 1.0 / params.covariances
        weight_blocks = [-0.5 * precision, params.means * precision, *label_blocks]
        bias = np.log(params.weights) - 0.5 * (
            data.n_dims * LOG_2PI
            + np.log(params.covariances).sum(axis=1)
            + (params.means**2 * precision).sum(axis=1)
        )
    else:
        weight_blocks = label_blocks
        choleskys = np.linalg.cholesky(params.covariances)
        log_det = 2.0 * np.log(np.diagonal(choleskys, axis1=1, axis2=2)).sum(axis=1)
        bias = np.log(params.weights) - 0.5 * (data.n_dims * LOG_2PI + log_det)
    return _Coefficients(
        weights_t=np.ascontiguousarray(np.concatenate(weight_blocks, axis=1), dtype=data.dtype),
        bias=bias[:, None].astype(data.dtype),
        soft_y_hat_probs=None if data.y_hat_in_features else params.y_hat_probs.astype(data.dtype),
        gamma_hat=gamma_hat,
        means=params.means,
        choleskys=choleskys,
    )


def _log_weights_block(data: MixtureData, coef: _Coefficients, rows: slice) -> np.ndarray:
    """Weighted log-likelihood of a block of rows, transposed: (K, rows)."""
    if data.covariance_type == "diag":
        log_w = coef.weights_t @ data.features[rows].T
    else:
        log_w = coef.weights_t @ data.features[rows, data.y_columns.start :].T
        for k, cholesky in enumerate(coef.choleskys):
            diff = (data.z[rows] - coef.means[k].astype(data.dtype)).T.astype(np.float64)
            whitened = solve_triangular(cholesky, diff, lower=True)
            log_w[k] -= 0.5 * np.einsum("ij,ij->j", whitened, whitened).astype(data.dtype)
    log_w += coef.bias
    if coef.soft_y_hat_probs is not None:
        log_w += coef.gamma_hat * np.log(coef.soft_y_hat_probs @ data.y_hat[rows].T + EPS)
    return log_w


def _normalize_columns(log_w: np.ndarray) -> np.ndarray:
    """Softmax over components in place (columns are samples); return each sample's log-normaliser."""
    col_max = log_w.max(axis=0)
    log_w -= col_max
    np.exp(log_w, out=log_w)
    col_sum = log_w.sum(axis=0)
    log_w /= col_sum
    return np.log(col_sum.astype(np.float64)) + col_max


@dataclass(frozen=True)
class _Sums:
    """Responsibility-weighted sums over samples: everything the M-step needs."""

    features: np.ndarray  # (K, f) float64: sums of r * feature row
    y_hat: np.ndarray  # (K, C) float64: sums of r * Y_hat
    log_norm: float  # sum over samples of the log-normaliser (0 when not from an E-step)


def _sums_block(data: MixtureData, resp_t: np.ndarray, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    features = (resp_t @ data.features[rows]).astype(np.float64)
    if data.y_hat_in_features:
        y_hat = features[:, data.y_hat_columns]
    else:
        y_hat = (resp_t @ data.y_hat[rows]).astype(np.float64)
    return features, y_hat


def _reduce(parts: list[tuple[np.ndarray, np.ndarray, float]]) -> _Sums:
    # A fixed summation order keeps results independent of the thread count.
    features, y_hat, log_norm = parts[0]
    for more_features, more_y_hat, more_log_norm in parts[1:]:
        features = features + more_features
        y_hat = y_hat + more_y_hat
        log_norm = log_norm + more_log_norm
    return _Sums(features, y_hat, float(log_norm))


def _parameters(
    data: MixtureData, sums: _Sums, reg_covar: float, resp: np.ndarray | None
) -> MixtureParameters:
    """M-step from responsibility-weighted sums (and, for full covariances, the responsibilities)."""
    y_sums = sums.features[:, data.y_columns]
    # Target rows are one-hot, so summing r * Y over classes gives sum_i r_ik without another pass.
    n_k = y_sums.sum(axis=1) + 10.0 * EPS
    means = sums.features[:, data.linear_columns] / n_k[:, None]
    if data.covariance_type == "diag":
        covariances = sums.features[:, : data.n_dims] / n_k[:, None] - means**2 + reg_covar
        # E[z^2] - E[z]^2 can round below zero in float32; the true value is at least reg_covar.
        np.maximum(covariances, reg_covar, out=covariances)
    else:
        covariances = _full_covariances(data, resp, means, n_k, reg_covar)
    return MixtureParameters(
        weights=n_k / data.n_samples,
        means=means,
        covariances=covariances,
        y_probs=y_sums / n_k[:, None],
        y_hat_probs=sums.y_hat / n_k[:, None],
    )


def _full_covariances(
    data: MixtureData, resp: np.ndarray, means: np.ndarray, n_k: np.ndarray, reg_covar: float
) -> np.ndarray:
    n_components, n_dims = means.shape
    covariances = np.empty((n_components, n_dims, n_dims))
    for k in range(n_components):
        diff = data.z - means[k].astype(data.dtype)
        covariance = (resp[:, k, None] * diff).T @ diff
        covariances[k] = covariance.astype(np.float64) / n_k[k]
        covariances[k].flat[:: n_dims + 1] += reg_covar
    return covariances


def m_step(data: MixtureData, resp: np.ndarray, reg_covar: float, n_threads: int = 1) -> MixtureParameters:
    """Estimate the parameters from responsibilities ``resp`` (n, K)."""
    resp = np.asarray(resp, dtype=data.dtype)

    def block(rows: slice) -> tuple[np.ndarray, np.ndarray, float]:
        return (*_sums_block(data, np.ascontiguousarray(resp[rows].T), rows), 0.0)

    with _block_executor(n_threads, data.n_samples) as map_blocks:
        sums = _reduce(map_blocks(block, _row_blocks(data.n_samples)))
    return _parameters(data, sums, reg_covar, resp)


def _expectation(
    data: MixtureData,
    params: MixtureParameters,
    gamma: float,
    gamma_hat: float,
    *,
    map_blocks: Callable,
    resp_out: np.ndarray | None,
    accumulate: bool = True,
) -> _Sums:
    """One E-step over all row blocks, fused with the M-step's sums unless ``accumulate`` is False."""
    coef = _coefficients(data, params, gamma, gamma_hat)
    no_sums = (np.zeros(0), np.zeros(0))

    def block(rows: slice) -> tuple[np.ndarray, np.ndarray, float]:
        resp_t = _log_weights_block(data, coef, rows)
        log_norm = _normalize_columns(resp_t)
        if resp_out is not None:
            resp_out[rows] = resp_t.T
        sums = _sums_block(data, resp_t, rows) if accumulate else no_sums
        return (*sums, float(log_norm.sum()))

    return _reduce(map_blocks(block, _row_blocks(data.n_samples)))


@dataclass(frozen=True)
class EMResult:
    """Outcome of :func:`run_em`."""

    parameters: MixtureParameters
    n_iter: int
    converged: bool
    lower_bound: float


def em_iteration(
    data: MixtureData,
    params: MixtureParameters,
    gamma: float,
    gamma_hat: float,
    *,
    reg_covar: float,
    n_threads: int = 1,
) -> tuple[float, MixtureParameters]:
    """One E-step plus M-step; return (mean log-normaliser of the E-step, new parameters)."""
    with _block_executor(n_threads, data.n_samples) as map_blocks:
        return _iterate(data, params, gamma, gamma_hat, reg_covar=reg_covar, map_blocks=map_blocks)


def _iterate(
    data: MixtureData,
    params: MixtureParameters,
    gamma: float,
    gamma_hat: float,
    *,
    reg_covar: float,
    map_blocks: Callable,
) -> tuple[float, MixtureParameters]:
    resp = None
    if data.covariance_type == "full":
        resp = np.empty((data.n_samples, params.weights.shape[0]), dtype=data.dtype)
    sums = _expectation(data, params, gamma, gamma_hat, map_blocks=map_blocks, resp_out=resp)
    return sums.log_norm / data.n_samples, _parameters(data, sums, reg_covar, resp)


def run_em(
    data: MixtureData,
    init_resp: np.ndarray,
    *,
    gamma: float,
    gamma_hat: float,
    max_iter: int,
    tol: float,
    reg_covar: float,
    n_threads: int = 1,
    progress: bool = False,
) -> EMResult:
    """Run EM from initial responsibilities.

    The parameters are first estimated from ``init_resp``; each iteration is then an E-step followed by
    an M-step. EM stops once the mean log-normaliser changes by less than ``tol`` or after ``max_iter``
    iterations.
    """
    params = m_step(data, init_resp, reg_covar, n_threads)
    lower_bound = -np.inf
    converged = False
    n_iter = 0
    with _block_executor(n_threads, data.n_samples) as map_blocks:
        for _ in tqdm(range(max_iter), desc="Domino EM", unit="iter", disable=not progress, leave=False):
            n_iter += 1
            previous = lower_bound
            lower_bound, params = _iterate(
                data, params, gamma, gamma_hat, reg_covar=reg_covar, map_blocks=map_blocks
            )
            if abs(lower_bound - previous) < tol:
                converged = True
                break
    return EMResult(params, n_iter, converged, float(lower_bound))


def responsibilities(
    data: MixtureData,
    params: MixtureParameters,
    gamma: float,
    gamma_hat: float,
    n_threads: int = 1,
) -> np.ndarray:
    """Posterior probability of every component for every sample, (n, K), in the working dtype."""
    resp = np.empty((data.n_samples, params.weights.shape[0]), dtype=data.dtype)
    with _block_executor(n_threads, data.n_samples) as map_blocks:
        _expectation(data, params, gamma, gamma_hat, map_blocks=map_blocks, resp_out=resp, accumulate=False)
    return resp
