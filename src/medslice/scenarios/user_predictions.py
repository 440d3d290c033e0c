"""Validate a user's own predictions table so it can be audited without failure injection."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from medslice.scenarios.bootstrap import PREDICTION_COLUMNS

REQUIRED_COLUMNS: tuple[str, ...] = ("dicom_id", "target", "prob")
_SHOWN = 5  # how many offending ids or rows an error message lists

logger = logging.getLogger(__name__)


class PredictionsError(ValueError):
    """A user predictions table is malformed; the message names the rows or ids at fault."""


def _rows(frame: pd.DataFrame, mask: pd.Series) -> str:
    """``row <index> (dicom_id ...)`` for the first offending rows, plus a count of the rest."""
    bad = frame.loc[mask]
    shown = ", ".join(f"row {i!r} (dicom_id {d!r})" for i, d in bad["dicom_id"].head(_SHOWN).items())
    more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    return shown + more


def validate_predictions(predictions: pd.DataFrame, cohort: pd.DataFrame) -> pd.DataFrame:
    """Check a predictions table against the cohort and return it in the standard predictions form.

    The table needs ``dicom_id``, ``target`` (0/1) and ``prob`` (probability of class 1), and may
    have ``bootstrap``. Raises ``PredictionsError`` for missing columns, a table without rows, ids
    unknown to the cohort (listing the first few), probabilities that are missing, non-numeric or
    outside [0, 1] (naming the rows), duplicate ids (per bootstrap), and missing or non-binary
    targets.

    Returns a frame with ``PREDICTION_COLUMNS``: ``bootstrap`` 0 when absent, ``pred = prob >=
    0.5``, ``in_slice``/``attribute`` missing (nothing was injected) and ``accepted`` True. A
    bootstrap without a misclassified case, or with a single target class, is valid but leaves
    slice discovery nothing to find; a warning per such bootstrap says so.
    """
    if not isinstance(predictions, pd.DataFrame):
        raise PredictionsError(f"predictions must be a DataFrame, got {type(predictions).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in predictions.columns]
    if missing:
        raise PredictionsError(
            f"predictions lack column(s) {missing}; required: {list(REQUIRED_COLUMNS)} (optional: bootstrap)"
        )
    if predictions.empty:
        # Caught here: an empty table would pass every row check and fail later inside pandas.
        raise PredictionsError(
            f"predictions table has no rows; it needs one row per audited image with columns "
            f"{list(REQUIRED_COLUMNS)} (optional: bootstrap)"
        )
    if "dicom_id" not in cohort.columns:
        raise PredictionsError("cohort lacks the dicom_id column")
    frame = predictions.copy()
    if frame["dicom_id"].isna().any():
        raise PredictionsError(f"missing dicom_id at {_rows(frame, frame['dicom_id'].isna())}")
    frame["dicom_id"] = frame["dicom_id"].astype(str)

    unknown = ~frame["dicom_id"].isin(cohort["dicom_id"].astype(str))
    if unknown.any():
        ids = frame.loc[unknown, "dicom_id"].drop_duplicates()
        raise PredictionsError(
            f"{len(ids)} dicom_id(s) are not in the cohort, e.g. {ids.head(_SHOWN).tolist()}"
        )

    prob = pd.to_numeric(frame["prob"], errors="coerce").astype("float64")
    if prob.isna().any():
        raise PredictionsError(f"prob is missing or not a number at {_rows(frame, prob.isna())}")
    outside = (prob < 0) | (prob > 1)
    if outside.any():
        raise PredictionsError(f"prob lies outside [0, 1] at {_rows(frame, outside)}")

    target = pd.to_numeric(frame["target"], errors="coerce")
    if target.isna().any():
        raise PredictionsError(f"target is missing or not 0/1 at {_rows(frame, target.isna())}")
    if not target.isin([0, 1]).all():
        raise PredictionsError(f"target must be 0 or 1 at {_rows(frame, ~target.isin([0, 1]))}")

    if "bootstrap" in frame.columns:
        bootstrap = pd.to_numeric(frame["bootstrap"], errors="coerce")
        invalid = bootstrap.isna() | (bootstrap < 0) | (bootstrap != np.floor(bootstrap))
        if invalid.any():
            raise PredictionsError(f"bootstrap must be a non-negative integer at {_rows(frame, invalid)}")
    else:
        bootstrap = pd.Series(0, index=frame.index)
    frame["bootstrap"] = bootstrap.astype("int64")

    duplicated = frame.duplicated(["bootstrap", "dicom_id"], keep=False)
    if duplicated.any():
        raise PredictionsError(f"duplicate dicom_id within a bootstrap at {_rows(frame, duplicated)}")

    out = pd.DataFrame(
        {
            "dicom_id": frame["dicom_id"],
            "bootstrap": frame["bootstrap"],
            "target": target.astype("int64"),
            "prob": prob,
            "pred": (prob >= 0.5).astype("int64"),
            "in_slice": pd.array([pd.NA] * len(frame), dtype="boolean"),
            "attribute": pd.array([pd.NA] * len(frame), dtype="boolean"),
            "accepted": True,
        }
    )
    _warn_about_sliceless_bootstraps(out)
    return out.loc[:, list(PREDICTION_COLUMNS)].reset_index(drop=True)


def _warn_about_sliceless_bootstraps(predictions: pd.DataFrame) -> None:
    """Log one warning per bootstrap in which slice discovery cannot find a slice.

    Such a table is valid, but the run would end with empty slices and no hint why; the reasons are
    those slice discovery itself reports (``medslice.slicing.base.degenerate_reasons``).
    """
    for bootstrap, group in predictions.groupby("bootstrap", sort=True):
        reasons = []
        classes = sorted(group["target"].unique().tolist())
        if len(classes) < 2:
            reasons.append(
                f"its targets are all {classes[0]} (a single class, so errors cannot be contrasted "
                "across classes)"
            )
        if (group["pred"] == group["target"]).all():
            reasons.append("no case is misclassified (pred = prob >= 0.5 equals target everywhere)")
        if reasons:
            logger.warning(
                "user predictions, bootstrap %d: slice discovery will find no slices because %s",
                bootstrap,
                " and ".join(reasons),
            )
