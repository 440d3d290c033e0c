"""Validate a user's own predictions table so it can be audited without failure injection.

The checks come in two parts so that a bad file is refused before a run spends minutes on ingestion and
embedding: :func:`check_predictions_table` needs the table alone (a pre-run hook calls it), and
:func:`validate_predictions` adds the checks that need the cohort and the slicer's minimum audit size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from medslice.errors import BadValueError
from medslice.scenarios.bootstrap import PREDICTION_COLUMNS

REQUIRED_COLUMNS: tuple[str, ...] = ("dicom_id", "target", "prob")
_SHOWN = 5  # how many offending ids or rows an error message lists
_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}

logger = logging.getLogger(__name__)


class PredictionsError(BadValueError):
    """A user predictions table is malformed; the message names the rows or ids at fault."""


def _rows(frame: pd.DataFrame, mask: pd.Series) -> str:
    """``row <index> (dicom_id ...)`` for the first offending rows, plus a count of the rest."""
    bad = frame.loc[mask]
    shown = ", ".join(f"row {i!r} (dicom_id {d!r})" for i, d in bad["dicom_id"].head(_SHOWN).items())
    more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    return shown + more


def _column_hint(columns: Iterable[object]) -> str:
    """Why the required columns may look absent: another separator, or names differing in case or spaces."""
    names = [str(c) for c in columns]
    for separator, word in _SEPARATORS.items():
        if any(separator in name for name in names):
            return f"; the file seems to be separated by {word}: write it comma-separated"
    renames = {
        name: required
        for name in names
        for required in REQUIRED_COLUMNS
        if name != required and name.strip().lower() == required
    }
    if renames:
        shown = ", ".join(f"{name!r} -> {required!r}" for name, required in renames.items())
        return f"; column names are case- and space-sensitive: rename {shown}"
    return ""


def check_predictions_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Check a predictions table on its own and return it in the standard predictions form.

    The table needs ``dicom_id``, ``target`` (0/1) and ``prob`` (probability of class 1), and may
    have ``bootstrap``. Raises ``PredictionsError`` for missing columns (showing the columns found), a
    table without rows, missing ids, probabilities that are missing, non-numeric or outside [0, 1]
    (naming the rows), missing or non-binary targets, bad bootstrap values and duplicate ids per
    bootstrap.

    Returns a frame with ``PREDICTION_COLUMNS``: ``bootstrap`` 0 when absent, ``classifier`` equal to
    ``bootstrap`` (how the bootstraps share classifiers is not known), ``pred = prob >=
    0.5``, ``in_slice``/``attribute`` missing (nothing was injected) and ``accepted`` True.
    """
    if not isinstance(predictions, pd.DataFrame):
        raise PredictionsError(f"predictions must be a DataFrame, got {type(predictions).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in predictions.columns]
    if missing:
        found = [str(c) for c in predictions.columns]
        raise PredictionsError(
            f"predictions lack column(s) {missing}; required: {list(REQUIRED_COLUMNS)} (optional: "
            f"bootstrap); found: {found}{_column_hint(found)}"
        )
    if predictions.empty:
        # Caught here: an empty table would pass every row check and fail later inside pandas.
        raise PredictionsError(
            f"predictions table has no rows; it needs one row per audited image with columns "
            f"{list(REQUIRED_COLUMNS)} (optional: bootstrap)"
        )
    frame = predictions.copy()
    if frame["dicom_id"].isna().any():
        raise PredictionsError(f"missing dicom_id at {_rows(frame, frame['dicom_id'].isna())}")
    frame["dicom_id"] = frame["dicom_id"].astype(str)

    prob = pd.to_numeric(frame["prob"], errors="coerce").astype("float64")
    if prob.isna().any():
        raise PredictionsError(f"prob is missing or not a number at {_rows(frame, prob.isna())}")
    outside = (prob < 0) | (prob > 1)
    if outside.any():
        raise PredictionsError(f"prob lies outside [0, 1] at {_rows(frame, outside)}{_scale_hint(prob)}")

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
            "classifier": frame["bootstrap"],  # unknown: each bootstrap counts as its own classifier
            "target": target.astype("int64"),
            "prob": prob,
            "pred": (prob >= 0.5).astype("int64"),
            "in_slice": pd.array([pd.NA] * len(frame), dtype="boolean"),
            "attribute": pd.array([pd.NA] * len(frame), dtype="boolean"),
            "accepted": True,
        }
    )
    return out.loc[:, list(PREDICTION_COLUMNS)].reset_index(drop=True)


def _scale_hint(prob: pd.Series) -> str:
    """A guess at what out-of-range probabilities are: percentages or logits."""
    if (prob >= 0).all() and (prob <= 100).all():
        return "; they look like percentages: divide prob by 100"
    if (prob < 0).any():
        return "; negative values look like logits: apply a sigmoid to get probabilities"
    return ""


