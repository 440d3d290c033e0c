"""Validate a user's own predictions table so it can be audited without failure injection.

The checks come in two parts so that a bad file is refused before a run spends minutes on ingestion and
embedding: :func:`check_predictions_table` needs the table alone (a pre-run hook calls it), and
:func:`validate_predictions` adds the checks that need the cohort and the slicer's minimum audit size.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from medslice.errors import BadValueError
from medslice.scenarios.bootstrap import PREDICTION_COLUMNS

REQUIRED_COLUMNS: tuple[str, ...] = ("dicom_id", "target", "prob")
_SHOWN = 5  # how many offending ids or rows an error message lists
_SHOWN_CHARACTERS = 60  # how much of each offending value it shows: a whole MIMIC dicom_id (44), no more
_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}

logger = logging.getLogger(__name__)


class PredictionsError(BadValueError):
    """A user predictions table is malformed; the message names the rows or ids at fault."""


def _short(value: object) -> str:
    """``repr(value)`` cut to :data:`_SHOWN_CHARACTERS` characters, with ``...`` when cut."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[:_SHOWN_CHARACTERS] + "..."


def _listed(values: Iterable[object]) -> str:
    """The first :data:`_SHOWN` values, each shortened, plus a count of the rest: a bounded list."""
    values = list(values)
    shown = "[" + ", ".join(_short(v) for v in values[:_SHOWN]) + "]"
    return shown + (f" and {len(values) - _SHOWN:,} more" if len(values) > _SHOWN else "")


def _rows(frame: pd.DataFrame, mask: pd.Series) -> str:
    """``row <index> (dicom_id ...)`` for the first offending rows, plus a count of the rest."""
    bad = frame.loc[np.asarray(mask, dtype=bool)]
    shown = ", ".join(
        f"row {_short(i)} (dicom_id {_short(d)})" for i, d in bad["dicom_id"].head(_SHOWN).items()
    )
    more = f" and {len(bad) - _SHOWN:,} more" if len(bad) > _SHOWN else ""
    return shown + more


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_numbers(values: pd.Series) -> pd.Series:
    """``values`` as float64, NaN where a cell is not a number.

    ``pd.to_numeric`` raises, even with ``errors="coerce"``, on cells such as lists, dicts or bytes,
    which a DataFrame built in Python may hold; those cells are numbers nowhere, so they become NaN.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_complex_dtype(values):
        return values.astype("float64")
    try:
        numbers = pd.to_numeric(values, errors="coerce")
        if not pd.api.types.is_complex_dtype(numbers):
            return numbers.astype("float64")
    except (TypeError, ValueError, OverflowError):
        pass
    return pd.Series([_as_number(v) for v in values], index=values.index, dtype="float64")


def _as_number(value: object) -> float:
    """One cell as a float, NaN when it is not a real number or its text."""
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range is still a number, just out of any range
            return math.copysign(math.inf, value)  # type: ignore[arg-type]
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


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
        shown = ", ".join(
            f"{_short(name)} -> {required!r}" for name, required in list(renames.items())[:_SHOWN]
        )
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
            f"bootstrap); found: {_listed(found)}{_column_hint(found)}"
        )
    twice = predictions.columns[predictions.columns.duplicated()]
    if len(twice):
        # Caught here: a repeated column reads as a table, not a column, and every check below would fail.
        raise PredictionsError(f"predictions have column(s) {_listed(dict.fromkeys(twice))} more than once")
    if predictions.empty:
        # Caught here: an empty table would pass every row check and fail later inside pandas.
        raise PredictionsError(
            f"predictions table has no rows; it needs one row per audited image with columns "
            f"{list(REQUIRED_COLUMNS)} (optional: bootstrap)"
        )
    # Rows are named by position (a CSV's row number): a user's own index may repeat labels.
    frame = predictions.reset_index(drop=True)
    if frame["dicom_id"].isna().any():
        raise PredictionsError(f"missing dicom_id at {_rows(frame, frame['dicom_id'].isna())}")
    try:
        frame["dicom_id"] = frame["dicom_id"].astype(str)
    except UnicodeDecodeError:
        # pandas decodes bytes ids as UTF-8; ids read from a binary column may not be text at all.
        undecodable = frame["dicom_id"].map(lambda v: isinstance(v, bytes) and not _is_utf8(v))
        raise PredictionsError(
            f"dicom_id holds bytes that are not UTF-8 text at {_rows(frame, undecodable)}"
        ) from None

    prob = _as_numbers(frame["prob"])
    if prob.isna().any():
        raise PredictionsError(f"prob is missing or not a number at {_rows(frame, prob.isna())}")
    outside = (prob < 0) | (prob > 1)
    if outside.any():
        raise PredictionsError(f"prob lies outside [0, 1] at {_rows(frame, outside)}{_scale_hint(prob)}")

    target = _as_numbers(frame["target"])
    if target.isna().any():
        raise PredictionsError(f"target is missing or not 0/1 at {_rows(frame, target.isna())}")
    if not target.isin([0, 1]).all():
        raise PredictionsError(f"target must be 0 or 1 at {_rows(frame, ~target.isin([0, 1]))}")

    if "bootstrap" in frame.columns:
        bootstrap = _as_numbers(frame["bootstrap"])
        # Bounded so that it fits int64 exactly; no audit has 2**31 bootstraps.
        invalid = ~np.isfinite(bootstrap) | (bootstrap < 0) | (bootstrap >= 2**31)
        invalid |= bootstrap != np.floor(bootstrap.where(~invalid, 0))
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
    """A guess at what out-of-range probabilities are: percentages or logits, or nothing.

    Percentages only when the column reads like them: every value within [0, 100] and most above 1. A
    few values such as 1.7 among probabilities are errors in those rows, not a column on another scale.
    """
    if (prob >= 0).all() and (prob <= 100).all() and (prob > 1).mean() > 0.5:
        return "; they look like percentages: divide prob by 100"
    if (prob < 0).any() and ((prob < 0) | (prob > 1)).mean() > 0.5:
        return "; negative values look like logits: apply a sigmoid to get probabilities"
    return "; every prob must be a probability of class 1, between 0 and 1"


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
    message = f"{len(ids):,} dicom_id(s) are not in the cohort, e.g. {_listed(ids.head(_SHOWN))}"
    if release_ids is None:
        return message
    in_release = ids.isin(pd.Index(list(release_ids)).astype(str))
    parts = []
    if in_release.any():
        parts.append(
            f"{int(in_release.sum())} are in the release but left out of the cohort by the ingestion "
            "settings (ingestion.cohort.view_filter, splits, one_image_per_study, labeler, or a missing or "
            "mismatched JPEG; ingestion_qa.json counts each exclusion), "
            f"e.g. {_listed(ids[in_release].head(_SHOWN))}"
        )
    if (~in_release).any():
        parts.append(
            f"{int((~in_release).sum())} are not in the release at all (another release or environment?), "
            f"e.g. {_listed(ids[~in_release].head(_SHOWN))}"
        )
    return f"{len(ids):,} dicom_id(s) are not in the cohort: " + "; ".join(parts)


def _warn_about_own_decisions(predictions: pd.DataFrame, out: pd.DataFrame) -> None:
    """A user's own ``pred`` column is replaced by ``prob >= 0.5``; say so when they disagree."""
    if "pred" not in predictions.columns:
        return
    own = _as_numbers(predictions["pred"].reset_index(drop=True))
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
