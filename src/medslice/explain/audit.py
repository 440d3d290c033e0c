"""Explain every discovered slice of an audit: tokens, phrases and enriched attributes per bootstrap."""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medslice.explain.enrichment import ENRICHMENT_COLUMNS, AttributeEnrichment, CategoryCodes
from medslice.explain.phrase_ranking import PhraseRankingExplainer
from medslice.explain.tfidf_contrast import TfidfContrastExplainer, concatenate_texts, reference_mask
from medslice.run_consistency import check_same_audit_rows
from medslice.runner.checkpoints import CheckpointStore
from medslice.runner.reuse import map_checkpointed

EXPLANATION_COLUMNS: tuple[str, ...] = (
    "bootstrap",
    "slice",
    "kind",
    "source",
    "rank",
    "term",
    "score",
    "difference",
    "slice_prevalence",
    "reference_prevalence",
    "lift",
    "p_value",
    "q_value",
)
TEXT_SOURCES = ("combined", "report", "metadata")


# Fitted TF-IDF explainers of recent audit sets, keyed by their exact texts. A scenario's variants explain
# the slices of the same audit sets, so each set's texts are vectorised once, not once per variant. A fit
# is a pure function of the texts; the cache changes no result, only the time.
_FIT_CACHE_SIZE = 256
_fit_cache: OrderedDict[tuple, TfidfContrastExplainer | None] = OrderedDict()
_fit_cache_lock = threading.Lock()


def _fitted_explainer(texts: Sequence[str], top_k: int) -> TfidfContrastExplainer | None:
    """The TF-IDF explainer fitted on ``texts`` (None for an empty vocabulary), from the cache if it holds it.

    The cached explainer is shared: callers only read it (``explain`` with ``None`` for the fitted texts).
    """
    key = (int(top_k), tuple(texts))
    with _fit_cache_lock:
        if key in _fit_cache:
            _fit_cache.move_to_end(key)
            return _fit_cache[key]
    try:
        fitted: TfidfContrastExplainer | None = TfidfContrastExplainer(top_k=top_k).fit(list(texts))
    except ValueError:
        fitted = None
    with _fit_cache_lock:
        _fit_cache[key] = fitted
        while len(_fit_cache) > _FIT_CACHE_SIZE:
            _fit_cache.popitem(last=False)
    return fitted


def _fitted_explainers(texts: Mapping[str, Sequence[str]], top_k: int) -> dict[str, TfidfContrastExplainer]:
    """One TF-IDF explainer per text source, fitted once on a bootstrap's audit texts.

    The vocabulary and weights depend on the texts only, not on the slice, so every slice of the bootstrap
    is contrasted on the same fit. A source with an empty vocabulary is left out: nothing to say about it.
    """
    fitted = {}
    for source, source_texts in texts.items():
        explainer = _fitted_explainer(source_texts, top_k)
        if explainer is not None:
            fitted[source] = explainer
    return fitted


