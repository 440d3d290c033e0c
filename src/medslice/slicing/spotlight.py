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

    Each spotlight is a Gaussian kernel over the (PCA-reduced, centred and scaled) embeddings whose centre
    and precision are moved by gradient ascent to maximise the kernel-weighted mean cross-entropy loss,
    while a barrier keeps its total weight above ``spotlight_size`` (see the module docstring). Later
    spotlights run on losses down-weighted where earlier ones shone.

    Parameters
    ----------
    n_slices : int, default=5
        Number of spotlights to search, one after the other.
    spotlight_size : float, default=0.02
        Minimum spotlight size (total kernel weight): a fraction of the fit set if < 1, else a number of
        samples. It must come to more than 0 and fewer than the fit set's samples.
    precision : {"spherical", "diag"}, default="spherical"
        ``"spherical"`` (one precision, the paper's default) or ``"diag"`` (one per dimension).
    num_steps : int, default=1000
        Adam steps per spotlight.
    learning_rate : float, default=1e-2
        Adam's learning rate (> 0); it halves on 20-step plateaus of the objective.
    barrier_scale : float, default=1.0
        Non-negative weight of the size barrier.
    n_pca_components : int or None, default=128
        Reduce the embeddings with PCA, fitted on the fit data, to this many dimensions before the search;
        ``None`` or a value >= the embedding width skips the reduction.
    membership_threshold : float, default=0.5
        ``predict`` marks samples whose kernel weight exceeds it; in [0, 1).
    verbose : bool, default=False
        Show a progress bar over optimisation steps.

    Attributes
    ----------
    means_ : ndarray of shape (n_slices_, d')
        Spotlight centres in the standardised space ``(project(z) - center_) / scale_`` of width d'.
    precisions_ : ndarray of shape (n_slices_, d')
        Spotlight precisions per dimension (all equal for ``precision="spherical"``), in the same space.
    total_weights_ : ndarray of shape (n_slices_,)
        Each spotlight's total kernel weight on the fit data.
    weighted_losses_ : ndarray of shape (n_slices_,)
        Each spotlight's kernel-weighted mean loss on the fit data, with the losses it searched on (down-
        weighted by the spotlights before it).
    n_slices_ : int
        The number of spotlights found and of columns ``predict_proba`` returns: ``n_slices``, or 0 when
        there is nothing to slice (no misclassified case, a single class in the targets).
    pca_ : sklearn.decomposition.PCA or None
        The fitted PCA, or ``None`` when no reduction was made.
    center_ : ndarray of shape (d',)
        Mean of the reduced fit embeddings.
    scale_ : float
        Root mean square of the centred reduced fit embeddings (1.0 if they are all equal): one scalar,
        so the geometry is kept and Adam's step size means the same for any data scale.
    n_features_in_ : int
        Embedding width seen in ``fit``.
    warnings_ : list of str
        Why no spotlight was searched, each also emitted as a
        :class:`~medslice.slicing.SliceDiscoveryWarning`.

    See Also
    --------
    DominoSlicer : The error-aware mixture over all cases; the audit's main slicer.
    ErrorClusterSlicer : A Gaussian mixture over the misclassified cases only.
    medslice.slicing.rules.RuleSlicer : SliceLine rules over metadata columns.

    Notes
    -----
    The Spotlight is due to d'Eon et al. (FAccT 2022). The search is deterministic and takes no
    ``random_state``: every spotlight starts at the data centre with a broad kernel, as in the reference.
    Membership is the unnormalised kernel weight in [0, 1]. A fit costs about 25 Domino fits at the
    default ``num_steps``, which is why the demo leaves it out of the compared slicers and
    ``--env=every_slicer`` adds it.

    Examples
    --------
    >>> import numpy as np
    >>> from medslice.slicing import SpotlightSlicer
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(200, 4))
    >>> targets = rng.integers(0, 2, 200)
    >>> preds = targets.copy()
    >>> planted = embeddings[:, 0] > 1.2  # one region of embedding space where the classifier fails
    >>> preds[planted] = 1 - targets[planted]
    >>> slicer = SpotlightSlicer(n_slices=2, spotlight_size=0.1, num_steps=200, n_pca_components=None)
    >>> slicer = slicer.fit(embeddings, targets, preds)
    >>> slicer.n_slices_, slicer.means_.shape, slicer.predict_proba(embeddings).shape
    (2, (2, 4), (200, 2))
    >>> proba = slicer.predict_proba(embeddings)
    >>> bool(((proba >= 0) & (proba <= 1)).all())
    True
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
        """Search ``n_slices`` spotlights on the fit data.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features)
            The audit set's embeddings.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes)
            Integer class labels or one-hot targets.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes)
            The classifier's probability of class 1 (or hard 0/1 prediction) for binary tasks, or soft or
            hard predictions per class; the cross-entropy loss is computed from them.

        Returns
        -------
        self : SpotlightSlicer
            The fitted slicer.
        """
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
        """Unnormalised kernel weight of every spotlight for every sample.

        Membership depends on the embeddings only; ``targets`` and ``pred_probs`` are accepted for the
        common slicer interface and validated when given.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features_in_)
            Embeddings of the samples to weigh.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
            Optional; validated when given, otherwise unused.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
            Optional; validated when given, otherwise unused.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_slices_)
            Kernel weights in [0, 1], 1 at a spotlight's centre.
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
        """0/1 membership of each sample in each spotlight: kernel weight above ``membership_threshold``.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features_in_)
            Embeddings of the samples to assign.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
            Optional; validated when given, otherwise unused.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
            Optional; validated when given, otherwise unused.

        Returns
        -------
        membership : ndarray of shape (n_samples, n_slices_), dtype int64
            1 where ``predict_proba`` exceeds ``membership_threshold``, else 0.
        """
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
