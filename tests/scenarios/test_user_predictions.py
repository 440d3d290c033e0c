"""validate_predictions: a user's predictions table is checked row by row against the cohort."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from medslice.scenarios import PREDICTION_COLUMNS, PredictionsError, validate_predictions


@pytest.fixture
def table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Ten valid predictions for the cohort's first ten images."""
    return pd.DataFrame(
        {
            "dicom_id": cohort["dicom_id"].iloc[:10].to_numpy(),
            "target": [0, 1] * 5,
            "prob": np.linspace(0.0, 1.0, 10),
        }
    )


def test_valid_table_is_normalised(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    out = validate_predictions(table, cohort)
    assert list(out.columns) == list(PREDICTION_COLUMNS)
    assert (out["bootstrap"] == 0).all()
    assert out["pred"].tolist() == (table["prob"] >= 0.5).astype(int).tolist()
    assert out["in_slice"].isna().all() and out["attribute"].isna().all()
    assert out["target"].dtype == np.int64 and out["prob"].dtype == np.float64


def test_bootstrap_column_is_kept_and_ids_may_repeat_across_bootstraps(
    table: pd.DataFrame, cohort: pd.DataFrame
) -> None:
    both = pd.concat([table.assign(bootstrap=0), table.assign(bootstrap=1)], ignore_index=True)
    out = validate_predictions(both, cohort)
    assert sorted(out["bootstrap"].unique()) == [0, 1] and len(out) == 20


def test_unknown_ids_are_listed(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    table.loc[[2, 3], "dicom_id"] = ["not-an-image-1", "not-an-image-2"]
    with pytest.raises(PredictionsError, match="2 dicom_id.*not-an-image-1.*not-an-image-2"):
        validate_predictions(table, cohort)


@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_probabilities_outside_unit_interval_name_the_row(
    table: pd.DataFrame, cohort: pd.DataFrame, bad: float
) -> None:
    table.loc[4, "prob"] = bad
    with pytest.raises(PredictionsError, match=r"outside \[0, 1\] at row 4"):
        validate_predictions(table, cohort)


def test_missing_probability_names_the_row(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    table.loc[7, "prob"] = np.nan
    with pytest.raises(PredictionsError, match="prob is missing or not a number at row 7"):
        validate_predictions(table, cohort)


def test_duplicate_ids_are_refused(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    doubled = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    with pytest.raises(PredictionsError, match="duplicate dicom_id.*row 0.*row 10"):
        validate_predictions(doubled, cohort)


def test_missing_target_names_the_row(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    table["target"] = table["target"].astype("float64")
    table.loc[1, "target"] = np.nan
    with pytest.raises(PredictionsError, match="target is missing or not 0/1 at row 1"):
        validate_predictions(table, cohort)


def test_a_text_target_is_named_as_not_0_or_1(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    table["target"] = table["target"].astype(object)
    table.loc[3, "target"] = "yes"
    with pytest.raises(PredictionsError, match="target is missing or not 0/1 at row 3"):
        validate_predictions(table, cohort)


def test_non_binary_target_is_refused(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    table.loc[5, "target"] = 2
    with pytest.raises(PredictionsError, match="target must be 0 or 1 at row 5"):
        validate_predictions(table, cohort)


def test_missing_columns_are_named(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    with pytest.raises(PredictionsError, match=r"lack column\(s\) \['prob'\]"):
        validate_predictions(table.drop(columns="prob"), cohort)


def test_a_table_without_rows_is_refused(table: pd.DataFrame, cohort: pd.DataFrame) -> None:
    # A header without rows once passed and failed later inside pandas ("No objects to concatenate").
    with pytest.raises(PredictionsError, match=r"no rows.*columns \['dicom_id', 'target', 'prob'\]"):
        validate_predictions(table.iloc[:0], cohort)


def test_a_bootstrap_without_errors_is_valid_but_warned_about(
    table: pd.DataFrame, cohort: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    perfect = table.assign(prob=table["target"].astype(float), bootstrap=1)
    one_class = table.assign(target=1, bootstrap=2)  # has errors, but a single target class
    usable = table.assign(bootstrap=0)  # prob = linspace(0, 1) against 0/1 targets: some errors
    frame = pd.concat([usable, perfect, one_class], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="medslice.scenarios.user_predictions"):
        out = validate_predictions(frame, cohort)
    assert len(out) == 30 and (out["pred"] == (out["prob"] >= 0.5)).all()  # the result is unchanged
    messages = [r.getMessage() for r in caplog.records if r.name == "medslice.scenarios.user_predictions"]
    assert len(messages) == 2
    assert "bootstrap 1: slice discovery will find no slices" in messages[0]
    assert "no case is misclassified (pred = prob >= 0.5 equals target everywhere)" in messages[0]
    assert "bootstrap 2: slice discovery will find no slices" in messages[1]
    assert "targets are all 1 (a single class" in messages[1]
    assert all(r.levelno == logging.WARNING for r in caplog.records)


def test_a_usable_table_logs_nothing(
    table: pd.DataFrame, cohort: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="medslice.scenarios.user_predictions"):
        validate_predictions(table, cohort)
    assert not [r for r in caplog.records if r.name == "medslice.scenarios.user_predictions"]
