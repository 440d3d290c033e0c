"""The predictions validator's hints fit the table, and its messages stay short whatever the table holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.scenarios.user_predictions import (
    PredictionsError,
    check_predictions_table,
    validate_predictions,
)


def _table(prob: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"dicom_id": [f"d{i}" for i in range(len(prob))], "target": [0, 1] * (len(prob) // 2), "prob": prob}
    )


def test_two_values_above_one_name_their_rows_not_percentages() -> None:
    prob = list(np.linspace(0.0, 1.0, 10))
    prob[3] = prob[7] = 1.7
    with pytest.raises(PredictionsError) as raised:
        check_predictions_table(_table(prob))
    message = str(raised.value)
    assert "percentages" not in message
    assert "row 3 (dicom_id 'd3')" in message and "row 7 (dicom_id 'd7')" in message


def test_a_column_of_percentages_is_still_recognised() -> None:
    with pytest.raises(PredictionsError, match="look like percentages: divide prob by 100"):
        check_predictions_table(_table(list(np.linspace(0.0, 100.0, 10))))


def test_unknown_junk_ids_give_a_bounded_message() -> None:
    n = 200_000
    ids = [f"{i:010d}" + "x" * 240 for i in range(n)]
    table = pd.DataFrame({"dicom_id": ids, "target": np.arange(n) % 2, "prob": np.full(n, 0.5)})
    cohort = pd.DataFrame({"dicom_id": ["a", "b"]})
    with pytest.raises(PredictionsError) as raised:
        validate_predictions(table, cohort, release_ids=["a", "b", ids[0]])
    message = str(raised.value)
    assert len(message) < 2_000
    assert "200,000 dicom_id(s) are not in the cohort" in message and "..." in message


@pytest.mark.parametrize(
    "junk",
    [
        {"prob": "not a number"},  # every row named as not a number
        {"target": 7},  # every row named as not 0/1
        {"dicom_id": "same" + "y" * 246},  # every row a duplicate
    ],
)
def test_table_wide_errors_on_junk_ids_stay_bounded(junk: dict) -> None:
    n = 200_000
    table = pd.DataFrame(
        {"dicom_id": [f"{i:010d}" + "x" * 240 for i in range(n)], "target": np.arange(n) % 2, "prob": 0.5}
    ).assign(**junk)
    with pytest.raises(PredictionsError) as raised:
        check_predictions_table(table)
    assert len(str(raised.value)) < 2_000 and "199,995 more" in str(raised.value)


def test_thousands_of_junk_columns_give_a_bounded_message() -> None:
    table = pd.DataFrame(np.zeros((1, 5_000)), columns=[f"column {i} " + "z" * 250 for i in range(5_000)])
    with pytest.raises(PredictionsError, match="lack column") as raised:
        check_predictions_table(table)
    assert len(str(raised.value)) < 2_000
