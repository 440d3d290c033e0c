"""validate_predictions: a user's predictions table is checked row by row against the cohort."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from medslice.pipelines.failure_injection.nodes import validate_user_predictions
from medslice.scenarios import (
    PREDICTION_COLUMNS,
    PredictionsError,
    check_predictions_table,
    validate_predictions,
)


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


def test_missing_columns_show_the_columns_found_and_a_separator_hint(table: pd.DataFrame) -> None:
    # a semicolon-separated file read as CSV arrives as one column named by the whole header
    one_column = pd.DataFrame({"dicom_id;target;prob": ["a;1;0.5"]})
    with pytest.raises(PredictionsError, match=r"found: \['dicom_id;target;prob'\].*separated by semicolons"):
        check_predictions_table(one_column)


def test_missing_columns_suggest_renames_for_case_and_spaces(table: pd.DataFrame) -> None:
    renamed = table.rename(columns={"dicom_id": "DICOM_ID", "prob": " prob"})
    expected = r"case- and space-sensitive: rename 'DICOM_ID' -> 'dicom_id', ' prob' -> 'prob'"
    with pytest.raises(PredictionsError, match=expected):
        check_predictions_table(renamed)


def test_percentages_and_logits_are_recognised(table: pd.DataFrame) -> None:
    with pytest.raises(PredictionsError, match="look like percentages: divide prob by 100"):
        check_predictions_table(table.assign(prob=table["prob"] * 100))
    with pytest.raises(PredictionsError, match="look like logits: apply a sigmoid"):
        check_predictions_table(table.assign(prob=table["prob"] * 8 - 4))


def test_ids_left_out_by_ingestion_are_told_apart_from_foreign_ids(
    table: pd.DataFrame, cohort: pd.DataFrame
) -> None:
    narrowed = cohort.iloc[2:]  # as if a view filter had dropped the first two images
    table.loc[9, "dicom_id"] = "from-another-release"
    release = cohort["dicom_id"]
    with pytest.raises(PredictionsError) as raised:
        validate_predictions(table, narrowed, release_ids=release)
    message = str(raised.value)
    assert message.startswith("3 dicom_id(s) are not in the cohort")
    assert "2 are in the release but left out of the cohort by the ingestion settings" in message
    assert cohort["dicom_id"].iloc[0] in message and "view_filter" in message
    assert "1 are not in the release at all" in message and "from-another-release" in message


def test_a_bootstrap_smaller_than_the_slicers_minimum_is_refused(
    table: pd.DataFrame, cohort: pd.DataFrame
) -> None:
    two = pd.concat([table.assign(bootstrap=0), table.iloc[:4].assign(bootstrap=3)], ignore_index=True)
    with pytest.raises(PredictionsError, match=r"at least 6 rows.*but bootstrap 3 has 4.*n_slices"):
        validate_predictions(two, cohort, min_rows_per_bootstrap=6)
    assert len(validate_predictions(two, cohort, min_rows_per_bootstrap=4)) == 14


def test_a_users_own_decisions_are_replaced_with_a_warning(
    table: pd.DataFrame, cohort: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    own = table.assign(pred=(table["prob"] >= 0.3).astype(int))  # another operating point
    with caplog.at_level(logging.WARNING, logger="medslice.scenarios.user_predictions"):
        out = validate_predictions(own, cohort)
    assert out["pred"].tolist() == (table["prob"] >= 0.5).astype(int).tolist()
    differ = int(((table["prob"] >= 0.3) != (table["prob"] >= 0.5)).sum())
    assert differ > 0
    assert any(f"{differ} of 10 rows differ" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="medslice.scenarios.user_predictions"):
        validate_predictions(table.assign(pred=(table["prob"] >= 0.5).astype(int)), cohort)
    assert not caplog.records  # an agreeing pred column is simply redundant


def test_probabilities_of_the_wrong_class_are_warned_about(
    table: pd.DataFrame, cohort: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    ranked = table.assign(prob=np.where(table["target"] == 1, 0.8, 0.3))
    with caplog.at_level(logging.WARNING, logger="medslice.scenarios.user_predictions"):
        validate_predictions(ranked.assign(prob=1 - ranked["prob"]), cohort)
    assert any("AUROC of prob against target is 0.00, below chance" in r.getMessage() for r in caplog.records)


def test_the_node_takes_the_minimum_rows_from_the_slicer_settings(
    table: pd.DataFrame, cohort: pd.DataFrame
) -> None:
    images = cohort[["dicom_id"]]
    with pytest.raises(PredictionsError, match="at least 20 rows.*bootstrap 0 has 10"):
        validate_user_predictions(table, cohort, images, {"slicer": {"method": "domino"}})
    small = {"slicer": {"method": "domino", "n_slices": 2, "n_mixture_components": 4}}
    assert len(validate_user_predictions(table, cohort, images, small)) == 10
