"""The ``mimic-cxr-2.0.0-metadata.csv.gz`` table: one row per image, DICOM header fields."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.mimic.schemas import METADATA_COLUMNS
from medslice.synth.vocabulary import PROCEDURE_CODE_ALTERNATIVES, VIEW_CODE_MEANING


def metadata_table(rng: np.random.Generator, images: pd.DataFrame) -> pd.DataFrame:
    """Build the metadata table from the sampled images, with MIMIC's gaps and quirks.

    ``ViewPosition`` is empty (NaN) where the recorded view is missing; ``StudyDate`` is an integer
    ``YYYYMMDD``; ``StudyTime`` a float that has lost its leading zeros (``80556.875`` = 08:05:56.875).
    """
    n = len(images)
    recorded = images["view_position_recorded"].to_numpy()
    view_meaning = np.array([VIEW_CODE_MEANING.get(v) for v in images["view_position"]], dtype=object)
    # Half of the images without a ViewPosition also lack the view code sequence.
    view_meaning = np.where((recorded == "") & (rng.random(n) < 0.5), None, view_meaning)
    orientation = np.where(images["orientation"].to_numpy() == "recumbent", "Recumbent", "Erect").astype(
        object
    )
    orientation = np.where(rng.random(n) < np.where(images["portable"], 0.15, 0.08), None, orientation)
    procedure = images["procedure"].to_numpy()
    code = np.array([PROCEDURE_CODE_ALTERNATIVES.get(p, p) for p in procedure], dtype=object)
    code = np.where(rng.random(n) < 0.08, code, procedure)
    dates = images["study_date"].to_numpy().astype("datetime64[D]")
    study_date = np.char.replace(np.datetime_as_string(dates, unit="D").astype(str), "-", "").astype(np.int64)
    table = pd.DataFrame(
        {
            "dicom_id": images["dicom_id"].to_numpy(),
            "subject_id": images["subject_id"].to_numpy(),
            "study_id": images["study_id"].to_numpy(),
            "PerformedProcedureStepDescription": procedure,
            "ViewPosition": np.where(recorded == "", None, recorded),
            "Rows": images["rows"].to_numpy(),
            "Columns": images["columns"].to_numpy(),
            "StudyDate": study_date,
            "StudyTime": images["study_time"].to_numpy(dtype=np.float64),
            "ProcedureCodeSequence_CodeMeaning": code,
            "ViewCodeSequence_CodeMeaning": view_meaning,
            "PatientOrientationCodeSequence_CodeMeaning": orientation,
        }
    )
    return table[list(METADATA_COLUMNS)]
