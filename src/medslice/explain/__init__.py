"""Slice explanation: contrastive TF-IDF tokens, shared-space phrase ranking, attribute enrichment,
exemplar montages and optional LLM hypotheses. Importable without Kedro."""

from medslice.explain.enrichment import AttributeEnrichment, benjamini_hochberg
from medslice.explain.exemplars import (
    figure_png_bytes,
    montage_png_bytes,
    slice_montage,
    typical_members,
)
from medslice.explain.llm_hypotheses import LLMHypotheses
from medslice.explain.phrase_mining import METADATA_PHRASES, mine_phrases
from medslice.explain.phrase_ranking import PhraseRankingExplainer, TextEncoder
from medslice.explain.tfidf_contrast import (
    TfidfContrastExplainer,
    concatenate_texts,
    contrast_by_source,
    reference_mask,
)

__all__ = [
    "METADATA_PHRASES",
    "AttributeEnrichment",
    "LLMHypotheses",
    "PhraseRankingExplainer",
    "TextEncoder",
    "TfidfContrastExplainer",
    "benjamini_hochberg",
    "concatenate_texts",
    "contrast_by_source",
    "figure_png_bytes",
    "mine_phrases",
    "montage_png_bytes",
    "reference_mask",
    "slice_montage",
    "typical_members",
]
