"""Render an image's DICOM metadata as one English sentence, as the paper does (docs/reference.md §3.5).

Example: "Patient underwent a portable chest examination in the morning. The examination was
performed in antero-posterior view with the patient recumbent. A medium-resolution digital image was
acquired."
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# First match wins: "CHEST PORT. LINE PLACEMENT" is a line check, "TRAUMA ... PORT" a trauma.
_EXAM_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("line placement", re.compile(r"\bLINE\b|PLCMT|PLACEMENT|\bPICC\b|\bTUBE\b")),
    ("trauma", re.compile(r"TRAUMA")),
    ("pre-op", re.compile(r"\bPRE[- ]?OP")),
    ("rib", re.compile(r"\bRIBS?\b")),
    ("portable", re.compile(r"\bPORT(ABLE)?\b|BEDSIDE")),
)
EXAM_KINDS: tuple[str, ...] = (*(kind for kind, _ in _EXAM_KIND_PATTERNS), "routine")

_EXAM_PHRASES: dict[str, str] = {
    "portable": "a portable chest examination",
    "line placement": "a chest examination for line placement",
    "trauma": "a trauma chest examination",
    "pre-op": "a pre-operative chest examination",
    "rib": "a rib examination",
    "routine": "a routine chest examination",
}

TIMES_OF_DAY: tuple[str, ...] = ("morning", "afternoon", "evening", "night", "unknown")

RESOLUTIONS: tuple[str, ...] = ("high", "medium", "low", "unknown")
HIGH_RESOLUTION_MIN_MP = 7.0
LOW_RESOLUTION_MAX_MP = 3.0

# ViewPosition spelled out, for rows whose ViewCodeSequence_CodeMeaning is empty.
_VIEW_PHRASES: dict[str, str] = {
    "AP": "antero-posterior",
    "PA": "postero-anterior",
    "LATERAL": "lateral",
    "LL": "left lateral",
    "LAO": "left anterior oblique",
    "RAO": "right anterior oblique",
    "LPO": "left posterior oblique",
    "AP AXIAL": "antero-posterior axial",
    "PA LLD": "postero-anterior left lateral decubitus",
    "AP LLD": "antero-posterior left lateral decubitus",
    "AP RLD": "antero-posterior right lateral decubitus",
    "PA RLD": "postero-anterior right lateral decubitus",
    "SWIMMERS": "swimmer's",
    "XTABLE LATERAL": "cross-table lateral",
}


def _text(value: Any) -> str:
    """A stripped string, or ``""`` for None/NaN/NA."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def exam_kind(procedure: str | None) -> str:
    """Classify ``PerformedProcedureStepDescription``: portable, line placement, trauma, pre-op, rib
    or routine (also for a missing procedure)."""
    upper = _text(procedure).upper()
    for kind, pattern in _EXAM_KIND_PATTERNS:
        if pattern.search(upper):
            return kind
    return "routine"


def time_of_day(study_datetime: Any) -> str:
    """``morning`` (06-12 h), ``afternoon`` (12-18 h), ``evening`` (18-22 h), ``night`` (22-06 h),
    or ``unknown`` for a missing time."""
    if study_datetime is None or pd.isna(study_datetime):
        return "unknown"
    return _time_of_day_from_hour(pd.Timestamp(study_datetime).hour)


def _time_of_day_from_hour(hour: int) -> str:
    """The time-of-day bucket of an hour 0-23."""
    if 6 <= hour < 12:
        return "morning"
    if 12 <= hour < 18:
        return "afternoon"
    if 18 <= hour < 22:
        return "evening"
    return "night"


def megapixels(rows: Any, columns: Any) -> float:
    """Rows x Columns in millions of pixels (NaN if either is missing)."""
    if _text(rows) == "" or _text(columns) == "":
        return float("nan")
    return float(rows) * float(columns) / 1e6


def resolution_bucket(rows: int, columns: int) -> str:
    """``high`` (> 7 MP), ``medium`` (3-7 MP), ``low`` (< 3 MP) or ``unknown`` (size missing)."""
    mp = megapixels(rows, columns)
    if np.isnan(mp):
        return "unknown"
    if mp > HIGH_RESOLUTION_MIN_MP:
        return "high"
    if mp >= LOW_RESOLUTION_MAX_MP:
        return "medium"
    return "low"


def view_phrase(view_position: str | None, view_code_meaning: str | None = None) -> str:
    """The view in words: the DICOM code meaning if present, else ``ViewPosition`` spelled out."""
    meaning = _text(view_code_meaning)
    if meaning:
        return meaning.lower()
    position = _text(view_position).upper()
    return _VIEW_PHRASES.get(position, position.lower())


