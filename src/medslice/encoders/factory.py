"""Build the text encoder a modality asks for, and the report text it embeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from medslice.errors import BadValueError


def build_text_encoder(
    spec: Mapping[str, Any] | None,
    clip_reference: Mapping[str, Any],
    *,
    feature_cache: str | Path | None = None,
) -> Any:
    """The shared CLIP text tower by default, or ``{kind: transformers, model_path: ...}``.

    Only the CLIP tower puts text in the same space as images; a transformers encoder is the per-modality
    alternative for report or metadata text when no shared space is needed. ``feature_cache`` is the
    CLIP tower's locked-feature store folder (``ClipEncoder(feature_cache=...)``); a transformers encoder
    does not use one.
    """
    spec = dict(spec or {"kind": "clip"})
    kind = spec.pop("kind", "clip")
    if kind == "clip":
        from medslice.encoders.clip_encoder import ClipEncoder

        return ClipEncoder(
            clip_reference["model"],
            pretrained=clip_reference.get("pretrained"),
            feature_cache=feature_cache,
            **spec,
        )
    if kind == "transformers":
        from medslice.encoders.text_encoder import TransformersTextEncoder, default_text_model_path

        model_path = spec.pop("model_path", None) or str(default_text_model_path())
        return TransformersTextEncoder(model_path, **spec)
    raise BadValueError(f"text encoder kind {kind!r} is unknown; use 'clip' or 'transformers'")


def report_texts(frame: pd.DataFrame, sections: Sequence[str]) -> pd.Series:
    """Join the named report sections (cohort columns such as ``report_impression``) per row.

    Rows where every named section is empty fall back to the full report text, so that a report with
    neither findings nor impression still says something.
    """
    missing = [s for s in sections if s not in frame.columns]
    if missing:
        raise BadValueError(f"report_sections names unknown cohort column(s) {missing}")
    # str.cat is the row-wise " ".join vectorised (a row-wise agg over the cohort took about half a second).
    parts = [frame[section].fillna("").astype(str) for section in sections]
    if parts:
        joined = parts[0].str.cat(parts[1:], sep=" ").str.strip() if len(parts) > 1 else parts[0].str.strip()
    else:
        joined = pd.Series("", index=frame.index)
    fallback = frame["report_text"].fillna("").astype(str) if "report_text" in frame else ""
    return joined.where(joined != "", fallback)
