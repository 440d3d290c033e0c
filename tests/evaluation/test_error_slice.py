"""The ideal error slice's precision@10: by hand, per bootstrap, and as a bound on error-only slices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.evaluation import ideal_error_slice_precision, paper_precision_at_10
from medslice.evaluation.audit import ideal_error_slice_metrics


def test_the_ideal_error_slice_counts_missed_attribute_cases_of_the_expected_class() -> None:
    targets = np.array([1, 1, 1, 1, 0, 0, 1])
    preds = np.array([0, 0, 1, 0, 1, 1, 0])
    attribute = np.array([1, 1, 1, 0, 1, 0, 1])
    # Missed positives with the attribute: rows 0, 1 and 6. Row 2 is right, row 3 lacks the attribute,
    # row 4 is an error of the other class.
    assert ideal_error_slice_precision(attribute, targets, preds, expected_class=1) == pytest.approx(0.3)
    assert ideal_error_slice_precision(attribute, targets, preds, expected_class=0) == pytest.approx(0.1)
    assert ideal_error_slice_precision(attribute, targets, preds, expected_class=1, k=2) == 1.0
    assert ideal_error_slice_precision(attribute, targets, targets, expected_class=1) == 0.0
    # probabilities are read as p >= 0.5 decisions, not compared with the labels as they are
    probabilities = np.array([0.1, 0.4, 0.9, 0.2, 0.6, 0.5, 0.3])
    assert ideal_error_slice_precision(attribute, targets, probabilities, expected_class=1) == pytest.approx(
        0.3
    )


def test_the_ideal_error_slice_is_capped_at_one() -> None:
    targets = np.ones(30, dtype=int)
    assert ideal_error_slice_precision(np.ones(30, dtype=int), targets, np.zeros(30, dtype=int), 1) == 1.0


def test_bad_input_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        ideal_error_slice_precision([1], [1], [0], 1, k=0)
    with pytest.raises(ValueError, match="preds must have shape"):
        ideal_error_slice_precision([1, 0], [1, 1], [0], 1)
    with pytest.raises(ValueError, match="attribute must hold only"):
        ideal_error_slice_precision([2, 0], [1, 1], [0, 0], 1)


def test_no_slice_of_errors_alone_beats_the_ideal_one() -> None:
    rng = np.random.default_rng(3)
    n = 200
    targets = rng.integers(0, 2, n)
    preds = np.where(rng.random(n) < 0.3, 1 - targets, targets)
    attribute = rng.random(n) < 0.2
    errors = preds != targets
    ideal = ideal_error_slice_precision(attribute, targets, preds, expected_class=1)
    for _ in range(50):
        # Any membership that puts only errors above 0.5 scores at most the ideal error slice.
        membership = np.where(errors, rng.random(n), rng.random(n) * 0.5)[:, None]
        assert paper_precision_at_10(membership, attribute, targets, 1) <= ideal + 1e-12
    best = (errors & attribute & (targets == 1)).astype(float)[:, None]
    assert paper_precision_at_10(best, attribute, targets, 1) == pytest.approx(ideal)


def test_ideal_error_slice_metrics_score_accepted_bootstraps_only() -> None:
    predictions = pd.DataFrame(
        {
            "dicom_id": [f"d{i}" for i in range(8)],
            "bootstrap": [0, 0, 0, 0, 1, 1, 1, 1],
            "target": [1, 1, 0, 0, 1, 1, 0, 0],
            "pred": [0, 0, 0, 1, 0, 1, 0, 0],
            "attribute": [True, True, False, True, True, True, False, False],
            "in_slice": [True, True, False, False, True, True, False, False],
            "accepted": [True] * 4 + [False] * 4,
        }
    )
    table = ideal_error_slice_metrics(predictions, scenario="noisy_label")
    assert table.to_dict("records") == [
        {
            "scenario": "noisy_label",
            "variant": "all",
            "bootstrap": 0,
            "classifier": 0,
            "method": "ideal_error_slice",
            "metric": "paper_precision_at_10",
            "value": pytest.approx(0.2),
        }
    ]
    assert ideal_error_slice_metrics(predictions.drop(columns="in_slice"), scenario="x").empty
