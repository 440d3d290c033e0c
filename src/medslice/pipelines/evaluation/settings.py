"""The ``evaluation`` parameter block as typed settings (defaults here, and nowhere else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medslice.typed_settings import Settings


@dataclass(frozen=True)
class EvaluationSettings(Settings):
    """``evaluation``: scoring against the planted truth (conf/base/parameters/evaluation.yml).

    Attributes
    ----------
    top_k : int
        An explanation hits when a synonym of the planted attribute is among its top-k terms.
    synonyms : dict[str, Any]
        Per scenario, the words that name its planted attribute.
    """

    WHERE = "evaluation"

    top_k: int = 5
    synonyms: dict[str, Any] = field(default_factory=dict)
