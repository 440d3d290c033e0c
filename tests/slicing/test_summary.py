"""summarize_slices on a hand-computed case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.slicing import SUMMARY_COLUMNS, summarize_slices


def test_summary_hand_computed():
    targets = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    preds = np.array([1, 1, 0, 0, 1, 1, 0, 0])  # FP at 0, 1; FN at 3, 7
    membership = np.array(
        [
            [0.9, 0.1, 0.0],
            [0.8, 0.1, 0.0],
            [0.6, 0.9, 0.0],
            [0.2, 0.7, 0.0],
            [0.1, 0.6, 0.0],
            [0.0, 0.2, 0.0],
            [0.0, 0.1, 0.0],
            [0.0, 0.8, 0.0],
        ]
    )
    table = summarize_slices(membership, targets, preds)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    first, second, empty = table.to_dict("records")
    # Slice 0 = rows 0, 1, 2: two false positives, one correct; outside: rows 3..7, 3 of 5 correct.
    assert first["size"] == 3 and first["error_type"] == "FP"
    assert first["error_rate"] == pytest.approx(2 / 3)
    assert first["accuracy_gap"] == pytest.approx(3 / 5 - 1 / 3)
    assert first["majority_class"] == 0
    assert first["mean_membership"] == pytest.approx((0.9 + 0.8 + 0.6) / 3)
    # Slice 1 = rows 2, 3, 4, 7: errors 3 and 7 are both false negatives.
    assert second["size"] == 4 and second["error_type"] == "FN"
    assert second["error_rate"] == pytest.approx(0.5)
    assert second["majority_class"] == 1
    assert empty["size"] == 0 and empty["error_type"] == "none"
    assert np.isnan(empty["error_rate"]) and pd.isna(empty["majority_class"])


def test_summary_mixed_threshold_and_validation():
    targets = np.array([0, 1, 0, 1])
    preds = np.array([1, 0, 0, 1])
    membership = np.array([[0.9], [0.9], [0.9], [0.2]])
    assert summarize_slices(membership, targets, preds).loc[0, "error_type"] == "mixed"
    assert summarize_slices(membership, targets, preds, threshold=0.95).loc[0, "size"] == 0
    empty = summarize_slices(np.zeros((4, 0)), targets, preds)
    assert empty.empty and list(empty.columns) == list(SUMMARY_COLUMNS)
    with pytest.raises(ValueError, match="membership contains 1 NaN"):
        summarize_slices(np.array([[np.nan], [0.1], [0.2], [0.3]]), targets, preds)
    with pytest.raises(ValueError, match="targets has 4 rows but membership has 3"):
        summarize_slices(membership[:3], targets, preds[:3])


def test_summary_refuses_memberships_that_are_not_probabilities() -> None:
    targets = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        summarize_slices(np.full((4, 1), 1.5), targets, targets)
    with pytest.raises(TypeError, match="threshold must be a number"):
        summarize_slices(np.full((4, 1), 0.9), targets, targets, threshold="0.5")
