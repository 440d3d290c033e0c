"""The ``explanation`` parameter block as typed settings (defaults here, and nowhere else)."""

from __future__ import annotations

from dataclasses import dataclass

from medslice.errors import BadValueError
from medslice.mimic.schemas import CATEGORICAL_COHORT_COLUMNS
from medslice.typed_settings import Settings


@dataclass(frozen=True)
class PhraseSettings(Settings):
    """``explanation.phrases``: the candidate phrases mined from the training reports.

    Attributes
    ----------
    min_df : int
        A phrase is kept when at least this many reports hold it.
    max_candidates : int
        At most this many candidates, the most frequent first.
    extra_phrases : tuple[str, ...] or None
        Phrases added to the mined ones (e.g. names of attributes to look for).
    """

    WHERE = "explanation.phrases"

    min_df: int = 5
    max_candidates: int = 2000
    extra_phrases: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LlmSettings(Settings):
    """``explanation.llm``: optional hypotheses from a local causal language model (never downloaded).

    Attributes
    ----------
    enabled : bool
        Write hypotheses for every slice.
    model_path : str or None
        The model's local folder (required when enabled).
    n_hypotheses : int
        Hypotheses per slice.
    """

    WHERE = "explanation.llm"

    enabled: bool = False
    model_path: str | None = None
    n_hypotheses: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.enabled and not self.model_path:
            raise BadValueError(
                "explanation.llm.enabled is true, so explanation.llm.model_path must name a folder"
            )


@dataclass(frozen=True)
class ExplanationSettings(Settings):
    """``explanation``: how every discovered slice is described.

    Attributes
    ----------
    top_k : int
        Tokens and phrases kept per slice.
    report_sections : tuple[str, ...]
        The report text the TF-IDF contrast reads.
    max_enrichment_rows : int
        Enriched attribute values kept per slice.
    enrichment_columns : tuple[str, ...]
        The cohort columns whose values are tested for enrichment.
    phrases : PhraseSettings
        The candidate phrases of Domino's describe.
    llm : LlmSettings
        The optional language-model hypotheses.
    """

    WHERE = "explanation"

    top_k: int = 5
    report_sections: tuple[str, ...] = ("report_findings", "report_impression")
    max_enrichment_rows: int = 10
    enrichment_columns: tuple[str, ...] = CATEGORICAL_COHORT_COLUMNS
    phrases: PhraseSettings = PhraseSettings()
    llm: LlmSettings = LlmSettings()
