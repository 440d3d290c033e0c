"""Merge the per-stage QA dicts into the ``ingestion_qa`` JSON, with a full accounting of images."""

from __future__ import annotations

from typing import Any

from medslice.errors import BadTypeError, BadValueError


def _image_accounting(images: dict[str, Any], cohort: dict[str, Any]) -> dict[str, Any]:
    """Check that every metadata row ended in the cohort or in exactly one named bucket."""
    excluded = {f"images.{name}": bucket["count"] for name, bucket in images["excluded_images"].items()}
    excluded.update({f"cohort.{name}": bucket["count"] for name, bucket in cohort["excluded_images"].items()})
    accounted = cohort["rows"] + sum(excluded.values())
    stages_agree = images["rows"] == cohort["input_images"]
    studies = _study_accounting(cohort)
    return {
        "metadata_rows": images["metadata_rows"],
        "cohort_rows": cohort["rows"],
        "excluded": excluded,
        "accounted_rows": accounted,
        "studies": studies,
        "gaps": _gaps(images, cohort),
        "balanced": bool(stages_agree and accounted == images["metadata_rows"] and studies["balanced"]),
    }


def _study_accounting(cohort: dict[str, Any]) -> dict[str, Any]:
    """Every cohort study either has a report or is counted under ``studies_without_report``."""
    with_report = cohort["studies_with_report"]
    without_report = cohort["studies_without_report"]["count"]
    return {
        "cohort_studies": cohort["studies"],
        "with_report": with_report,
        "without_report": without_report,
        "balanced": with_report + without_report == cohort["studies"],
    }


def _gaps(images: dict[str, Any], cohort: dict[str, Any]) -> dict[str, int]:
    """The counts of damaged or missing input files, each also warned about when ingested.

    These are the gaps a user most easily overlooks: a truncated JPEG passes a header check and a
    missing report only empties the ``report_*`` columns. Keys name the QA bucket they come from.
    """
    excluded = images["excluded_images"]
    return {
        "images.missing_file": excluded.get("missing_file", {"count": 0})["count"],
        "images.truncated_jpeg": excluded.get("truncated_jpeg", {"count": 0})["count"],
        "cohort.studies_without_report": cohort["studies_without_report"]["count"],
        "cohort.images_without_report": cohort["images_without_report"],
    }


def merge_qa(*qas: dict) -> dict:
    """Combine the QA dicts of the ingestion stages into one JSON-ready dict.

    Each stage returns ``{stage_name: {...}}``; the stages are merged side by side (a stage given
    twice is a ValueError). When both the ``images`` and ``cohort`` stages are present, an
    ``accounting`` entry states that every metadata row is either a cohort row or counted in one
    named exclusion bucket (``images.missing_file``, ``images.truncated_jpeg``,
    ``cohort.view_filter``, ...): nothing is dropped silently. It also states that every cohort
    study either has a report or is counted without one (``studies``), and sums up the missing and
    damaged input files under ``gaps``. An accounting that does not balance is a ValueError,
    because it means rows went missing unseen.
    """
    merged: dict[str, Any] = {}
    for qa in qas:
        if not isinstance(qa, dict):
            raise BadTypeError(f"each QA must be a dict, got {type(qa).__name__}")
        for stage, content in qa.items():
            if stage in merged:
                raise BadValueError(f"QA stage {stage!r} is given twice")
            merged[stage] = content
    if "images" in merged and "cohort" in merged:
        accounting = _image_accounting(merged["images"], merged["cohort"])
        if not accounting["balanced"]:
            raise BadValueError(
                "ingestion QA does not balance: "
                f"{accounting['metadata_rows']} metadata rows but {accounting['cohort_rows']} "
                f"cohort rows + {accounting['excluded']} exclusions, and studies "
                f"{accounting['studies']}; the cohort must be built from this run's images table"
            )
        merged["accounting"] = accounting
    return merged
