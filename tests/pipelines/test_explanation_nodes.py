"""The report texts the explanations contrast are those the report embeddings were made from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.encoders.factory import report_texts


def test_report_sections_join_as_a_row_wise_join_would_and_fall_back_to_the_whole_report() -> None:
    frame = pd.DataFrame(
        {
            "report_findings": ["Clear lungs.", None, np.nan, "Tube."],
            "report_impression": ["No acute process.", "Effusion.", None, ""],
            "report_text": ["FULL A", "FULL B", "Portable chest tube in place.", "FULL D"],
        },
        index=["a", "b", "c", "d"],
    )
    sections = ["report_findings", "report_impression"]
    row_wise = frame[sections].fillna("").agg(" ".join, axis=1).str.strip()
    expected = row_wise.where(row_wise != "", frame["report_text"])
    joined = report_texts(frame, sections)
    pd.testing.assert_series_equal(joined, expected, check_names=False)
    # a report with neither section says what its full text says, as the embedding reads it
    assert joined.tolist() == [
        "Clear lungs. No acute process.",
        "Effusion.",
        "Portable chest tube in place.",
        "Tube.",
    ]
    assert report_texts(frame, ["report_impression"]).tolist() == [
        "No acute process.",
        "Effusion.",
        "Portable chest tube in place.",
        "FULL D",
    ]
