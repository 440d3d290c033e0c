"""The official-style patient-disjoint train/validate/test split."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from medslice.mimic.schemas import SPLIT_COLUMNS

MIN_SUBJECTS_FOR_HELD_OUT = 3


def assign_subject_splits(
    rng: np.random.Generator, subject_ids: np.ndarray, fractions: Mapping[str, float]
) -> dict[int, str]:
    """Map each subject to ``train``, ``validate`` or ``test``; held-out sets get at least one subject."""
    n = len(subject_ids)
    order = rng.permutation(n)
    split = np.full(n, "train", dtype=object)
    if n >= MIN_SUBJECTS_FOR_HELD_OUT:
        n_validate = max(1, round(fractions["validate"] * n))
        n_test = max(1, round(fractions["test"] * n))
        split[order[:n_validate]] = "validate"
        split[order[n_validate : n_validate + n_test]] = "test"
    return dict(zip(subject_ids.tolist(), split.tolist(), strict=True))


def split_table(images: pd.DataFrame, subject_split: Mapping[int, str]) -> pd.DataFrame:
    """``mimic-cxr-2.0.0-split.csv.gz``: one row per image with its subject's split."""
    table = images[["dicom_id", "study_id", "subject_id"]].copy()
    table["split"] = table["subject_id"].map(subject_split)
    return table[list(SPLIT_COLUMNS)].reset_index(drop=True)