def _token_rows(
    explainers: Mapping[str, TfidfContrastExplainer], members: np.ndarray, reference: np.ndarray
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for source, explainer in explainers.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            tokens, scores, slice_means, reference_means = explainer.contrast(None, members, reference)
        rows += [
            {
                "kind": "token",
                "source": source,
                "rank": rank,
                "term": token,
                "score": float(score),
                # The paper ranks by |difference|; its sign says whether the slice has more of the term.
                "difference": float(slice_mean - reference_mean),
            }
            for rank, (token, score, slice_mean, reference_mean) in enumerate(
                zip(tokens.tolist(), scores, slice_means, reference_means, strict=True)
            )
        ]
    return rows


def _phrase_rows(
    phrases: PhraseRankingExplainer, embeddings: np.ndarray, membership: np.ndarray, targets: np.ndarray
) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ranked, scores = phrases.rank(embeddings, membership, targets)
    if scores is None:
        return []
    return [
        {"kind": "phrase", "source": "clip", "rank": r, "term": phrase, "score": float(score)}
        for r, (phrase, score) in enumerate(zip(ranked.tolist(), scores, strict=True))
    ]


def _attribute_rows(
    enrichment: AttributeEnrichment, categories: CategoryCodes, members: np.ndarray, max_rows: int
) -> list[dict[str, Any]]:
    others = ~members
    if not others.any():
        enrichment.explain(categories, members)  # raises: a slice of every row has no reference group
    table = enrichment.enrichment_columns(categories, members, others)
    kept = slice(None, max_rows)  # DataFrame.head(max_rows), negative counts included
    return [
        {
            "kind": "attribute",
            "source": "cohort",
            "rank": r,
            "term": f"{column}={value}",
            "score": float(lift),
            "slice_prevalence": float(inside),
            "reference_prevalence": float(outside),
            "lift": float(lift),
            "p_value": float(p_value),
            "q_value": float(q_value),
        }
        for r, (column, value, inside, outside, lift, p_value, q_value) in enumerate(
            zip(
                *(table[name][kept] for name in ENRICHMENT_COLUMNS if name != "significant"),
                strict=True,
            )
        )
    ]


def explain_slices(
    slices: pd.DataFrame,
    predictions: pd.DataFrame,
    attributes: pd.DataFrame,
    texts: Mapping[str, pd.Series],
    *,
    phrase_bank: tuple[Sequence[str], np.ndarray] | None = None,
    shared_space_embeddings: np.ndarray | None = None,
    top_k: int = 5,
    enrichment_columns: Sequence[str] | None = None,
    max_enrichment_rows: int = 10,
    checkpoints: CheckpointStore | None = None,
) -> pd.DataFrame:
    """Tokens (the paper's TF-IDF contrast), phrases (Domino's describe) and attribute lifts per slice.

    Parameters
    ----------
    slices : pd.DataFrame
        Memberships: ``dicom_id``, ``bootstrap``, ``slice_0`` … (NaN for slices not found).
    predictions : pd.DataFrame
        ``dicom_id``, ``bootstrap``, ``target``, ``pred`` for the same audit rows.
    attributes : pd.DataFrame
        Categorical cohort columns indexed by ``dicom_id`` (for enrichment).
    texts : Mapping[str, pd.Series]
        ``report`` and ``metadata`` text per ``dicom_id`` (a ``combined`` source is added).
    phrase_bank : tuple[Sequence[str], np.ndarray] or None, default=None
        Candidate phrases and their text-tower embeddings, or None to skip phrases.
    shared_space_embeddings : np.ndarray or None, default=None
        Per-row embeddings of ``slices`` in the phrases' space (the variant's
        modalities averaged in the CLIP space), aligned with ``slices`` rows.
    top_k : int, default=5
        Tokens and phrases kept per slice and source.
    enrichment_columns : Sequence[str] or None, default=None
        Columns of ``attributes`` to test (default: all).
    max_enrichment_rows : int, default=10
        Enriched attribute values kept per slice, by q then lift.
    checkpoints : CheckpointStore or None, default=None
        Where each bootstrap's rows are kept and reused (None: keep nothing).

    Returns
    -------
    pd.DataFrame
        A tidy frame with :data:`EXPLANATION_COLUMNS`; ``kind`` is ``token``, ``phrase`` or ``attribute``.
        It does not depend on the order of the rows of ``slices`` or ``predictions``, nor of their
        bootstraps: bootstraps are explained in ascending order, each on its rows sorted by ``dicom_id``
        (stable; a slice's mean TF-IDF weights and mean embedding are sums in row order, whose last bits
        can reorder near-tied terms), with targets and predictions looked up by (bootstrap, dicom_id).
    """
    check_same_audit_rows(slices, predictions, name="slice-membership", rerun="fuse_modalities")
    keyed = predictions.set_index(["bootstrap", "dicom_id"])
    slice_columns = [c for c in slices.columns if c.startswith("slice_")]
    if phrase_bank is not None and shared_space_embeddings is not None:
        PhraseRankingExplainer.from_candidates(phrase_bank[0], phrase_bank[1], top_k=top_k)  # validates
    else:
        phrase_bank = None
    sort_keys = slices["dicom_id"].to_numpy(dtype=str)
    units = []
    for bootstrap, unordered in slices.groupby("bootstrap", sort=True).indices.items():
        index = unordered[np.argsort(sort_keys[unordered], kind="stable")]
        ids = sort_keys[index]
        labels = keyed.loc[[(bootstrap, d) for d in ids]]
        units.append(
            BootstrapExplanation(
                bootstrap=int(bootstrap),
                slice_numbers=tuple(int(c.removeprefix("slice_")) for c in slice_columns),
                memberships=slices[slice_columns].to_numpy(dtype=float)[index],
                targets=labels["target"].to_numpy(dtype=int),
                preds=labels["pred"].to_numpy(dtype=int),
                texts={name: texts[name].reindex(ids).fillna("").tolist() for name in texts},
                attributes=attributes.reindex(ids).reset_index(drop=True),
                shared_space_embeddings=(
                    None if phrase_bank is None else np.asarray(shared_space_embeddings)[index]
                ),
            )
        )
    settings = {
        "top_k": int(top_k),
        "enrichment_columns": None if enrichment_columns is None else list(enrichment_columns),
        "max_enrichment_rows": int(max_enrichment_rows),
    }
    found = map_checkpointed(
        explain_one_bootstrap,
        units,
        shared=(settings, phrase_bank),
        checkpoints=checkpoints,
        stage="explain_slices",
        desc="explain slices",
        show_progress=len(units) > 1,  # a bar over a single bootstrap only costs time
    )
    rows = [row for unit_rows in found for row in unit_rows]
    frame = pd.DataFrame(rows, columns=list(EXPLANATION_COLUMNS))
    return frame.astype({"bootstrap": "int64", "slice": "int64", "rank": "int64"})


@dataclass(frozen=True)
class BootstrapExplanation:
    """One bootstrap's explanation inputs, rows sorted by ``dicom_id``.

    ``memberships`` has one column per entry of ``slice_numbers`` (NaN for a slice not found); ``texts``,
    ``attributes`` and ``shared_space_embeddings`` (None: no phrases) align with its rows.
    """

    bootstrap: int
    slice_numbers: tuple[int, ...]
    memberships: np.ndarray
    targets: np.ndarray
    preds: np.ndarray
    texts: Mapping[str, list[str]]
    attributes: pd.DataFrame
    shared_space_embeddings: np.ndarray | None


def explain_one_bootstrap(
    settings: Mapping[str, Any],
    phrase_bank: tuple[Sequence[str], np.ndarray] | None,
    unit: BootstrapExplanation,
) -> list[dict[str, Any]]:
    """The explanation rows of one bootstrap's slices (a pure function of its arguments).

    ``settings`` holds ``top_k``, ``enrichment_columns`` and ``max_enrichment_rows``.
    """
    top_k = settings["top_k"]
    phrases = (
        PhraseRankingExplainer.from_candidates(phrase_bank[0], phrase_bank[1], top_k=top_k)
        if phrase_bank is not None and unit.shared_space_embeddings is not None
        else None
    )
    source_texts = {"combined": concatenate_texts(*unit.texts.values()), **unit.texts}
    explainers = _fitted_explainers(source_texts, top_k)
    enrichment = AttributeEnrichment()
    categories = None  # the bootstrap's attribute values, rendered once for all its slices
    rows: list[dict[str, Any]] = []
    for position, slice_index in enumerate(unit.slice_numbers):
        membership = unit.memberships[:, position]
        members = np.nan_to_num(membership) > 0.5
        if not members.any():
            continue
        reference = reference_mask(unit.targets, unit.preds, members)
        found = _token_rows(explainers, members, reference)
        if phrases is not None:
            found += _phrase_rows(
                phrases, unit.shared_space_embeddings, np.nan_to_num(membership), unit.targets
            )
        if categories is None:
            categories = CategoryCodes.from_frame(unit.attributes, settings["enrichment_columns"])
        found += _attribute_rows(enrichment, categories, members, settings["max_enrichment_rows"])
        rows += [{"bootstrap": unit.bootstrap, "slice": slice_index, **row} for row in found]
    return rows


def add_hypotheses(explanations: pd.DataFrame, generator: Any, top_k: int = 5) -> pd.DataFrame:
    """Append ``kind = hypothesis`` rows: a local LLM's hypotheses from each slice's top combined tokens.

    ``generator`` is a loaded :class:`~medslice.explain.llm_hypotheses.LLMHypotheses` (or anything with
    ``generate(tokens) -> list[str]``).
    """
    tokens = explanations[(explanations["kind"] == "token") & (explanations["source"] == "combined")]
    rows = []
    for (bootstrap, slice_index), group in tokens.groupby(["bootstrap", "slice"], sort=True):
        terms = group.sort_values("rank")["term"].head(top_k).tolist()
        for rank, text in enumerate(generator.generate(terms)):
            rows.append(
                {
                    "bootstrap": bootstrap,
                    "slice": slice_index,
                    "kind": "hypothesis",
                    "source": "llm",
                    "rank": rank,
                    "term": text,
                    "score": float("nan"),
                }
            )
    if not rows:
        return explanations
    return pd.concat([explanations, pd.DataFrame(rows, columns=list(EXPLANATION_COLUMNS))], ignore_index=True)
