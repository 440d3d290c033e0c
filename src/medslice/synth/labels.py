"""CheXpert, NegBio and labelled-test-set tables derived from the reports and the ground truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from medslice.mimic.schemas import LABEL_COLUMNS, LABEL_NAMES
from medslice.synth.config import FINDINGS
from medslice.synth.phrases import DEVICES_LABEL, LABEL_OF

NO_FINDING = "No Finding"
_OTHER_FINDINGS = [name for name in LABEL_NAMES if name not in (NO_FINDING, DEVICES_LABEL)]


def chexpert_table(studies: pd.DataFrame, report_labels: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """One row per study: the labels each report implies (1.0, 0.0, -1.0, or NaN when not mentioned)."""
    values = np.full((len(studies), len(LABEL_NAMES)), np.nan)
    column = {name: k for k, name in enumerate(LABEL_NAMES)}
    for row, labels in enumerate(report_labels):
        for name, value in labels.items():
            values[row, column[name]] = value
    table = pd.DataFrame(values, columns=list(LABEL_NAMES))
    table.insert(0, "study_id", studies["study_id"].to_numpy())
    table.insert(0, "subject_id", studies["subject_id"].to_numpy())
    return table[list(LABEL_COLUMNS)].sort_values(["subject_id", "study_id"]).reset_index(drop=True)


def _recompute_no_finding(values: pd.DataFrame) -> pd.Series:
    """No Finding is 1.0 when no finding other than Support Devices is positive or uncertain, else blank."""
    active = values[_OTHER_FINDINGS].isin([1.0, -1.0]).any(axis=1)
    return pd.Series(np.where(active, np.nan, 1.0), index=values.index)


def negbio_table(rng: np.random.Generator, chexpert: pd.DataFrame, share: float) -> pd.DataFrame:
    """NegBio's labels: CheXpert's, with a small share of mentioned cells read differently.

    NegBio is known to resolve hedges and negations differently: an uncertain mention may become positive
    or negative, a positive one uncertain, a negation may be missed (blank).
    """
    table = chexpert.copy()
    cells = table[[*_OTHER_FINDINGS, DEVICES_LABEL]].to_numpy(copy=True)
    flip = ~np.isnan(cells) & (rng.random(cells.shape) < share)
    roll = rng.random(cells.shape)
    changed = np.where(
        cells == -1.0,
        np.where(roll < 0.6, 1.0, 0.0),
        np.where(cells == 1.0, -1.0, np.nan),
    )
    cells = np.where(flip, changed, cells)
    table[[*_OTHER_FINDINGS, DEVICES_LABEL]] = cells
    table[NO_FINDING] = _recompute_no_finding(table)
    return table[list(LABEL_COLUMNS)]


def true_label_table(studies: pd.DataFrame, opacity_name: str) -> pd.DataFrame:
    """The labelled test set: a radiologist's true labels (1.0/0.0) of each given study."""
    table = pd.DataFrame({"study_id": studies["study_id"].to_numpy()})
    any_finding = np.zeros(len(studies), dtype=bool)
    for name in LABEL_NAMES:
        if name == NO_FINDING:
            continue
        if name == DEVICES_LABEL:
            present = studies["support_devices"].to_numpy(dtype=bool)
        else:
            finding = next(f for f in FINDINGS if LABEL_OF[f] == name)
            present = studies[finding].to_numpy(dtype=bool)
            any_finding |= present
        table[name] = present.astype(np.float64)
    table[NO_FINDING] = (~any_finding).astype(np.float64)
    table = table[["study_id", *LABEL_NAMES]]
    return table.rename(columns={"Lung Opacity": opacity_name}).sort_values("study_id").reset_index(drop=True)
