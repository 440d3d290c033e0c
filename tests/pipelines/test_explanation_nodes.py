"""Explanation node helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.pipelines.explanation.nodes import _joined_sections


def test_report_sections_join_as_a_row_wise_join_would() -> None:
    frame = pd.DataFrame(
        {
            "report_findings": ["Clear lungs.", None, np.nan, "Tube."],
            "report_impression": ["No acute process.", "Effusion.", None, ""],
        },
        index=["a", "b", "c", "d"],
    )
    sections = ["report_findings", "report_impression"]
    expected = frame[sections].fillna("").agg(" ".join, axis=1)
    joined = _joined_sections(frame, sections)
    pd.testing.assert_series_equal(joined, expected, check_names=False, check_dtype=False)
    assert joined.tolist() == ["Clear lungs. No acute process.", " Effusion.", " ", "Tube. "]
    alone = _joined_sections(frame, ["report_impression"])
    assert alone.tolist() == ["No acute process.", "Effusion.", "", ""]
