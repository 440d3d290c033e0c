"""Exam kind, time of day, resolution and the metadata sentence."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.mimic.metadata_sentence import (
    exam_kind,
    metadata_sentence,
    metadata_sentences,
    resolution_bucket,
    resolution_buckets,
    time_of_day,
)


@pytest.mark.parametrize(
    ("procedure", "kind"),
    [
        ("CHEST (PORTABLE AP)", "portable"),
        ("CHEST PORT. LINE PLACEMENT", "line placement"),
        ("DX CHEST PORT LINE/TUBE PLCMT 1 EXAM", "line placement"),
        ("TRAUMA #2 (AP CXR AND PELVIS PORT)", "trauma"),
        ("CHEST (PRE-OP PA AND LAT)", "pre-op"),
        ("RIB BILAT, W/AP CHEST", "rib"),
        ("CHEST (PA AND LAT)", "routine"),
        (None, "routine"),
    ],
)
def test_exam_kind(procedure: str | None, kind: str) -> None:
    assert exam_kind(procedure) == kind


def test_time_of_day_and_resolution_buckets() -> None:
    assert [time_of_day(pd.Timestamp(f"2180-01-01 {h:02d}:00")) for h in (5, 6, 12, 18, 22)] == [
        "night",
        "morning",
        "afternoon",
        "evening",
        "night",
    ]
    assert time_of_day(pd.NaT) == "unknown"
    assert resolution_bucket(3056, 2544) == "high"  # 7.8 MP
    assert resolution_bucket(2500, 2000) == "medium"  # 5 MP
    assert resolution_bucket(1000, 1000) == "low"


def test_sentence_matches_the_paper_template() -> None:
    row = {
        "PerformedProcedureStepDescription": "CHEST (PORTABLE AP)",
        "ViewPosition": "AP",
        "ViewCodeSequence_CodeMeaning": "antero-posterior",
        "PatientOrientationCodeSequence_CodeMeaning": "Recumbent",
        "Rows": 2000,
        "Columns": 2500,
        "study_datetime": pd.Timestamp("2180-05-06 08:05:56.875"),
    }
    assert metadata_sentence(row) == (
        "Patient underwent a portable chest examination in the morning. The examination was "
        "performed in antero-posterior view with the patient recumbent. A medium-resolution "
        "digital image was acquired."
    )


def test_vectorised_sentences_equal_the_scalar_ones() -> None:
    images = pd.DataFrame(
        {
            "procedure": ["CHEST (PA AND LAT)", None, "CHEST (PORTABLE AP)"],
            "view_position": ["LL", None, "AP"],
            "view_code_meaning": [None, None, "antero-posterior"],
            "orientation": ["Erect", None, "Recumbent"],
            "rows": [3056, 1000, 2000],
            "columns": [2544, 1000, 2500],
            "study_datetime": pd.to_datetime(["2180-01-01 23:00", None, "2180-01-01 13:00"]),
        }
    )
    vectorised = metadata_sentences(images).tolist()
    assert vectorised == [metadata_sentence(row) for row in images.to_dict("records")]
    assert "in left lateral view" in vectorised[0]
    assert "at night" in vectorised[0]
    assert "an unspecified view" in vectorised[1]


def test_vectorised_buckets_equal_the_scalar_ones_at_every_boundary() -> None:
    # every hour of the day, and image sizes of 3 and 7 megapixels exactly and either side of them
    sizes = [(1000, 2999), (1000, 3000), (1000, 3001), (1000, 6999), (1000, 7000), (1000, 7001)]
    hours = list(range(24))
    n = len(hours) * len(sizes)
    images = pd.DataFrame(
        {
            "procedure": ["CHEST (PA AND LAT)"] * n,
            "view_position": ["PA"] * n,
            "view_code_meaning": [None] * n,
            "orientation": ["Erect"] * n,
            "rows": [rows for _ in hours for rows, _ in sizes],
            "columns": [columns for _ in hours for _, columns in sizes],
            "study_datetime": pd.to_datetime([f"2180-01-01 {h:02d}:30" for h in hours for _ in sizes]),
        }
    )
    assert metadata_sentences(images).tolist() == [
        metadata_sentence(row) for row in images.to_dict("records")
    ]
    assert (
        resolution_buckets(images["rows"], images["columns"]).tolist()[:6]
        == [resolution_bucket(r, c) for r, c in sizes]
        == ["low", "medium", "medium", "medium", "medium", "high"]
    )
