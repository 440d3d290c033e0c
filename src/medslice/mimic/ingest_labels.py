"""Build the labels table: the raw CheXpert and NegBio labels of every study, in long form."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.mimic import schemas
from medslice.mimic.reader import MimicCxrJpg

LABELERS: tuple[str, ...] = ("chexpert", "negbio")
LABELS_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "study_id",
    "labeler",
    *schemas.LABEL_COLUMNS_SNAKE,
)


def _long_labels(frame: pd.DataFrame, labeler: str, file_name: str) -> pd.DataFrame:
    """One labeler's table with snake_case label names, float32 values and a ``labeler`` column."""
    duplicated = frame.duplicated(["subject_id", "study_id"], keep=False)
    if duplicated.any():
        studies = pd.unique(frame.loc[duplicated, "study_id"])[:10].tolist()
        raise BadValueError(f"{file_name}: studies listed more than once, e.g. {studies}")
    out = pd.DataFrame(
        {
            "subject_id": frame["subject_id"].astype(np.int64),
            "study_id": frame["study_id"].astype(np.int64),
            "labeler": labeler,
        }
    )
    for name in schemas.LABEL_NAMES:
        out[schemas.snake_label(name)] = frame[name].astype(np.float32)
    return out


def build_labels_table(release: MimicCxrJpg) -> tuple[pd.DataFrame, dict]:
    """Both labelers' raw labels: ``subject_id, study_id, labeler`` and the 14 snake_case labels.

    Values stay raw (1.0 positive, 0.0 negative, -1.0 uncertain, NaN not mentioned, as float32); the
    uncertainty policy is applied when the cohort is built. A study listed twice by one labeler is a
    ValueError naming the file.
    """
    chexpert = _long_labels(release.chexpert(), "chexpert", schemas.CHEXPERT_FILE)
    negbio = _long_labels(release.negbio(), "negbio", schemas.NEGBIO_FILE)
    table = pd.concat([chexpert, negbio], ignore_index=True)
    test_set = release.test_set_labeled()
    label_counts = {
        labeler: {
            name: {
                "positive": int((part[name] == 1).sum()),
                "negative": int((part[name] == 0).sum()),
                "uncertain": int((part[name] == -1).sum()),
                "blank": int(part[name].isna().sum()),
            }
            for name in schemas.LABEL_COLUMNS_SNAKE
        }
        for labeler, part in (("chexpert", chexpert), ("negbio", negbio))
    }
    qa = {
        "labels": {
            "studies": {"chexpert": len(chexpert), "negbio": len(negbio)},
            "test_set_labeled_studies": None if test_set is None else len(test_set),
            "value_counts": label_counts,
        }
    }
    return table[list(LABELS_COLUMNS)], qa
