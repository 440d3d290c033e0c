"""Domino's ``describe`` in a shared image-text space.

Candidate phrases are ranked by their alignment with the direction from a reference group to the
slice (docs/reference.md §2, "Explanation").
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from medslice.errors import BadTypeError, BadValueError, NotFittedError
from medslice.explain._masks import as_labels, check_top_k, modal_label
from medslice.explain.phrase_mining import METADATA_PHRASES, mine_phrases

PHRASE_COLUMNS: tuple[str, ...] = ("phrase", "score")
# Below this norm (relative to the prototype's) the slice-minus-reference direction is rounding noise.
DEGENERATE_DIRECTION = 1e-9


@runtime_checkable
class TextEncoder(Protocol):
    """Anything that embeds texts into the shared space as L2-normalised rows."""

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``."""
        ...


class PhraseRankingExplainer(BaseEstimator):
    """Describe a slice with the phrases whose embedding points from the reference to the slice.

    ``fit(corpus)`` mines candidate phrases from a report corpus (frequent 1-4-grams, RAKE-style
    content chunks, negated findings; see :mod:`medslice.explain.phrase_mining`), adds the metadata
    templates and any ``extra_phrases``, and embeds them once with ``text_encoder``.

    Attributes
    ----------
    candidates_ : list[str]
        The candidate phrases, in embedding-row order.
    candidate_embeddings_ : np.ndarray
        Their embeddings, shape ``(n_candidates, dim)``.
    """

    def __init__(
        self,
        text_encoder: TextEncoder | None,
        top_k: int = 5,
        *,
        ngram_range: tuple[int, int] = (1, 4),
        min_df: int = 2,
        max_candidates: int | None = 2000,
        include_metadata_phrases: bool = True,
        extra_phrases: Sequence[str] | None = None,
    ) -> None:
        self.text_encoder = text_encoder
        self.top_k = top_k
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_candidates = max_candidates
        self.include_metadata_phrases = include_metadata_phrases
        self.extra_phrases = extra_phrases

    @classmethod
    def from_candidates(
        cls, candidates: Sequence[str], candidate_embeddings: ArrayLike, top_k: int = 5
    ) -> PhraseRankingExplainer:
        """A fitted explainer over an already embedded phrase bank (embed once, explain many slices).

        It has no ``text_encoder`` (None), so it cannot be refitted on a corpus.
        """
        check_top_k(top_k)
        embeddings = np.asarray(candidate_embeddings, dtype=np.float64)
        if embeddings.ndim != 2 or embeddings.shape[0] != len(candidates):
            raise BadValueError(
                f"candidate_embeddings has shape {embeddings.shape}; expected ({len(candidates)}, dim)."
            )
        if not np.isfinite(embeddings).all():
            raise BadValueError("candidate_embeddings contains NaN or infinite values.")
        counts = Counter(candidates)
        repeated = sorted({str(p) for p in candidates if counts[p] > 1})
        if repeated:
            raise BadValueError(
                f"candidates repeat phrase(s) {repeated[:5]}; each phrase must be embedded once."
            )
        explainer = cls(text_encoder=None, top_k=top_k)
        explainer.candidates_ = list(candidates)
        explainer.candidate_embeddings_ = embeddings
        return explainer

    def fit(self, corpus: Iterable[object]) -> PhraseRankingExplainer:
        """Mine and embed the candidate phrases of ``corpus`` (one report each); returns self."""
        if isinstance(corpus, str):
            raise BadTypeError("corpus must be a sequence of report texts, not a single string.")
        check_top_k(self.top_k)
        if not callable(getattr(self.text_encoder, "encode_texts", None)):
            raise BadTypeError("text_encoder must have an encode_texts(list[str]) -> np.ndarray method.")
        mined = mine_phrases(corpus, self.ngram_range, self.min_df, self.max_candidates)
        fixed = [
            *(METADATA_PHRASES if self.include_metadata_phrases else ()),
            *(self.extra_phrases or ()),
        ]
        # dict.fromkeys de-duplicates while keeping the first-seen order, so rows are reproducible.
        candidates = list(dict.fromkeys([*mined, *fixed]))
        if not candidates:
            raise BadValueError(
                "No candidate phrases: the corpus yielded none at this min_df and no fixed phrases "
                "were enabled."
            )
        embeddings = np.asarray(self.text_encoder.encode_texts(candidates), dtype=np.float64)
        if embeddings.ndim != 2 or embeddings.shape[0] != len(candidates):
            raise BadValueError(
                f"text_encoder.encode_texts returned shape {embeddings.shape} for "
                f"{len(candidates)} phrases; expected ({len(candidates)}, dim)."
            )
        if not np.isfinite(embeddings).all():
            raise BadValueError("text_encoder.encode_texts returned non-finite values.")
        self.candidates_ = candidates
        self.candidate_embeddings_ = embeddings
        return self

    def explain(
        self,
        embeddings: ArrayLike,
        slice_membership: ArrayLike,
        targets: ArrayLike | None = None,
    ) -> pd.DataFrame:
        """Return the ``top_k`` phrases by ``text_emb . (prototype - reference)``, highest first.

        Parameters
        ----------
        embeddings : ArrayLike
            Per-sample embeddings in the same space as the phrases, shape ``(n, dim)``.
        slice_membership : ArrayLike
            The slice's membership probability per sample (members: > 0.5).
        targets : ArrayLike or None, default=None
            True labels; the reference is the mean embedding of samples with the slice's
            modal label. Without targets the reference is the mean of all samples.

        Returns
        -------
        pd.DataFrame
            DataFrame with columns ``phrase, score``; ties broken alphabetically.
        """
        phrases, scores = self.rank(embeddings, slice_membership, targets)
        if scores is None:
            return pd.DataFrame({"phrase": [], "score": []}, columns=list(PHRASE_COLUMNS)).astype(
                {"phrase": str, "score": float}
            )
        return pd.DataFrame({"phrase": phrases, "score": scores}, columns=list(PHRASE_COLUMNS))

    def rank(
        self,
        embeddings: ArrayLike,
        slice_membership: ArrayLike,
        targets: ArrayLike | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`explain`'s ``phrase`` (str) and ``score`` arrays, without building a DataFrame;
        ``score`` is None when no phrase describes the slice (the warning of :meth:`explain`)."""
        if not hasattr(self, "candidate_embeddings_"):
            raise NotFittedError("PhraseRankingExplainer is not fitted; call fit(corpus) first.")
        sample_embeddings = np.asarray(embeddings, dtype=np.float64)
        if sample_embeddings.ndim != 2:
            raise BadValueError(f"embeddings must be 2-D, got shape {sample_embeddings.shape}.")
        n_samples, dim = sample_embeddings.shape
        if not np.isfinite(sample_embeddings).all():
            raise BadValueError("embeddings contains NaN or infinite values.")
        if dim != self.candidate_embeddings_.shape[1]:
            raise BadValueError(
                f"embeddings have dimension {dim}, the phrase embeddings "
                f"{self.candidate_embeddings_.shape[1]}; they must share one space."
            )
        membership = np.asarray(slice_membership, dtype=np.float64)
        if membership.shape != (n_samples,):
            raise BadValueError(f"slice_membership must have shape ({n_samples},), got {membership.shape}.")
        if np.isnan(membership).any():
            raise BadValueError("slice_membership contains NaN; a case is either scored or left out.")
        members = membership > 0.5
        if not members.any():
            raise BadValueError("slice_membership has no sample with probability > 0.5.")
        prototype = sample_embeddings[members].mean(axis=0)
        if targets is None:
            reference = sample_embeddings.mean(axis=0)
        else:
            labels = as_labels(targets, "targets", n_samples)
            reference = sample_embeddings[labels == modal_label(labels[members])].mean(axis=0)
        direction = prototype - reference
        phrases, ranks = self._phrase_ranks()
        if np.linalg.norm(direction) <= DEGENERATE_DIRECTION * max(1.0, float(np.linalg.norm(prototype))):
            # The slice is its own reference group (e.g. exactly the samples of its majority class): every
            # phrase would score 0 and the "top" phrases would be the alphabet's first, so none are given.
            warnings.warn(
                "the slice's mean embedding equals its reference group's; no phrase describes it.",
                stacklevel=3,
            )
            return phrases[:0], None
        scores = self.candidate_embeddings_ @ direction
        order = np.lexsort((ranks, -scores))[: check_top_k(self.top_k)]
        return phrases[order], scores[order]

    def _phrase_ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """The candidates as a str array and each one's position in their sorted order (ties in score go
        to the earlier phrase), computed once per phrase bank rather than for every slice."""
        cached = getattr(self, "_phrase_rank_cache", None)
        if cached is None or cached[0] is not self.candidates_:
            phrases = np.asarray(self.candidates_, dtype=object).astype(str)
            ranks = np.empty(len(phrases), dtype=np.int64)
            ranks[np.argsort(phrases, kind="stable")] = np.arange(len(phrases))
            cached = (self.candidates_, phrases, ranks)
            self._phrase_rank_cache = cached
        return cached[1], cached[2]
