"""Nodes of the `explanation` pipeline: thin wrappers over :mod:`medslice.explain`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from medslice.encoders import ClipEncoder
from medslice.encoders.factory import report_texts
from medslice.explain import PhraseRankingExplainer
from medslice.explain.audit import add_hypotheses
from medslice.explain.audit import explain_slices as explain_audit_slices
from medslice.explain.llm_hypotheses import LLMHypotheses
from medslice.explain.settings import ExplanationSettings
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.embedding_tables import aligned_modalities, table_matrix
from medslice.slicing.settings import VariantSettings


def build_phrase_bank(
    cohort: pd.DataFrame, encoder: dict[str, Any], explanation: ExplanationSettings
) -> pa.Table:
    """Mine candidate phrases from the training split's reports and embed them once with the text tower."""
    corpus = cohort.loc[cohort["split"] == "train", "report_text"].dropna().drop_duplicates()
    text_encoder = ClipEncoder(encoder["model"], pretrained=encoder.get("pretrained"))
    settings = explanation.phrases
    extra = None if settings.extra_phrases is None else list(settings.extra_phrases)
    explainer = PhraseRankingExplainer(
        text_encoder, min_df=settings.min_df, max_candidates=settings.max_candidates, extra_phrases=extra
    ).fit(corpus.tolist())
    embeddings = np.asarray(explainer.candidate_embeddings_, dtype=np.float32)
    return pa.table(
        {
            "phrase": pa.array(explainer.candidates_, pa.string()),
            "embedding": pa.array(embeddings.tolist(), pa.list_(pa.float32(), embeddings.shape[1])),
        }
    )


def explanation_inputs(
    dicom_ids: pd.Series,
    cohort: pd.DataFrame,
    image_embeddings: pa.Table,
    report_embeddings: pa.Table,
    metadata_embeddings: pa.Table,
    phrase_bank: pa.Table,
    variant: VariantSettings,
    explanation: ExplanationSettings,
) -> dict[str, Any]:
    """The keyword arguments of :func:`medslice.explain.audit.explain_slices` for audit rows ``dicom_ids``.

    ``shared_space_embeddings`` is aligned with ``dicom_ids``; everything else holds per ``dicom_id``.
    """
    phrases, phrase_matrix = table_matrix(phrase_bank, "phrase")
    tables = {"image": image_embeddings, "report": report_embeddings, "metadata": metadata_embeddings}
    ids = pd.Series(dicom_ids).astype(str)
    matrices = aligned_modalities(ids, list(variant.modalities), cohort, tables)
    # Phrases live in the text tower's space: average the variant's modalities that share it.
    shared = [m / np.linalg.norm(m, axis=1, keepdims=True) for m in matrices.values()]
    shared = [m for m in shared if m.shape[1] == phrase_matrix.shape[1]]
    indexed = cohort.set_index(cohort["dicom_id"].astype(str))
    # Only the audit's rows are read: joining report sections over the whole cohort is wasted work.
    indexed = indexed[indexed.index.isin(ids.unique())]
    sections = list(explanation.report_sections)
    texts = {
        # The texts the report embeddings were made from: sections, else the whole report.
        "report": report_texts(indexed, sections),
        "metadata": indexed["metadata_sentence"].fillna(""),
    }
    columns = [c for c in explanation.enrichment_columns if c in indexed]
    return {
        "attributes": indexed[columns],
        "texts": texts,
        "phrase_bank": (list(phrases), phrase_matrix) if shared else None,
        "shared_space_embeddings": np.mean(shared, axis=0) if shared else None,
        "top_k": explanation.top_k,
        "max_enrichment_rows": explanation.max_enrichment_rows,
    }


def explain_slices(
    slices: pd.DataFrame,
    predictions: pd.DataFrame,
    cohort: pd.DataFrame,
    image_embeddings: pa.Table,
    report_embeddings: pa.Table,
    metadata_embeddings: pa.Table,
    phrase_bank: pa.Table,
    bootstrap_checkpoints: CheckpointStore,
    variant: VariantSettings,
    explanation: ExplanationSettings,
) -> pd.DataFrame:
    """Tokens, phrases and enriched cohort attributes for every slice of every bootstrap.

    The phrase-space embeddings are aligned with the rows of ``slices`` here, texts and attributes by
    ``dicom_id``; the table does not depend on the order of the rows of ``slices`` or ``predictions`` (see
    :func:`medslice.explain.audit.explain_slices`). Each bootstrap's rows are kept in
    ``bootstrap_checkpoints`` and reused by a rerun with the same inputs; the optional LLM hypotheses are
    generated afresh.
    """
    inputs = explanation_inputs(
        slices["dicom_id"],
        cohort,
        image_embeddings,
        report_embeddings,
        metadata_embeddings,
        phrase_bank,
        variant,
        explanation,
    )
    explanations = explain_audit_slices(slices, predictions, **inputs, checkpoints=bootstrap_checkpoints)
    llm = explanation.llm
    if llm.enabled:
        generator = LLMHypotheses(llm.model_path, n_hypotheses=llm.n_hypotheses).load()
        explanations = add_hypotheses(explanations, generator)
    return explanations
