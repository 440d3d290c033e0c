"""DominoSlicer: slice discovery with an error-aware Gaussian mixture (Eyuboglu et al., ICLR 2022)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from medslice.errors import BadValueError
from medslice.slicing.base import degenerate_reasons, members, record_warning
from medslice.slicing.error_aware_mixture import (
    EMResult,
    MixtureData,
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
    n_slices : int, default=5
        Number of slices to report (at most ``n_mixture_components``).
    n_mixture_components : int, default=20
        Number of mixture components K.
    y_log_likelihood_weight : float, default=10.0
        gamma, the weight of the target log-likelihood.
    y_hat_log_likelihood_weight : float, default=10.0
        gamma_hat, the weight of the prediction log-likelihood.
    init_params : {"kmeans", "confusion", "random"} or ndarray of shape (n_samples, K), default="kmeans"
        ``"kmeans"`` (one-hot k-means labels), ``"confusion"`` (confusion-matrix cells, needs
        K >= C**2), ``"random"``, or an explicit array of initial responsibilities.
    n_init : int, default=1
        Number of initialisations to run EM from; the fit with the largest ``lower_bound_`` is kept (the
        first on ties), as in :class:`sklearn.mixture.GaussianMixture`. Every start draws its
        initialisation from the one ``random_state`` in turn, so ``n_init=1`` is the single fit and a
        larger ``n_init`` adds starts after it. An explicit ``init_params`` array is the same start every
        time, so EM then runs once whatever ``n_init``.
    covariance_type : {"diag", "full"}, default="diag"
        ``"diag"`` is fast; ``"full"`` estimates every covariance.
    n_pca_components : int or None, default=128
        Reduce embeddings with PCA, fitted on the fit data, to this many dimensions first; ``None`` or a
        value >= the embedding width skips the reduction.
    max_iter : int, default=100
        EM iterations per initialisation at most.
    tol : float, default=1e-3
        EM stops when the mean log-normaliser changes by less than ``tol``.
    reg_covar : float, default=1e-6
        Added to the covariance diagonals; must be > 0.
    dtype : {"float64", "float32"}, default="float64"
        ``"float64"`` (exact) or ``"float32"`` (about twice as fast on large sets) for the EM's large
        arrays; parameters are always computed in float64.
    n_jobs : int or None, default=None
        Threads for the EM's row blocks (``None``: every available core). Results do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisations; the same seed and inputs give identical results.
    verbose : bool, default=False
        Show a progress bar over EM iterations.

    Attributes
    ----------
    weights_ : ndarray of shape (K,)
        Mixing proportions of all K components.
    means_ : ndarray of shape (K, d')
        Component means in the (PCA-reduced) embedding space of width d'.
    covariances_ : ndarray of shape (K, d') or (K, d', d')
        Component covariances, diagonal or full after ``covariance_type``.
    y_probs_ : ndarray of shape (K, C)
        Each component's distribution of the targets.
    y_hat_probs_ : ndarray of shape (K, C)
        Each component's distribution of the predictions.
    slice_indices_ : ndarray of shape (n_slices_,)
        Indices of the components reported as slices, most error-aligned first (empty when the data
        have nothing to slice).
    n_slices_ : int
        ``len(slice_indices_)``: the number of columns ``predict_proba`` returns.
    n_iter_ : int
        EM iterations run by the kept initialisation.
    converged_ : bool
        Whether the kept initialisation met ``tol`` within ``max_iter`` iterations.
    lower_bound_ : float
        The kept initialisation's last mean log-normaliser, the largest of ``init_lower_bounds_``.
    init_lower_bounds_ : ndarray of shape (n_starts,)
        The last mean log-normaliser of every initialisation, in the order they were drawn; ``n_starts``
        is ``n_init``, or 1 for an explicit ``init_params`` array.
    best_init_ : int
        Index into ``init_lower_bounds_`` of the kept initialisation.
    pca_ : sklearn.decomposition.PCA or None
        The fitted PCA, or ``None`` when no reduction was made.
    center_ : ndarray of shape (d',)
        Mean of the reduced fit embeddings; EM runs on centred data.
    n_features_in_ : int
        Embedding width seen in ``fit``.
    n_classes_ : int
        Number of classes C.
    warnings_ : list of str
        What went wrong in the fit, each also emitted as a warning. When the data have nothing to slice
        (no misclassified case, a single class in targets) the mixture is still fitted, a
        :class:`SliceDiscoveryWarning` is emitted and ``predict_proba`` / ``predict`` return ``(n, 0)``
        arrays. When the kept initialisation did not converge, a
        :class:`sklearn.exceptions.ConvergenceWarning` is emitted and its slices are still reported.

    See Also
    --------
    ErrorClusterSlicer : A Gaussian mixture over the misclassified cases only.
    SpotlightSlicer : Successive Gaussian spotlights on high-loss regions.
    medslice.slicing.rules.RuleSlicer : SliceLine rules over metadata columns.
    sklearn.mixture.GaussianMixture : The plain Gaussian mixture whose ``n_init`` semantics this follows.

    Notes
    -----
    The EM and the ranking follow the reference implementation (Eyuboglu et al., ICLR 2022); an
    independent numpy version agrees with it to 1e-12 in every parameter. ``n_init`` does not steady the
    audit's precision@10 (docs/decisions/0038-domino-n-init.md), so the audit keeps one start. The fit
    runs its row blocks on ``n_jobs`` threads; results do not depend on the thread count.

    Examples
    --------
    >>> import numpy as np
    >>> from medslice.slicing import DominoSlicer
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(300, 4))
    >>> targets = rng.integers(0, 2, 300)
    >>> preds = targets.copy()
    >>> planted = embeddings[:, 0] > 1.2  # one region of embedding space where the classifier fails
    >>> preds[planted] = 1 - targets[planted]
    >>> slicer = DominoSlicer(n_slices=2, n_mixture_components=6, n_init=3, n_pca_components=None,
    ...                       random_state=0).fit(embeddings, targets, preds)
    >>> slicer.predict_proba(embeddings, targets, preds).shape
    (300, 2)
    >>> len(slicer.init_lower_bounds_), bool(slicer.lower_bound_ == slicer.init_lower_bounds_.max())
    (3, True)
    """

    def __init__(
        self,
        n_slices: int = 5,
        *,
        n_mixture_components: int = 20,
        y_log_likelihood_weight: float = 10.0,
        y_hat_log_likelihood_weight: float = 10.0,
        init_params: str | np.ndarray = "kmeans",
        n_init: int = 1,
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
        self.n_init = n_init
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
            raise BadValueError(
                f"n_slices ({self.n_slices}) cannot exceed n_mixture_components ({n_components})"
            )
        check_non_negative_float(self.y_log_likelihood_weight, "y_log_likelihood_weight")
        check_non_negative_float(self.y_hat_log_likelihood_weight, "y_hat_log_likelihood_weight")
        if isinstance(self.init_params, str):
            check_choice(self.init_params, "init_params", INIT_METHODS)
        check_positive_int(self.n_init, "n_init")
        check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        if self.n_pca_components is not None:
            check_positive_int(self.n_pca_components, "n_pca_components")
        check_positive_int(self.max_iter, "max_iter")
        check_non_negative_float(self.tol, "tol")
        if check_non_negative_float(self.reg_covar, "reg_covar") == 0.0:
            raise BadValueError("reg_covar must be > 0 to keep covariances invertible; got 0")
        check_choice(self.dtype, "dtype", DTYPES)
        if self.n_jobs is not None:
            check_positive_int(self.n_jobs, "n_jobs")

    def _n_threads(self) -> int:
        return available_cores() if self.n_jobs is None else self.n_jobs

    def fit(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> DominoSlicer:
        """Fit the mixture to an audit set and choose the slices.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features)
            The audit set's embeddings; ``n_samples`` must be at least ``n_mixture_components``.
        targets : array-like of shape (n_samples,) or (n_samples, C)
            Integer class labels or one-hot targets.
        pred_probs : array-like of shape (n_samples,) or (n_samples, C)
            The classifier's probability of class 1 (or hard 0/1 prediction) for binary tasks, or soft or
            hard predictions per class.

        Returns
        -------
        self : DominoSlicer
            The fitted slicer.
        """
        self._check_params()
        z = check_embeddings(embeddings)
        n_samples = z.shape[0]
        y, y_hat = labels_and_predictions(targets, pred_probs, n_samples)
        if n_samples < self.n_mixture_components:
            raise BadValueError(
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
        result = self._fit_best_init(data, y, y_hat, random_state)
        params = result.parameters
        self.weights_ = params.weights
        self.means_ = params.means + self.center_
        self.covariances_ = params.covariances
        self.y_probs_ = params.y_probs
        self.y_hat_probs_ = params.y_hat_probs
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.lower_bound_ = result.lower_bound
        if not self.converged_:
            self._record_convergence_warning()

        reasons = degenerate_reasons(y, misclassified(y, y_hat))
        for reason in reasons:
            record_warning(self.warnings_, f"DominoSlicer: {reason}")
        self.slice_indices_ = (
            np.empty(0, dtype=np.int64) if reasons else self._rank_components()[: self.n_slices]
        )
        self.n_slices_ = len(self.slice_indices_)
        # DEBUG: an audit fits Domino once per cell and bootstrap (1,050 times in the demo), and one INFO line
        # per fit made up nearly a third of the run's log. Non-convergence still reaches it through warnings_.
        logger.debug(
            "DominoSlicer: %d samples, %d components, best of %d starts %s after %d EM iterations; %d slices",
            n_samples,
            self.n_mixture_components,
            len(self.init_lower_bounds_),
            "converged" if self.converged_ else "stopped",
            self.n_iter_,
            self.n_slices_,
        )
        return self

    def _fit_best_init(
        self, data: MixtureData, y: np.ndarray, y_hat: np.ndarray, random_state: np.random.RandomState
    ) -> EMResult:
        """Run EM from ``n_init`` initialisations and return the one with the largest lower bound.

        Sets ``init_lower_bounds_`` and ``best_init_``. The starts draw from ``random_state`` one after
        the other, so the first start is exactly the ``n_init=1`` fit.
        """
        # A given array is the same start every time: more runs would repeat the first one bit for bit.
        n_starts = self.n_init if isinstance(self.init_params, str) else 1
        results = []
        for _ in range(n_starts):
            init_resp = initial_responsibilities(
                self.init_params,
                data.z,
                y,
                y_hat,
                n_components=self.n_mixture_components,
                random_state=random_state,
            )
            results.append(
                run_em(
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
            )
        self.init_lower_bounds_ = np.array([result.lower_bound for result in results])
        self.best_init_ = 0
        for start, result in enumerate(results):
            # Strictly larger, as scikit-learn's mixtures compare: a tie keeps the earlier start.
            if result.lower_bound > results[self.best_init_].lower_bound:
                self.best_init_ = start
        return results[self.best_init_]

    def _record_convergence_warning(self) -> None:
        """Record and emit a ConvergenceWarning: the kept start stopped at ``max_iter``."""
        starts = len(self.init_lower_bounds_)
        which = "the initialisation" if starts == 1 else f"the best of {starts} initialisations"
        message = (
            f"DominoSlicer: EM from {which} did not converge within max_iter={self.max_iter} iterations "
            f"(tol={self.tol:g}); its slices are still reported. Increase max_iter or tol, or n_init"
        )
        self.warnings_.append(message)
        # The one exception to record_warning's category: non-convergence is not a degenerate input,
        # and callers filter it as scikit-learn's (sklearn.exceptions.ConvergenceWarning).
        warnings.warn(message, ConvergenceWarning, stacklevel=3)

    def _rank_components(self) -> np.ndarray:
        # Max over classes first, absolute value after, as in the reference (docs/reference.md §2).
        error_alignment = np.abs((self.y_hat_probs_ - self.y_probs_).max(axis=1))
        return np.argsort(-error_alignment, kind="stable").astype(np.int64)

    def predict_proba(
        self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray
    ) -> np.ndarray:
        """Posterior probability of each slice's component, not renormalised over the slices.

        Targets and predictions are needed because the posterior depends on them.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features_in_)
            Embeddings of the samples to assign.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes_)
            Integer class labels or one-hot targets.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes_)
            The classifier's predictions, in the form given to ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_slices_)
            Each sample's responsibility under each slice's component.
        """
        check_is_fitted(self, "slice_indices_")
        z = check_fitted_embeddings(embeddings, self.n_features_in_)
        y, y_hat = labels_and_predictions(targets, pred_probs, z.shape[0])
        if y.shape[1] != self.n_classes_:
            raise BadValueError(
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
        """0/1 membership of each sample in each slice: probability above 0.5.

        A sample may belong to no slice (:func:`~medslice.slicing.base.members`); Domino's reference code
        would give it its arg-max slice.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features_in_)
            Embeddings of the samples to assign.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes_)
            Integer class labels or one-hot targets.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes_)
            The classifier's predictions, in the form given to ``fit``.

        Returns
        -------
        membership : ndarray of shape (n_samples, n_slices_), dtype int64
            1 where ``predict_proba`` exceeds 0.5, else 0.
        """
        return members(self.predict_proba(embeddings, targets, pred_probs))
