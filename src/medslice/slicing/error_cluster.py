"""ErrorClusterSlicer: the simplest error-slice baseline, a Gaussian mixture over the misclassified cases."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from medslice.errors import BadValueError
from medslice.slicing.base import degenerate_reasons, members, record_warning
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

COVARIANCE_TYPES: tuple[str, ...] = ("diag", "full", "spherical", "tied")
# GaussianMixture cannot be fitted on a single sample.
MIN_ERRORS = 2


class ErrorClusterSlicer(BaseEstimator):
    """Cluster the misclassified cases and report the clusters that hold the most error.

    A case is misclassified when its predicted class (``p >= 0.5`` for binary, arg-max otherwise) differs
    from its target. A :class:`~sklearn.mixture.GaussianMixture` is fitted on the misclassified cases'
    (optionally PCA-reduced) embeddings only. Every fit sample is then given its responsibility under that
    mixture; a cluster's *size* is its summed responsibility over all samples, its *error rate* the
    responsibility-weighted share of misclassified samples, and clusters are ranked by
    ``size x error rate``.

    Parameters
    ----------
    n_slices : int, default=5
        Number of clusters to report as slices.
    n_components : int or None, default=None
        Number of mixture components; ``None`` uses ``n_slices``. Must be >= ``n_slices``, and is capped
        at the number of misclassified cases (with a recorded warning).
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
        Covariance type of the :class:`~sklearn.mixture.GaussianMixture`.
    n_pca_components : int or None, default=128
        Reduce the embeddings with PCA, fitted on all fit samples, to this many dimensions before
        clustering; ``None`` or a value >= the embedding width skips the reduction.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the covariance diagonals, passed to the mixture.
    random_state : int, RandomState instance or None, default=None
        Seed of the PCA and of the mixture's k-means initialisation; the same seed and inputs give
        identical results.

    Attributes
    ----------
    mixture_ : sklearn.mixture.GaussianMixture or None
        The mixture fitted on the misclassified cases; ``None`` when there is nothing to slice (no
        misclassified case, fewer than two of them, or a single class in the targets).
    slice_indices_ : ndarray of shape (n_slices_,)
        Indices of the mixture components reported as slices, highest ``cluster_scores_`` first.
    n_slices_ : int
        ``len(slice_indices_)``: the number of columns ``predict_proba`` returns. Below ``n_slices``
        when there are few errors, and 0 when there is nothing to slice.
    cluster_sizes_ : ndarray of shape (n_components_fitted,)
        Each mixture component's summed responsibility over all fit samples (empty without a mixture).
    cluster_error_rates_ : ndarray of shape (n_components_fitted,)
        Each component's responsibility-weighted share of misclassified fit samples.
    cluster_scores_ : ndarray of shape (n_components_fitted,)
        ``cluster_sizes_ * cluster_error_rates_``, the ranking score.
    pca_ : sklearn.decomposition.PCA or None
        The fitted PCA, or ``None`` when no reduction was made.
    n_features_in_ : int
        Embedding width seen in ``fit``.
    warnings_ : list of str
        Why fewer slices than asked were reported, each also emitted as a
        :class:`~medslice.slicing.SliceDiscoveryWarning`.

    See Also
    --------
    DominoSlicer : The error-aware mixture over all cases; the audit's main slicer.
    SpotlightSlicer : Successive Gaussian spotlights on high-loss regions.
    medslice.slicing.rules.RuleSlicer : SliceLine rules over metadata columns.
    sklearn.mixture.GaussianMixture : The mixture fitted on the misclassified cases.

    Notes
    -----
    This is the simplest error-slice baseline: it sees only where the errors lie, not where the correct
    cases lie, so a cluster's error rate is measured after the fit from the responsibilities of every
    sample. Membership in ``predict_proba`` depends on the embeddings alone.

    Examples
    --------
    >>> import numpy as np
    >>> from medslice.slicing import ErrorClusterSlicer
    >>> rng = np.random.default_rng(0)
    >>> embeddings = rng.normal(size=(200, 4))
    >>> targets = rng.integers(0, 2, 200)
    >>> preds = targets.copy()
    >>> planted = embeddings[:, 0] > 1.2  # one region of embedding space where the classifier fails
    >>> preds[planted] = 1 - targets[planted]
    >>> slicer = ErrorClusterSlicer(n_slices=2, n_pca_components=None, random_state=0)
    >>> slicer = slicer.fit(embeddings, targets, preds)
    >>> slicer.n_slices_, slicer.predict_proba(embeddings).shape
    (2, (200, 2))
    >>> bool(np.allclose(slicer.cluster_scores_, slicer.cluster_sizes_ * slicer.cluster_error_rates_))
    True
    """

    def __init__(
        self,
        n_slices: int = 5,
        *,
        n_components: int | None = None,
        covariance_type: str = "diag",
        n_pca_components: int | None = 128,
        reg_covar: float = 1e-6,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_slices = n_slices
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.n_pca_components = n_pca_components
        self.reg_covar = reg_covar
        self.random_state = random_state

    def _check_params(self) -> int:
        n_slices = check_positive_int(self.n_slices, "n_slices")
        n_components = n_slices
        if self.n_components is not None:
            n_components = check_positive_int(self.n_components, "n_components")
            if n_components < n_slices:
                raise BadValueError(f"n_components ({n_components}) must be >= n_slices ({n_slices})")
        check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        if self.n_pca_components is not None:
            check_positive_int(self.n_pca_components, "n_pca_components")
        check_non_negative_float(self.reg_covar, "reg_covar")
        return n_components

    def fit(self, embeddings: np.ndarray, targets: np.ndarray, pred_probs: np.ndarray) -> ErrorClusterSlicer:
        """Cluster the misclassified cases and rank the clusters.

        Parameters
        ----------
        embeddings : array-like of shape (n_samples, n_features)
            The audit set's embeddings.
        targets : array-like of shape (n_samples,) or (n_samples, n_classes)
            Integer class labels or one-hot targets.
        pred_probs : array-like of shape (n_samples,) or (n_samples, n_classes)
            The classifier's probability of class 1 (or hard 0/1 prediction) for binary tasks, or soft or
            hard predictions per class.

        Returns
        -------
        self : ErrorClusterSlicer
            The fitted slicer.
        """
        n_components = self._check_params()
        z = check_embeddings(embeddings)
        y, y_hat = labels_and_predictions(targets, pred_probs, z.shape[0])
        random_state = check_random_state(self.random_state)
        self.warnings_: list[str] = []
        self.n_features_in_ = z.shape[1]
        self.pca_ = fit_pca(z, self.n_pca_components, random_state)
        reduced = project(self.pca_, z)
        errors = misclassified(y, y_hat)
        n_errors = int(errors.sum())

        self.mixture_ = None
        self.slice_indices_ = np.empty(0, dtype=np.int64)
        self.cluster_sizes_ = self.cluster_error_rates_ = self.cluster_scores_ = np.empty(0)
        reasons = degenerate_reasons(y, errors)
        for reason in reasons:
            record_warning(self.warnings_, f"ErrorClusterSlicer: {reason}")
        if not reasons and n_errors < MIN_ERRORS:
            record_warning(
                self.warnings_,
                f"ErrorClusterSlicer: only {n_errors} misclassified case; a mixture needs at least "
                f"{MIN_ERRORS}, so no slices are reported",
            )
        elif not reasons:
            if n_errors < n_components:
                record_warning(
                    self.warnings_,
                    f"ErrorClusterSlicer: only {n_errors} misclassified cases for {n_components} "
                    f"components; fitting {n_errors} components",
                )
                n_components = n_errors
            self._fit_mixture(reduced, errors, n_components, random_state)
        self.n_slices_ = len(self.slice_indices_)
        return self

    def _fit_mixture(
        self,
        reduced: np.ndarray,
        errors: np.ndarray,
        n_components: int,
        random_state: np.random.RandomState,
    ) -> None:
        self.mixture_ = GaussianMixture(
            n_components=n_components,
            covariance_type=self.covariance_type,
            reg_covar=self.reg_covar,
            random_state=random_state,
        ).fit(reduced[errors])
        resp = self.mixture_.predict_proba(reduced)
        self.cluster_sizes_ = resp.sum(axis=0)
        error_mass = resp[errors].sum(axis=0)
        self.cluster_error_rates_ = error_mass / np.maximum(self.cluster_sizes_, 1e-12)
        self.cluster_scores_ = self.cluster_sizes_ * self.cluster_error_rates_
        ranking = np.argsort(-self.cluster_scores_, kind="stable")
        self.slice_indices_ = ranking[: self.n_slices].astype(np.int64)

    def predict_proba(
        self,
        embeddings: np.ndarray,
        targets: np.ndarray | None = None,
        pred_probs: np.ndarray | None = None,
    ) -> np.ndarray:
        """Responsibility of each reported cluster for each sample.

        Membership depends on the embeddings only; ``targets`` and ``pred_probs`` are accepted for the
        common slicer interface and validated when given.

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
        proba : ndarray of shape (n_samples, n_slices_)
            The mixture's responsibility of each reported cluster, not renormalised over the slices.
        """
        check_is_fitted(self, "slice_indices_")
        z = membership_embeddings(embeddings, self.n_features_in_, targets, pred_probs)
        if self.mixture_ is None:
            return np.zeros((z.shape[0], 0))
        return self.mixture_.predict_proba(project(self.pca_, z))[:, self.slice_indices_]

    def predict(
        self,
        embeddings: np.ndarray,
        targets: np.ndarray | None = None,
        pred_probs: np.ndarray | None = None,
    ) -> np.ndarray:
        """0/1 membership of each sample in each slice: responsibility above 0.5.

        A sample may belong to no slice (:func:`~medslice.slicing.base.members`); Domino's reference code
        would give it its arg-max slice.

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
            1 where ``predict_proba`` exceeds 0.5, else 0.
        """
        return members(self.predict_proba(embeddings, targets, pred_probs))
