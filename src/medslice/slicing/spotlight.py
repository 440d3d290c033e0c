"""SpotlightSlicer: The Spotlight (d'Eon et al., FAccT 2022), a learned Gaussian "spotlight" on high loss.

A spotlight is a Gaussian kernel ``w_i = exp(-(z_i - mu)^T P (z_i - mu) / 2)`` over embedding space, with
a spherical or diagonal precision ``P``. Gradient ascent (Adam in numpy, with analytic gradients: at
audit-set sizes that beats autograd and stays deterministic) moves ``mu`` and ``P`` to maximise the
weighted mean loss ``sum_i w_i l_i / sum_i w_i`` while a barrier keeps the spotlight's total weight
``sum_i w_i`` above a minimum size. The barrier is annealed: its reach shrinks geometrically from the whole
set to 5% of the minimum size, so early steps explore broadly and late steps tighten. Each later spotlight
runs on losses multiplied by ``1 - w / max(w)`` of the spotlights before it, so it looks elsewhere.

Membership is the *unnormalised* kernel weight ``w_i`` in [0, 1]; ``predict`` thresholds it at
``membership_threshold``. (The reference port thresholded the normalised weights ``w / sum(w)``, which
sum to one and therefore almost never exceed 0.5.)
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from medslice.errors import BadValueError
from medslice.slicing.base import degenerate_reasons, record_warning
from medslice.slicing.gradient_ascent import Adam, ReduceOnPlateau
from medslice.slicing.projection import fit_pca, project
from medslice.slicing.validation import (
    check_choice,
    check_embeddings,
    check_non_negative_float,
    check_positive_int,
    labels_and_predictions,
    membership_embeddings,
    misclassified,
)

PRECISION_TYPES: tuple[str, ...] = ("spherical", "diag")
# Cross-entropy of a hard wrong prediction would be infinite; clipping makes it a large finite loss.
MIN_PROBABILITY = 1e-6
# The barrier's reach ends at this fraction of the minimum spotlight size (the reference's schedule).
BARRIER_END_FRACTION = 0.05
# Initial precision relative to the data spread: every sample starts with weight close to 1.
INITIAL_SPREAD_FRACTION = 0.1


def cross_entropy_losses(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy ``-log p(true class)``, with probabilities clipped at 1e-6."""
    p_true = np.sum(y * y_hat, axis=1)
    return -np.log(np.clip(p_true, MIN_PROBABILITY, 1.0))


