"""Contrastive TF-IDF tokens: the paper's slice explanation (docs/reference.md §1, step 4)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer

from medslice.errors import BadTypeError, BadValueError, NotFittedError
from medslice.explain._masks import as_labels, as_mask, check_top_k, is_missing, modal_label
from medslice.predictions import hard_predictions

CONTRAST_COLUMNS: tuple[str, ...] = ("token", "score", "slice_mean", "reference_mean")
# Tokens of two or more letters, as in the paper.
DEFAULT_TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"


def _clean_texts(texts: Iterable[object], name: str) -> list[str]:
    """Turn missing entries (None, NaN) into empty strings and reject anything that is not text."""
    cleaned: list[str] = []
    for index, text in enumerate(texts):
        if is_missing(text):
            cleaned.append("")
        elif isinstance(text, str):
            cleaned.append(text)
        else:
            raise BadTypeError(f"{name}[{index}] is {type(text).__name__}, expected a string.")
    return cleaned


def concatenate_texts(*sources: Sequence[object], separator: str = " ") -> list[str]:
    """Join per-case text sources (e.g. report and metadata sentence) into one text per case.

    Missing entries count as empty text: a case without a report keeps its metadata sentence.
    """
    if not sources:
        raise BadValueError("concatenate_texts needs at least one text source.")
    cleaned = [_clean_texts(source, f"sources[{i}]") for i, source in enumerate(sources)]
    lengths = {len(source) for source in cleaned}
    if len(lengths) != 1:
        raise BadValueError(f"All text sources must have the same length, got lengths {sorted(lengths)}.")
    return [separator.join(part for part in parts if part) for parts in zip(*cleaned, strict=True)]


def reference_mask(
    targets: ArrayLike, preds: ArrayLike, slice_mask: ArrayLike, exclude_slice: bool = False
) -> np.ndarray:
    """Return the paper's reference group: the correct samples of the slice's majority class.

    The majority class is the modal *true* class among slice members (ties go to the smaller label).
    ``slice_mask`` may be a boolean mask or membership probabilities (members: probability > 0.5);
    ``preds`` may be labels or probabilities of class 1 (read as ``p >= 0.5``).
    With ``exclude_slice=True`` the slice's own members are removed from the reference.
    """
    targets_array = as_labels(targets, "targets")
    n_samples = targets_array.shape[0]
    preds_array = hard_predictions(preds, "preds", n_samples)
    members = as_mask(slice_mask, "slice_mask", n_samples)
    if not members.any():
        raise BadValueError("slice_mask selects no samples, so the slice has no majority class.")
    majority = modal_label(targets_array[members])
    mask = (targets_array == majority) & (preds_array == targets_array)
    if exclude_slice:
        mask &= ~members
    return mask


class TfidfContrastExplainer(BaseEstimator):
    """Explain a slice by the TF-IDF tokens whose mean weight differs most from a reference group.

    Scores each token by ``|mean TF-IDF(slice) - mean TF-IDF(reference)|`` and keeps the ``top_k``
    highest. The defaults are the paper's: n-grams 1-4, English stop words, at most 1000 features,
    tokens of two or more letters.

    Fit on one text per case. To use report and metadata text together, either fit on
    :func:`concatenate_texts` of both, or fit one explainer per source
    (see :func:`contrast_by_source`).

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer
        The fitted :class:`~sklearn.feature_extraction.text.TfidfVectorizer`.
    vocabulary_ : np.ndarray
        The feature names, in column order of the TF-IDF matrix.
    matrix_ : sparse.spmatrix
        The TF-IDF matrix of the texts given to ``fit`` (sparse, n_samples x n_features).
    """

    def __init__(
        self,
        top_k: int = 5,
        ngram_range: tuple[int, int] = (1, 4),
        max_features: int | None = 1000,
        stop_words: str | list[str] | None = "english",
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
    ) -> None:
        self.top_k = top_k
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.stop_words = stop_words
        self.token_pattern = token_pattern

    def fit(self, texts: Sequence[object]) -> TfidfContrastExplainer:
        """Fit the TF-IDF vocabulary and weights on one text per case; returns self."""
        if isinstance(texts, str):
            raise BadTypeError("texts must be a sequence of strings, not a single string.")
        check_top_k(self.top_k)
        cleaned = _clean_texts(texts, "texts")
        if not cleaned:
            raise BadValueError("texts is empty.")
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=self.ngram_range,
            max_features=self.max_features,
            stop_words=self.stop_words,
            token_pattern=self.token_pattern,
        )
        try:
            self.matrix_ = self.vectorizer_.fit_transform(cleaned)
        except ValueError as error:
            raise BadValueError(f"TF-IDF could not be fitted on texts: {error}") from error
        self.vocabulary_ = self.vectorizer_.get_feature_names_out()
        return self

    def transform(self, texts: Sequence[object]) -> sparse.csr_matrix:
        """Return the TF-IDF matrix of new texts under the fitted vocabulary."""
        self._check_fitted()
        return self.vectorizer_.transform(_clean_texts(texts, "texts"))

    def explain(
        self,
        texts_or_matrix: Sequence[object] | sparse.spmatrix | np.ndarray | None,
        slice_mask: ArrayLike,
        reference_mask: ArrayLike,
    ) -> pd.DataFrame:
        """Rank tokens by the absolute difference of mean TF-IDF between slice and reference.

        Parameters
        ----------
        texts_or_matrix : Sequence[object] or sparse.spmatrix or np.ndarray or None
            Texts (transformed with the fitted vocabulary), a TF-IDF matrix, or
            None to reuse the matrix of the texts given to ``fit``.
        slice_mask : ArrayLike
            Slice members, as a boolean mask or membership probabilities (> 0.5).
        reference_mask : ArrayLike
            The reference group, e.g. from :func:`reference_mask`.

        Returns
        -------
        pd.DataFrame
            DataFrame with columns ``token, score, slice_mean, reference_mean``: the ``top_k``
            tokens by score, highest first, ties broken alphabetically.
        """
        tokens, score, slice_mean, reference_mean = self.contrast(texts_or_matrix, slice_mask, reference_mask)
        return pd.DataFrame(
            {
                "token": tokens,
                "score": score,
                "slice_mean": slice_mean,
                "reference_mean": reference_mean,
            },
            columns=list(CONTRAST_COLUMNS),
        )

    def contrast(
        self,
        texts_or_matrix: Sequence[object] | sparse.spmatrix | np.ndarray | None,
        slice_mask: ArrayLike,
        reference_mask: ArrayLike,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`explain`'s columns as arrays (``token`` as str), without building a DataFrame."""
        self._check_fitted()
        matrix = self._as_matrix(texts_or_matrix)
        n_samples = matrix.shape[0]
        members = as_mask(slice_mask, "slice_mask", n_samples)
        reference = as_mask(reference_mask, "reference_mask", n_samples)
        if not members.any():
            raise BadValueError("slice_mask selects no samples.")
        slice_mean = np.asarray(matrix[members].mean(axis=0)).ravel()
        if reference.any():
            reference_mean = np.asarray(matrix[reference].mean(axis=0)).ravel()
        else:
            # An empty reference (e.g. nothing of the majority class was classified correctly) still
            # lets the slice be described by its own most typical tokens; say so rather than fail.
            warnings.warn(
                "reference_mask selects no samples; scoring tokens against a zero reference.",
                stacklevel=3,
            )
            reference_mean = np.zeros_like(slice_mean)
        score = np.abs(slice_mean - reference_mean)
        # A token weighing the same in slice and reference says nothing; ranking zeros would list the
        # vocabulary alphabetically (a slice that is its own reference group has only zeros).
        order = np.lexsort((self._vocabulary_rank(), -score))[: self.top_k]
        order = order[score[order] > 0]
        return self.vocabulary_[order].astype(str), score[order], slice_mean[order], reference_mean[order]

    def _vocabulary_rank(self) -> np.ndarray:
        """Each token's position in the sorted vocabulary: ties in score go to the earlier token.

        Sorting by these integers orders exactly as sorting by the token strings, and is computed once
        per fit rather than comparing strings for every slice.
        """
        cached = getattr(self, "_vocabulary_ranks", None)
        if cached is None or cached[0] is not self.vocabulary_:
            ranks = np.empty(len(self.vocabulary_), dtype=np.int64)
            ranks[np.argsort(self.vocabulary_, kind="stable")] = np.arange(len(self.vocabulary_))
            cached = (self.vocabulary_, ranks)
            self._vocabulary_ranks = cached
        return cached[1]

    def _as_matrix(
        self, texts_or_matrix: Sequence[object] | sparse.spmatrix | np.ndarray | None
    ) -> sparse.csr_matrix:
        """Accept texts, a dense or sparse TF-IDF matrix, or None (the fitted texts)."""
        if texts_or_matrix is None:
            return self.matrix_
        is_dense_matrix = isinstance(texts_or_matrix, np.ndarray) and texts_or_matrix.ndim == 2
        if sparse.issparse(texts_or_matrix) or is_dense_matrix:
            matrix = sparse.csr_matrix(texts_or_matrix)
        else:
            return self.transform(texts_or_matrix)
        if matrix.shape[1] != len(self.vocabulary_):
            raise BadValueError(
                f"texts_or_matrix has {matrix.shape[1]} columns, "
                f"the fitted vocabulary has {len(self.vocabulary_)}."
            )
        return matrix

    def _check_fitted(self) -> None:
        if not hasattr(self, "vectorizer_"):
            raise NotFittedError("TfidfContrastExplainer is not fitted; call fit(texts) first.")


def contrast_by_source(
    sources: Mapping[str, Sequence[object]],
    slice_mask: ArrayLike,
    reference_mask: ArrayLike,
    **explainer_params: object,
) -> pd.DataFrame:
    """Run one :class:`TfidfContrastExplainer` per text source (e.g. report, metadata); stack them.

    Returns the columns ``source, token, score, slice_mean, reference_mean``: each source's
    ``top_k`` tokens, in source order.
    """
    if not sources:
        raise BadValueError("sources is empty; give at least one named text source.")
    frames = []
    for source, texts in sources.items():
        explainer = TfidfContrastExplainer(**explainer_params).fit(texts)  # type: ignore[arg-type]
        frame = explainer.explain(None, slice_mask, reference_mask)
        frame.insert(0, "source", source)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