def _sentence(kind: str, tod: str, view: str, orientation: str, resolution: str) -> str:
    """Fill the template from already-bucketed parts."""
    when = {"unknown": "", "night": " at night"}.get(tod, f" in the {tod}")
    first = f"Patient underwent {_EXAM_PHRASES[kind]}{when}."
    where = f"in {view} view" if view else "in an unspecified view"
    posture = f" with the patient {orientation.lower()}" if orientation else ""
    second = f"The examination was performed {where}{posture}."
    if resolution == "unknown":
        third = "A digital image of unknown resolution was acquired."
    else:
        third = f"A {resolution}-resolution digital image was acquired."
    return f"{first} {second} {third}"


def metadata_sentence(row: Mapping[str, Any]) -> str:
    """Render one image's metadata as the paper's three-sentence template.

    ``row`` may use the raw MIMIC column names (``PerformedProcedureStepDescription``,
    ``ViewPosition``, ``ViewCodeSequence_CodeMeaning``,
    ``PatientOrientationCodeSequence_CodeMeaning``, ``Rows``, ``Columns``, ``study_datetime``) or
    the images-table names (``procedure``, ``view_position``, ``view_code_meaning``,
    ``orientation``, ``rows``, ``columns``, ``study_datetime``). Missing parts are left out of the
    sentence rather than guessed.
    """

    def get(*names: str) -> Any:
        return next((row[n] for n in names if n in row), None)

    kind = exam_kind(get("procedure", "PerformedProcedureStepDescription"))
    tod = time_of_day(get("study_datetime"))
    view = view_phrase(
        get("view_position", "ViewPosition"),
        get("view_code_meaning", "ViewCodeSequence_CodeMeaning"),
    )
    orientation = _text(get("orientation", "PatientOrientationCodeSequence_CodeMeaning"))
    resolution = resolution_bucket(get("rows", "Rows"), get("columns", "Columns"))
    return _sentence(kind, tod, view, orientation, resolution)


def metadata_sentences(images: pd.DataFrame) -> pd.Series:
    """:func:`metadata_sentence` for every row of an images-table frame, vectorised.

    Expects the columns ``procedure``, ``view_position``, ``view_code_meaning``, ``orientation``,
    ``rows``, ``columns`` and ``study_datetime``. Only the few distinct (kind, time, view, posture,
    resolution) combinations are rendered, so 377k rows take well under a second.
    """
    views = pd.MultiIndex.from_arrays([_texts(images["view_position"]), _texts(images["view_code_meaning"])])
    view_phrases = {pair: view_phrase(*pair) for pair in views.unique()}
    parts = pd.DataFrame(
        {
            "kind": exam_kinds(images["procedure"]),
            "tod": times_of_day(images["study_datetime"]),
            "view": [view_phrases[pair] for pair in views],
            "orientation": _texts(images["orientation"]),
            "resolution": resolution_buckets(images["rows"], images["columns"]),
        },
        index=images.index,
    )
    keys = pd.MultiIndex.from_frame(parts)
    rendered = {key: _sentence(*key) for key in keys.unique()}
    return pd.Series([rendered[key] for key in keys], index=images.index, name="metadata_sentence")


def _texts(values: pd.Series) -> pd.Series:
    """Vectorised :func:`_text`: stripped strings with ``""`` for missing values."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def exam_kinds(procedures: pd.Series) -> pd.Series:
    """:func:`exam_kind` of every row, computed once per distinct procedure."""
    filled = _texts(procedures)
    mapping = {p: exam_kind(p) for p in pd.unique(filled)}
    return filled.map(mapping).rename("exam_kind")


def times_of_day(study_datetimes: pd.Series) -> pd.Series:
    """:func:`time_of_day` of every row, vectorised."""
    stamps = pd.to_datetime(study_datetimes)
    hours = stamps.dt.hour
    buckets = np.select(
        [hours.between(6, 11), hours.between(12, 17), hours.between(18, 21)],
        ["morning", "afternoon", "evening"],
        default="night",
    )
    out = pd.Series(buckets, index=study_datetimes.index, dtype=object, name="time_of_day")
    out[stamps.isna()] = "unknown"
    return out


def resolution_buckets(rows: pd.Series, columns: pd.Series) -> pd.Series:
    """:func:`resolution_bucket` of every row, vectorised."""
    mp = pd.to_numeric(rows, errors="coerce").astype(float) * pd.to_numeric(columns, errors="coerce").astype(
        float
    )
    mp = mp.to_numpy() / 1e6
    buckets = np.select(
        [np.isnan(mp), mp > HIGH_RESOLUTION_MIN_MP, mp >= LOW_RESOLUTION_MAX_MP],
        ["unknown", "high", "medium"],
        default="low",
    )
    return pd.Series(buckets, index=rows.index, dtype=object, name="resolution")
