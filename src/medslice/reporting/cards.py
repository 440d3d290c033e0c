"""A slice card: everything the report shows about one discovered slice."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from medslice.errors import BadTypeError, BadValueError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The enrichment columns a card needs; AttributeEnrichment output has them and more.
ENRICHMENT_REQUIRED: tuple[str, ...] = ("column", "value", "lift")


def slug(text: str) -> str:
    """Make ``text`` safe as an HTML id: anything but letters, digits, ``_`` and ``-`` becomes ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "section"


def _scored_terms(terms: Sequence[tuple[str, float]], name: str) -> tuple[tuple[str, float], ...]:
    """Validate ``(text, score)`` pairs and freeze them into a tuple."""
    if isinstance(terms, (str, bytes)):
        raise BadTypeError(f"{name} must be a sequence of (text, score) pairs, got a string.")
    frozen = []
    for position, term in enumerate(terms):
        if len(term) != 2:
            raise BadValueError(f"{name}[{position}] must be a (text, score) pair, got {term!r}.")
        text, score = term
        frozen.append((str(text), float(score)))
    return tuple(frozen)


@dataclass(frozen=True, eq=False)
class SliceCard:
    """One discovered slice as the report shows it.

    ``tokens`` and ``phrases`` are ``(text, score)`` pairs, best first (contrastive TF-IDF tokens and
    shared-space phrases); they are stored as tuples. ``enrichment`` holds the top rows of
    :class:`medslice.explain.AttributeEnrichment` output (at least ``column, value, lift``; the
    prevalences, ``p_value``, ``q_value`` and ``significant`` are shown when present).
    ``accuracy_gap`` is the accuracy of the rest of the audit set minus the slice's accuracy.
    ``montage_png`` is a PNG of typical members, e.g. from
    :func:`medslice.explain.montage_png_bytes`. ``hypotheses`` are optional free-text hypotheses
    (e.g. from a local LLM), shown as written.

    Cards compare by identity (``eq=False``) because a DataFrame has no single truth value.
    """

    scenario: str
    variant: str
    slice_index: int
    size: int
    error_rate: float
    error_type: str
    accuracy_gap: float
    majority_class: int | None
    tokens: Sequence[tuple[str, float]] = ()
    phrases: Sequence[tuple[str, float]] = ()
    enrichment: pd.DataFrame = field(default_factory=pd.DataFrame)
    montage_png: bytes | None = None
    hypotheses: Sequence[str] = ()

    def __post_init__(self) -> None:
        """Validate every field and freeze the sequences, so a bad card fails where it is built."""
        for name in ("scenario", "variant"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise BadValueError(f"{name} must be a non-empty string, got {getattr(self, name)!r}.")
        if int(self.slice_index) < 0:
            raise BadValueError(f"slice_index must be non-negative, got {self.slice_index!r}.")
        if int(self.size) < 0:
            raise BadValueError(f"size must be non-negative, got {self.size!r}.")
        rate = float(self.error_rate)
        if not math.isnan(rate) and not 0.0 <= rate <= 1.0:
            raise BadValueError(f"error_rate must lie in [0, 1] or be NaN, got {self.error_rate!r}.")
        if not isinstance(self.enrichment, pd.DataFrame):
            raise BadTypeError(
                f"enrichment must be a pandas DataFrame, got {type(self.enrichment).__name__}."
            )
        if len(self.enrichment):
            missing = [c for c in ENRICHMENT_REQUIRED if c not in self.enrichment.columns]
            if missing:
                raise BadValueError(f"enrichment lacks column(s) {missing}; pass AttributeEnrichment output.")
        if self.montage_png is not None and not bytes(self.montage_png).startswith(PNG_SIGNATURE):
            raise BadValueError("montage_png must be PNG bytes (it lacks the PNG signature).")
        if isinstance(self.hypotheses, str):
            raise BadTypeError("hypotheses must be a sequence of strings, not one string.")
        # A frozen dataclass can still normalise its own fields, through object.__setattr__.
        object.__setattr__(self, "slice_index", int(self.slice_index))
        object.__setattr__(self, "size", int(self.size))
        object.__setattr__(self, "error_rate", rate)
        object.__setattr__(self, "accuracy_gap", float(self.accuracy_gap))
        if self.majority_class is not None:
            object.__setattr__(self, "majority_class", int(self.majority_class))
        object.__setattr__(self, "tokens", _scored_terms(self.tokens, "tokens"))
        object.__setattr__(self, "phrases", _scored_terms(self.phrases, "phrases"))
        object.__setattr__(self, "hypotheses", tuple(str(text) for text in self.hypotheses))

    @property
    def anchor(self) -> str:
        """A stable HTML id for the card, unique per (scenario, variant, slice)."""
        return slug(f"slice-{self.scenario}-{self.variant}-{self.slice_index}")