def validate_predictions(
    predictions: pd.DataFrame,
    cohort: pd.DataFrame,
    *,
    release_ids: Iterable[str] | None = None,
    min_rows_per_bootstrap: int = 1,
) -> pd.DataFrame:
    """Check a predictions table against the cohort and return it in the standard predictions form.

    Runs :func:`check_predictions_table`, then refuses ids unknown to the cohort (listing the first
    few; with ``release_ids``, those in the release but left out of the cohort by the ingestion
    settings are told apart from those in neither) and bootstraps with fewer than
    ``min_rows_per_bootstrap`` rows (the slicer's minimum audit size, e.g. Domino's mixture
    components).

    Warnings, not errors: a ``pred`` column of the user's that disagrees with ``prob >= 0.5`` (it is
    replaced), a bootstrap whose probabilities rank the classes backwards (AUROC below 0.5), and a
    bootstrap in which slice discovery can find nothing (a single target class or no error).
    """
    out = check_predictions_table(predictions)
    if "dicom_id" not in cohort.columns:
        raise PredictionsError("cohort lacks the dicom_id column")
    unknown = ~out["dicom_id"].isin(cohort["dicom_id"].astype(str))
    if unknown.any():
        ids = out.loc[unknown, "dicom_id"].drop_duplicates()
        raise PredictionsError(_unknown_ids_message(ids, release_ids))
    check_rows_per_bootstrap(out, min_rows_per_bootstrap)
    _warn_about_own_decisions(predictions, out)
    _warn_about_reversed_probabilities(out)
    _warn_about_sliceless_bootstraps(out)
    return out


def check_rows_per_bootstrap(predictions: pd.DataFrame, minimum: int) -> None:
    """Refuse bootstraps with fewer than ``minimum`` rows, the slicer's minimum audit size."""
    sizes = predictions.groupby("bootstrap").size()
    small = sizes[sizes < minimum]
    if len(small):
        shown = ", ".join(f"bootstrap {b} has {n}" for b, n in small.head(_SHOWN).items())
        raise PredictionsError(
            f"each bootstrap needs at least {minimum} rows, the slicer's minimum audit size "
            f"(slice_discovery.slicer.n_mixture_components for Domino), but {shown}; give it more rows or "
            "lower n_mixture_components (and n_slices, which cannot exceed it) with --params"
        )


def _unknown_ids_message(ids: pd.Series, release_ids: Iterable[str] | None) -> str:
    """Name the ids the cohort lacks, and whether the release has them (the ingestion settings cut those)."""
    message = f"{len(ids)} dicom_id(s) are not in the cohort, e.g. {ids.head(_SHOWN).tolist()}"
    if release_ids is None:
        return message
    in_release = ids.isin(pd.Index(list(release_ids)).astype(str))
    parts = []
    if in_release.any():
        parts.append(
            f"{int(in_release.sum())} are in the release but left out of the cohort by the ingestion "
            "settings (ingestion.cohort.view_filter, splits, one_image_per_study, labeler, or a missing or "
            "mismatched JPEG; ingestion_qa.json counts each exclusion), "
            f"e.g. {ids[in_release].head(_SHOWN).tolist()}"
        )
    if (~in_release).any():
        parts.append(
            f"{int((~in_release).sum())} are not in the release at all (another release or environment?), "
            f"e.g. {ids[~in_release].head(_SHOWN).tolist()}"
        )
    return f"{len(ids)} dicom_id(s) are not in the cohort: " + "; ".join(parts)


def _warn_about_own_decisions(predictions: pd.DataFrame, out: pd.DataFrame) -> None:
    """A user's own ``pred`` column is replaced by ``prob >= 0.5``; say so when they disagree."""
    if "pred" not in predictions.columns:
        return
    own = pd.to_numeric(predictions["pred"].reset_index(drop=True), errors="coerce")
    differ = int((own != out["pred"]).sum())
    if differ:
        logger.warning(
            "user predictions: your pred column is ignored, and %d of %d rows differ from "
            "pred = prob >= 0.5; to audit decisions at another threshold, write them as 0/1 into prob",
            differ,
            len(out),
        )


def _warn_about_reversed_probabilities(predictions: pd.DataFrame) -> None:
    """Probabilities of class 0 pass every check but audit a mirror image of the classifier; warn."""
    for bootstrap, group in predictions.groupby("bootstrap", sort=True):
        if group["target"].nunique() < 2:
            continue
        auroc = roc_auc_score(group["target"], group["prob"])
        if auroc < 0.5:
            logger.warning(
                "user predictions, bootstrap %d: AUROC of prob against target is %.2f, below chance; "
                "is prob the probability of class 0? It must be the probability of class 1",
                bootstrap,
                auroc,
            )


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
