"""A hand-made six-image MIMIC-CXR-JPG release, written with our writer, for the ingestion tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from medslice.mimic import schemas
from medslice.mimic.writer import write_release, write_reports


def dicom(i: int) -> str:
    """A valid dicom_id: five dash-joined groups of 8 hex characters."""
    return "-".join(f"{i * 7 + k:08x}" for k in range(5))


DICOM_IDS = [dicom(i) for i in range(6)]
# (dicom_id, subject, study, view, procedure, rows, columns, StudyTime)
IMAGES = [
    (DICOM_IDS[0], 10000032, 50414267, "PA", "CHEST (PA AND LAT)", 16, 12, 80556.875),
    (DICOM_IDS[1], 10000032, 50414267, "LATERAL", "CHEST (PA AND LAT)", 16, 12, 80556.875),
    (DICOM_IDS[2], 10000032, 50000001, "AP", "CHEST (PORTABLE AP)", 12, 16, 213014.531),
    (DICOM_IDS[3], 11000001, 51000001, "AP", "CHEST PORT. LINE PLACEMENT", 12, 12, 155645.0),
    (DICOM_IDS[4], 12000002, 52000002, None, "CHEST (PRE-OP PA AND LAT)", 8, 16, 1234.5),
    (DICOM_IDS[5], 12000002, 52000002, "LL", "CHEST (PRE-OP PA AND LAT)", 16, 8, 1234.5),
]
SPLITS = ["train", "train", "train", "validate", "test", "test"]
STUDIES = [(10000032, 50414267), (10000032, 50000001), (11000001, 51000001), (12000002, 52000002)]
STUDY_WITHOUT_REPORT = 52000002

_VIEW_MEANING = {"PA": "postero-anterior", "AP": "antero-posterior", "LATERAL": "lateral"}
_VIEW_MEANING["LL"] = "left lateral"
_ORIENTATION = {"PA": "Erect", "LATERAL": "Erect", "AP": "Recumbent", "LL": "Erect"}


def metadata_frame() -> pd.DataFrame:
    """The metadata table, columns in canonical order."""
    rows = []
    for dicom_id, subject, study, view, procedure, n_rows, n_columns, time in IMAGES:
        rows.append(
            {
                "dicom_id": dicom_id,
                "subject_id": subject,
                "study_id": study,
                "PerformedProcedureStepDescription": procedure,
                "ViewPosition": view,
                "Rows": n_rows,
                "Columns": n_columns,
                "StudyDate": 21800506,
                "StudyTime": time,
                "ProcedureCodeSequence_CodeMeaning": procedure,
                "ViewCodeSequence_CodeMeaning": _VIEW_MEANING.get(view or ""),
                "PatientOrientationCodeSequence_CodeMeaning": _ORIENTATION.get(view or ""),
            }
        )
    return pd.DataFrame(rows, columns=list(schemas.METADATA_COLUMNS))


def label_frame(seed: int) -> pd.DataFrame:
    """One row per study with every raw label value (1, 0, -1, blank) represented."""
    rng = np.random.default_rng(seed)
    values = rng.choice([1.0, 0.0, -1.0, np.nan], size=(len(STUDIES), len(schemas.LABEL_NAMES)))
    frame = pd.DataFrame(values, columns=list(schemas.LABEL_NAMES))
    frame.insert(0, "study_id", [study for _, study in STUDIES])
    frame.insert(0, "subject_id", [subject for subject, _ in STUDIES])
    return frame


def split_frame() -> pd.DataFrame:
    """The split table, deliberately not in canonical column order."""
    return pd.DataFrame(
        {
            "split": SPLITS,
            "subject_id": [row[1] for row in IMAGES],
            "dicom_id": [row[0] for row in IMAGES],
            "study_id": [row[2] for row in IMAGES],
        }
    )


def pixel_arrays(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """A random grayscale image of the metadata size for every image."""
    rng = np.random.default_rng(seed)
    return [(row[0], rng.integers(0, 256, size=(row[5], row[6]), dtype=np.uint8)) for row in IMAGES]


def reports_frame() -> pd.DataFrame:
    """A report for every study but :data:`STUDY_WITHOUT_REPORT`."""
    title = " " * 33 + "FINAL REPORT\n"
    texts = {
        50414267: " FINDINGS:  Lungs clear.\n \n IMPRESSION:  No acute process.\n",
        50000001: " INDICATION:  Line check.\n \n IMPRESSION:  Tube in place.\n",
        51000001: " HISTORY:  Cough.\n \n Heart normal.\n \n No effusion.\n",
    }
    return pd.DataFrame(
        [(s, st, title + texts[st]) for s, st in STUDIES if st in texts],
        columns=["subject_id", "study_id", "text"],
    )


def write_tiny_release(root: Path, *, with_reports: bool = True) -> Path:
    """Write the release (and its reports beside the studies) into ``root``."""
    chexpert = label_frame(1)
    write_release(
        root,
        metadata=metadata_frame(),
        chexpert=chexpert,
        negbio=label_frame(2),
        split=split_frame(),
        test_set_labeled=chexpert.drop(columns="subject_id").iloc[2:],
        images=pixel_arrays(),
        n_images=len(IMAGES),
    )
    if with_reports:
        write_reports(root, reports_frame())
    return root


def patients_frame() -> pd.DataFrame:
    """MIMIC-IV patients rows for two of the three subjects."""
    return pd.DataFrame(
        {
            "subject_id": [10000032, 11000001],
            "gender": ["F", "M"],
            "anchor_age": [52, 91],
            "anchor_year": [2180, 2150],
            "anchor_year_group": ["2014 - 2016", "2008 - 2010"],
            "dod": [None, "2151-03-02"],
        }
    )


def admissions_frame() -> pd.DataFrame:
    """Two admissions of subject 10000032 (the later one listed first) and none for the others."""
    return pd.DataFrame(
        {
            "subject_id": [10000032, 10000032],
            "hadm_id": [22595853, 29079034],
            "admittime": ["2180-07-23 12:35:00", "2180-05-06 22:23:00"],
            "insurance": ["Other", "Medicaid"],
            "language": ["ENGLISH", "ENGLISH"],
            "marital_status": ["WIDOWED", "WIDOWED"],
            "race": ["BLACK/AFRICAN AMERICAN", "WHITE"],
        }
    )
