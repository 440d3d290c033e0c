"""DominoSlicer: slice discovery with an error-aware Gaussian mixture (Eyuboglu et al., ICLR 2022)."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from medslice.slicing.base import degenerate_reasons, members, record_warning
from medslice.slicing.error_aware_mixture import (
    MixtureParameters,
    available_cores,
    prepare_data,
    responsibilities,
    run_em,
)
from medslice.slicing.initialization import INIT_METHODS, initial_responsibilities
from medslice.slicing.projection import fit_pca, project
from medslice.slicing.validation import (
    check_choice,
    check_embeddings,
    check_fitted_embeddings,
    check_non_negative_float,
    check_positive_int,
    labels_and_predictions,
    misclassified,
)

logger = logging.getLogger(__name__)

COVARIANCE_TYPES: tuple[str, ...] = ("diag", "full")
DTYPES: tuple[str, ...] = ("float64", "float32")


class DominoSlicer(BaseEstimator):
    """Find the slices where a classifier fails, as components of an error-aware Gaussian mixture.

    The mixture models embeddings, targets and predictions jointly (docs/reference.md §2). The log-likelihood
    of a component adds ``y_log_likelihood_weight * log(Y . p_k)`` and
    ``y_hat_log_likelihood_weight * log(Y_hat . p_hat_k)`` to the Gaussian term, which pulls components
    towards groups that share both a region of embedding space and a (target, prediction) pattern. The
    ``n_slices`` components whose prediction distribution departs most from their target distribution,
    ``|max_c(p_hat_kc - p_kc)|``, are the slices.

    The defaults are the paper's settings: 5 slices out of 20 components, gamma = gamma_hat = 10, k-means
    initialisation and an internal PCA to 128 dimensions.

    Parameters
    ----------
    n_slices:
        Number of slices to report (at most ``n_mixture_components``).
    n_mixture_components:
        Number of mixture components K.
    y_log_likelihood_weight, y_hat_log_likelihood_weight:
        gamma and gamma_hat, the weights of the target and prediction log-likelihoods.
    init_params:
        ``"kmeans"`` (one-hot k-means labels), ``"confusion"`` (confusion-matrix cells, needs
        K >= C**2), ``"random"``, or an explicit (n_samples, K) array of initial responsibilities.
    covariance_type:
        ``"diag"`` (fast, the default) or ``"full"``.
    n_pca_components:
        Reduce embeddings with PCA, fitted on the fit data, to this many dimensions first; ``None`` or a
        value >= the embedding width skips the reduction.
    max_iter, tol:
        EM stops after ``max_iter`` iterations or when the mean log-normaliser changes by less than
        ``tol``.
    reg_covar:
        Added to the covariance diagonals.
    dtype:
        ``"float64"`` (exact) or ``"float32"`` (about twice as fast on large sets) for the EM's large
        arrays; parameters are always computed in float64.
    n_jobs:
        Threads for the EM's row blocks (``None``: every available core). Results do not depend on it.
    random_state:
        Seed of the initialisation; the same seed and inputs give identical results.
    verbose:
        Show a progress bar over EM iterations.

    Attributes
    ----------
    means_, covariances_, weights_, y_probs_, y_hat_probs_:
        Mixture parameters for all K components; means live in the (PCA-reduced) embedding space.
    slice_indices_:
        Indices of the components reported as slices, most error-aligned first (empty when the data
        have nothing to slice).
    n_slices_:
        ``len(slice_indices_)``: the number of columns ``predict_proba`` returns.
    n_iter_, converged_, lower_bound_:
        EM iterations run, whether ``tol`` was met, and the last mean log-normaliser.
    pca_:
        The fitted :class:`sklearn.decomposition.PCA`, or ``None``.
    warnings_:
        Why no slices are reported, if so (no misclassified case, or a single class in targets). In
        that case the mixture is still fitted, a :class:`SliceDiscoveryWarning` is emitted, and
        ``predict_proba`` / ``predict`` return ``(n, 0)`` arrays.
    """

    def __init__(
        self,
        n_slices: int = 5,
        *,
        n_mixture_components: int = 20,
        y_log_likelihood_weight: float = 10.0,
        y_hat_log_likelihood_weight: float = 10.0,
        init_params: str | np.ndarray = "kmeans",
        covariance_type: str = "diag",
        n_pca_components: int | None = 128,
        max_iter: int = 100,
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        dtype: str = "float64",
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
    ) -> None:
        self.n_slices = n_slices
        self.n_mixture_components = n_mixture_components
        self.y_log_likelihood_weight = y_log_likelihood_weight
        self.y_hat_log_likelihood_weight = y_hat_log_likelihood_weight
        self.init_params = init_params
        self.covariance_type = covariance_type
        self.n_pca_components = n_pca_components
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self) -> None:
        check_positive_int(self.n_slices, "n_slices")
        n_components = check_positive_int(self.n_mixture_components, "n_mixture_components")
        if self.n_slices > n_components:
            raise ValueError(
                f"n_slices ({self.n_slices}) cannot exceed n_mixture_components ({n_components})"
            )
        check_non_negative_float(self.y_log_likelihood_weight, "y_log_likelihood_weight")
        check_non_negative_float(self.y_hat_log_likelihood_weight, "y_hat_log_likelihood_weight")
        if isinstance(self.init_params, str):
            check_choice(self.init_params, "init_params", INIT_METHODS)
        check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        if self.n_pca_components is not None:
            check_positive_int(self.n_pca_components, "n_pca_components")
        check_positive_int(self.max_iter, "max_iter")
        check_non_negative_float(self.tol, "tol")
        if check_non_negative_float(self.reg_covar, "reg_covar") == 0.0:
            raise ValueError("reg_covar must be > 0 to keep covariances invertible; got 0")
        check_choice(self.dtype, "dtype", DTYPES)
        if self.n_jobs is not None:
            check_positive_int(self.n_jobs, "n_jobs")

    def _n_threads(self) -> int:
        return available_cores() if self.n_jobs is None else self.n_jobs

    def fit(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> DominoSlicer:
        """Fit the mixture to an audit set and choose the slices.

        ``embeddings`` is (n, d); ``targets`` is 1-D integer labels or (n, C) one-hot; ``pred_probs`` is a
        1-D binary probability (or hard 0/1 prediction) of class 1, or (n, C) soft or hard predictions.
        """
        self._check_params()
        z = check_embeddings(embeddings)
        n_samples = z.shape[0]
        y, y_hat = labels_and_predictions(targets, pred_probs, n_samples)
        if n_samples < self.n_mixture_components:
            raise ValueError(
                f"embeddings has {n_samples} samples, fewer than n_mixture_components "
                f"({self.n_mixture_components}); use fewer components or more samples"
            )
        self.warnings_: list[str] = []
        self.n_features_in_ = z.shape[1]
        self.n_classes_ = y.shape[1]
        random_state = check_random_state(self.random_state)

        self.pca_ = fit_pca(z, self.n_pca_components, random_state)
        reduced = project(self.pca_, z)
        # Centring keeps the expanded squared distances in the E-step accurate in float32.
        self.center_ = reduced.mean(axis=0)
        data = prepare_data(reduced - self.center_, y, y_hat, self.covariance_type, np.dtype(self.dtype))
        init_resp = initial_responsibilities(
            self.init_params,
            data.z,
            y,
            y_hat,
            n_components=self.n_mixture_components,
            random_state=random_state,
        )
        result = run_em(
            data,
            init_resp,
            gamma=self.y_log_likelihood_weight,
            gamma_hat=self.y_hat_log_likelihood_weight,
            max_iter=self.max_iter,
            tol=self.tol,
            reg_covar=self.reg_covar,
            n_threads=self._n_threads(),
            progress=self.verbose,
        )
        params = result.parameters
        self.weights_ = params.weights
        self.means_ = params.means + self.center_
        self.covariances_ = params.covariances
        self.y_probs_ = params.y_probs
        self.y_hat_probs_ = params.y_hat_probs
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.lower_bound_ = result.lower_bound

        reasons = degenerate_reasons(y, misclassified(y, y_hat))
        for reason in reasons:
            record_warning(self.warnings_, f"DominoSlicer: {reason}")
        self.slice_indices_ = (
            np.empty(0, dtype=np.int64) if reasons else self._rank_components()[: self.n_slices]
        )
        self.n_slices_ = len(self.slice_indices_)
        logger.info(
            "DominoSlicer: %d samples, %d components, EM %s after %d iterations; %d slices",
            n_samples,
            self.n_mixture_components,
            "converged" if self.converged_ else "stopped",
            self.n_iter_,
            self.n_slices_,
        )
        return self

    def _rank_components(self) -> np.ndarray:
        # Max over classes first, absolute value after, as in the reference (docs/reference.md §2).
        error_alignment = np.abs((self.y_hat_probs_ - self.y_probs_).max(axis=1))
        return np.argsort(-error_alignment, kind="stable").astype(np.int64)

    def predict_proba(
        self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray
    ) -> np.ndarray:
        """Posterior probability of each slice's component, (n, n_slices_), not renormalised.

        Targets and predictions are needed because the posterior depends on them.
        """
        check_is_fitted(self, "slice_indices_")
        z = check_fitted_embeddings(embeddings, self.n_features_in_)
        y, y_hat = labels_and_predictions(targets, pred_probs, z.shape[0])
        if y.shape[1] != self.n_classes_:
            raise ValueError(
                f"pred_probs implies {y.shape[1]} classes but the slicer was fitted on {self.n_classes_}"
            )
        if self.n_slices_ == 0:
            return np.zeros((z.shape[0], 0))
        data = prepare_data(
            project(self.pca_, z) - self.center_,
            y,
            y_hat,
            self.covariance_type,
            np.dtype(self.dtype),
        )
        resp = responsibilities(
            data,
            self._centred_parameters(),
            self.y_log_likelihood_weight,
            self.y_hat_log_likelihood_weight,
            n_threads=self._n_threads(),
        )
        return resp[:, self.slice_indices_].astype(np.float64)

    def _centred_parameters(self) -> MixtureParameters:
        return MixtureParameters(
            weights=self.weights_,
            means=self.means_ - self.center_,
            covariances=self.covariances_,
            y_probs=self.y_probs_,
            y_hat_probs=self.y_hat_probs_,
        )

    def predict(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
        """0/1 int membership (n, n_slices_): probability above 0.5 (:func:`~medslice.slicing.base.members`).

        A sample may belong to no slice; Domino's reference code would give it its arg-max slice.
        """
        return members(self.predict_proba(embeddings, targets, pred_probs))
