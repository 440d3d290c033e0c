"""Build the patients table: MIMIC-IV demographics, one row per subject (docs/reference.md §3.6)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from medslice.errors import BadTypeError, BadValueError
from medslice.mimic import schemas

PATIENTS_TABLE_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "gender",
    "anchor_age",
    "anchor_year_group",
    "dod",
    "race",
    "insurance",
    "language",
    "marital_status",
)
_REQUIRED_PATIENTS: tuple[str, ...] = ("subject_id", "gender", "anchor_age", "anchor_year_group")
_OPTIONAL_PATIENTS: tuple[str, ...] = ("dod",)
_REQUIRED_ADMISSIONS: tuple[str, ...] = ("subject_id", "admittime", "insurance", "race")
_OPTIONAL_ADMISSIONS: tuple[str, ...] = ("hadm_id", "language", "marital_status")


def _require(frame: pd.DataFrame, columns: Sequence[str], file_name: str) -> None:
    """Raise ValueError naming the file and the first required column that is missing."""
    if not isinstance(frame, pd.DataFrame):
        raise BadTypeError(f"{file_name} must be loaded as a pandas DataFrame, got {type(frame)}")
    for column in columns:
        if column not in frame.columns:
            raise BadValueError(
                f"{file_name}: required column {column!r} is missing (columns found: {list(frame.columns)})"
            )


def _subject_ids(values: pd.Series, file_name: str) -> pd.Series:
    """subject_id as int64, refusing blanks and non-integers with the file named."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadValueError(f"{file_name}: column 'subject_id' holds {values.iloc[row]!r} on line {row + 2}")
    return numbers.astype(np.int64)


def _with_optional(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Add absent optional columns as all-missing, so that older exports still load."""
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.NA
    return frame


def _first_admissions(admissions: pd.DataFrame) -> pd.DataFrame:
    """The earliest admission of every subject (ties broken by hadm_id, then file order)."""
    ranked = admissions.assign(
        _admittime=pd.to_datetime(admissions["admittime"], errors="coerce"),
        _hadm=pd.to_numeric(admissions["hadm_id"], errors="coerce"),
        _order=np.arange(len(admissions)),
    )
    ranked = ranked.sort_values(
        ["subject_id", "_admittime", "_hadm", "_order"], na_position="last", kind="stable"
    )
    return ranked.drop_duplicates("subject_id", keep="first")


def build_patients_table(patients: pd.DataFrame, admissions: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Join each patient to their first admission (by ``admittime``) for race and insurance.

    Columns: :data:`PATIENTS_TABLE_COLUMNS`. ``ethnicity`` (MIMIC-IV before 2.0) is accepted for
    ``race``; ``dod``, ``hadm_id``, ``language`` and ``marital_status`` may be absent. Subjects with
    no admission keep their row with missing race/insurance/language/marital status and are counted.
    A missing required column is a ValueError naming the file and the column; a subject listed twice
    in patients is a ValueError too.
    """
    patients_file, admissions_file = schemas.PATIENTS_FILE, schemas.ADMISSIONS_FILE
    _require(patients, _REQUIRED_PATIENTS, patients_file)
    uses_ethnicity = "race" not in admissions.columns and "ethnicity" in admissions.columns
    if not uses_ethnicity:
        admissions = admissions.drop(columns=list(schemas.ADMISSIONS_ALIASES), errors="ignore")
    admissions = admissions.rename(columns=schemas.ADMISSIONS_ALIASES)
    _require(admissions, _REQUIRED_ADMISSIONS, admissions_file)

    people = _with_optional(patients.copy(), _OPTIONAL_PATIENTS)
    people["subject_id"] = _subject_ids(people["subject_id"], patients_file)
    duplicated = people["subject_id"].duplicated()
    if duplicated.any():
        ids = people.loc[duplicated, "subject_id"].head(10).tolist()
        raise BadValueError(f"{patients_file}: subject(s) listed more than once, e.g. {ids}")

    stays = _with_optional(admissions.copy(), _OPTIONAL_ADMISSIONS)
    stays["subject_id"] = _subject_ids(stays["subject_id"], admissions_file)
    first = _first_admissions(stays)[["subject_id", "race", "insurance", "language", "marital_status"]]

    table = people[["subject_id", "gender", "anchor_age", "anchor_year_group", "dod"]].merge(
        first, on="subject_id", how="left", validate="one_to_one"
    )
    table["anchor_age"] = pd.to_numeric(table["anchor_age"], errors="coerce").astype("Int64")
    table["dod"] = pd.to_datetime(table["dod"], errors="coerce")
    for column in (
        "gender",
        "anchor_year_group",
        "race",
        "insurance",
        "language",
        "marital_status",
    ):
        table[column] = table[column].astype("str")

    without = ~table["subject_id"].isin(first["subject_id"])
    qa = {
        "patients": {
            "patients_rows": len(patients),
            "admissions_rows": len(admissions),
            "subjects": len(table),
            "subjects_without_admission": int(without.sum()),
            "admission_subjects_without_patient_row": int(
                (~first["subject_id"].isin(table["subject_id"])).sum()
            ),
            "race_column": "ethnicity" if uses_ethnicity else "race",
        }
    }
    return table[list(PATIENTS_TABLE_COLUMNS)].reset_index(drop=True), qa
