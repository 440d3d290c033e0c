"""The ``ingestion`` parameter block as typed settings (defaults here; the cohort's in ``cohort.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medslice.typed_settings import Settings


@dataclass(frozen=True)
class IngestionSettings(Settings):
    """``ingestion``: how a release is read into Parquet tables.

    Attributes
    ----------
    check_files : bool
        Read every JPEG's header and tail (never its pixels) and exclude missing, mismatched
        or truncated images.
    n_workers : int
        Processes that read the image files and report texts.
    cohort : dict[str, Any]
        The cohort's settings, checked by :func:`medslice.mimic.cohort.resolve_cohort_params`
        (labeler, uncertainty policy, view filter, splits, ...).
    """

    WHERE = "ingestion"

    check_files: bool = True
    n_workers: int = 2
    cohort: dict[str, Any] = field(default_factory=dict)