class SpotlightSlicer(BaseEstimator):
    """Find high-loss regions of embedding space with successive Gaussian spotlights.

    Parameters
    ----------
    n_slices:
        Number of spotlights.
    spotlight_size:
        Minimum spotlight size: a fraction of the fit set if < 1, else a number of samples.
    precision:
        ``"spherical"`` (one precision, the paper's default) or ``"diag"`` (one per dimension).
    num_steps, learning_rate:
        Adam steps per spotlight and their learning rate; the rate halves on 20-step plateaus.
    barrier_scale:
        Weight of the size barrier.
    n_pca_components:
        PCA of the embeddings before the search; ``None`` skips it.
    membership_threshold:
        ``predict`` marks samples whose kernel weight exceeds it.
    verbose:
        Show a progress bar over optimisation steps.

    Attributes
    ----------
    means_, precisions_:
        Spotlight centres (n_slices_, d) and precisions (n_slices_, d), in the standardised space
        ``(project(z) - center_) / scale_``.
    total_weights_, weighted_losses_:
        Each spotlight's total kernel weight and weighted mean loss on the fit data.
    n_slices_, pca_, center_, scale_, warnings_:
        As for the other slicers; ``n_slices_`` is 0 when there is nothing to slice.

    The search is deterministic: it starts at the data centre with a broad kernel, as in the reference.
    """

    def __init__(
        self,
        n_slices: int = 5,
        *,
        spotlight_size: float = 0.02,
        precision: str = "spherical",
        num_steps: int = 1000,
        learning_rate: float = 1e-2,
        barrier_scale: float = 1.0,
        n_pca_components: int | None = 128,
        membership_threshold: float = 0.5,
        verbose: bool = False,
    ) -> None:
        self.n_slices = n_slices
        self.spotlight_size = spotlight_size
        self.precision = precision
        self.num_steps = num_steps
        self.learning_rate = learning_rate
        self.barrier_scale = barrier_scale
        self.n_pca_components = n_pca_components
        self.membership_threshold = membership_threshold
        self.verbose = verbose

    def _min_weight(self, n_samples: int) -> float:
        size = check_non_negative_float(self.spotlight_size, "spotlight_size")
        min_weight = size * n_samples if size < 1 else size
        if not 0 < min_weight < n_samples:
            raise BadValueError(
                f"spotlight_size must give between 0 and {n_samples} samples (the fit set); "
                f"spotlight_size={self.spotlight_size} gives {min_weight:g}"
            )
        return min_weight

    def _check_params(self) -> None:
        check_positive_int(self.n_slices, "n_slices")
        check_choice(self.precision, "precision", PRECISION_TYPES)
        check_positive_int(self.num_steps, "num_steps")
        if check_non_negative_float(self.learning_rate, "learning_rate") == 0:
            raise BadValueError("learning_rate must be > 0; got 0")
        check_non_negative_float(self.barrier_scale, "barrier_scale")
        if self.n_pca_components is not None:
            check_positive_int(self.n_pca_components, "n_pca_components")
        threshold = check_non_negative_float(self.membership_threshold, "membership_threshold")
        if threshold >= 1:
            raise BadValueError(f"membership_threshold must be in [0, 1); got {threshold}")

    def fit(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> SpotlightSlicer:
        """Search ``n_slices`` spotlights on the fit data; return self."""
        self._check_params()
        z = check_embeddings(embeddings)
        y, y_hat = labels_and_predictions(targets, pred_probs, z.shape[0])
        min_weight = self._min_weight(z.shape[0])
        self.warnings_: list[str] = []
        self.n_features_in_ = z.shape[1]
        self.pca_ = fit_pca(z, self.n_pca_components, random_state=0)
        reduced = project(self.pca_, z)
        self.center_ = reduced.mean(axis=0)
        # One scalar scale keeps the geometry and makes Adam's step size meaningful for any data scale.
        self.scale_ = float(np.sqrt(np.mean((reduced - self.center_) ** 2))) or 1.0
        x = (reduced - self.center_) / self.scale_

        means, precisions, total_weights, weighted_losses = [], [], [], []
        reasons = degenerate_reasons(y, misclassified(y, y_hat))
        for reason in reasons:
            record_warning(self.warnings_, f"SpotlightSlicer: {reason}")
        if not reasons:
            losses = cross_entropy_losses(y, y_hat)
            for _ in range(self.n_slices):
                mean, precision = self._search(x, losses, min_weight)
                weights = kernel_weights(x, mean, precision)
                means.append(mean)
                precisions.append(precision)
                total_weights.append(float(weights.sum()))
                weighted_losses.append(float(weights @ losses / max(weights.sum(), 1e-12)))
                # Later spotlights look where earlier ones did not shine.
                losses = losses * (1.0 - weights / max(weights.max(), 1e-12))
        dims = x.shape[1]
        self.means_ = np.array(means, dtype=np.float64).reshape(-1, dims)
        self.precisions_ = np.array(precisions, dtype=np.float64).reshape(-1, dims)
        self.total_weights_ = np.array(total_weights)
        self.weighted_losses_ = np.array(weighted_losses)
        self.n_slices_ = len(means)
        return self

    def _search(self, x: np.ndarray, losses: np.ndarray, min_weight: float) -> tuple[np.ndarray, np.ndarray]:
        """Adam ascent of one spotlight; return its (mean, per-dimension precision)."""
        n_samples, dims = x.shape
        n_precisions = 1 if self.precision == "spherical" else dims
        # Parameters in one flat vector: the mean, then the log precision(s).
        params = np.concatenate(
            [np.zeros(dims), np.full(n_precisions, np.log(INITIAL_SPREAD_FRACTION / dims))]
        )
        optimizer = Adam(self.learning_rate)
        scheduler = ReduceOnPlateau(optimizer, patience=20, factor=0.5)
        barrier_reach = np.geomspace(
            n_samples - min_weight, BARRIER_END_FRACTION * min_weight, self.num_steps
        )
        for step in tqdm(range(self.num_steps), desc="Spotlight", disable=not self.verbose, leave=False):
            objective, gradient = spotlight_objective(
                x,
                losses,
                params,
                min_weight=min_weight,
                barrier_reach=float(barrier_reach[step]),
                barrier_scale=self.barrier_scale,
            )
            params = optimizer.step(params, -gradient)
            scheduler.step(-objective)
        return params[:dims].copy(), np.broadcast_to(np.exp(params[dims:]), (dims,)).copy()

    def predict_proba(
        self,
        embeddings: np.ndarray,
        targets: np.ndarray | None = None,
        pred_probs: np.ndarray | None = None,
    ) -> np.ndarray:
        """Unnormalised kernel weight of every spotlight for every sample, (n, n_slices_), in [0, 1].

        Membership depends on the embeddings only; ``targets`` and ``pred_probs`` are accepted for the
        common slicer interface and validated when given.
        """
        check_is_fitted(self, "means_")
        z = membership_embeddings(embeddings, self.n_features_in_, targets, pred_probs)
        x = (project(self.pca_, z) - self.center_) / self.scale_
        squared = (
            (x * x) @ self.precisions_.T
            - 2.0 * x @ (self.means_ * self.precisions_).T
            + np.sum(self.means_**2 * self.precisions_, axis=1)
        )
        return np.exp(-0.5 * np.maximum(squared, 0.0))

    def predict(
        self,
        embeddings: np.ndarray,
        targets: np.ndarray | None = None,
        pred_probs: np.ndarray | None = None,
    ) -> np.ndarray:
        """0/1 int membership (n, n_slices_): kernel weight above ``membership_threshold``."""
        proba = self.predict_proba(embeddings, targets, pred_probs)
        return (proba > self.membership_threshold).astype(np.int64)


def kernel_weights(x: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Gaussian kernel weights ``exp(-sum_j P_j (x_ij - mu_j)^2 / 2)`` in [0, 1], for a (d,) precision."""
    return np.exp(-0.5 * ((x - mean) ** 2) @ precision)


def spotlight_objective(
    x: np.ndarray,
    losses: np.ndarray,
    params: np.ndarray,
    *,
    min_weight: float,
    barrier_reach: float,
    barrier_scale: float,
) -> tuple[float, np.ndarray]:
    """The Spotlight objective and its analytic gradient with respect to ``params``.

    ``params`` is ``[mean (d), log precision (1 for spherical, or d)]``. The objective is the weighted
    mean loss ``L / T`` with ``L = sum_i w_i l_i`` and ``T = sum_i w_i``, minus the barrier
    ``barrier_scale * ((T - floor) / barrier_reach)**2`` while ``T < floor = min_weight + barrier_reach``.
    """
    dims = x.shape[1]
    mean, log_precision = params[:dims], params[dims:]
    precision = np.broadcast_to(np.exp(log_precision), (dims,))
    diff = x - mean
    weights = np.exp(-0.5 * (diff**2) @ precision)
    total = max(float(weights.sum()), 1e-12)
    weighted_loss = float(weights @ losses)
    objective = weighted_loss / total
    # d objective / d w_i, before the chain rule through the kernel.
    d_weights = losses / total - weighted_loss / total**2
    floor = min_weight + barrier_reach
    if total < floor:
        objective -= barrier_scale * ((total - floor) / barrier_reach) ** 2
        d_weights = d_weights - 2.0 * barrier_scale * (total - floor) / barrier_reach**2
    g = d_weights * weights  # d objective / d (log w_i)
    grad_mean = precision * (g @ diff)
    grad_log_precision = -0.5 * precision * (g @ diff**2)
    if log_precision.shape[0] == 1:
        grad_log_precision = np.array([grad_log_precision.sum()])
    return objective, np.concatenate([grad_mean, grad_log_precision])
