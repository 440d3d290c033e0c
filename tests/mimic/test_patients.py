"""Demographic groupings and the patients table (first admission, ethnicity alias, refusals)."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.mimic.demographics import age_group, insurance_group, race_group
from medslice.mimic.ingest import build_patients_table

from . import tiny_release as tiny


def test_groupings() -> None:
    assert [age_group(a) for a in (5, 20, 45, 79.9, 91, None)] == [
        "0-20",
        "20-40",
        "40-60",
        "60-80",
        "80+",
        "unknown",
    ]
    assert [
        race_group(r)
        for r in ("WHITE - RUSSIAN", "BLACK/CAPE VERDEAN", "HISPANIC OR LATINO", "ASIAN - CHINESE")
    ] == ["WHITE", "BLACK/AFRICAN AMERICAN", "HISPANIC/LATINO", "ASIAN"]
    # MIMIC-IV files South American patients under their own label; they are Hispanic/Latino
    assert race_group("SOUTH AMERICAN") == "HISPANIC/LATINO"
    assert [age_group(a) for a in (-1, 0, 80)] == ["unknown", "0-20", "80+"]
    assert [race_group(r) for r in ("AMERICAN INDIAN/ALASKA NATIVE", "UNABLE TO OBTAIN", None)] == [
        "OTHER",
        "UNKNOWN",
        "UNKNOWN",
    ]
    assert [insurance_group(i) for i in ("Medicare", "Medicaid", "Private", None)] == [
        "Medicare",
        "Medicaid",
        "Other",
        "Unknown",
    ]


def test_first_admission_by_admittime_and_subjects_without_one() -> None:
    table, qa = build_patients_table(tiny.patients_frame(), tiny.admissions_frame())
    by_subject = table.set_index("subject_id")
    # The admission listed second is the earlier one.
    assert by_subject.loc[10000032, "race"] == "WHITE"
    assert by_subject.loc[10000032, "insurance"] == "Medicaid"
    assert pd.isna(by_subject.loc[11000001, "race"])
    assert by_subject.loc[11000001, "dod"] == pd.Timestamp("2151-03-02")
    assert qa["patients"]["subjects_without_admission"] == 1


def test_ethnicity_is_accepted_for_race() -> None:
    admissions = tiny.admissions_frame().rename(columns={"race": "ethnicity"})
    table, qa = build_patients_table(tiny.patients_frame(), admissions)
    assert table.set_index("subject_id").loc[10000032, "race"] == "WHITE"
    assert qa["patients"]["race_column"] == "ethnicity"


@pytest.mark.parametrize(
    ("which", "column", "file_name"),
    [("patients", "gender", "patients.csv.gz"), ("admissions", "insurance", "admissions.csv.gz")],
)
def test_missing_required_column_names_file_and_column(which: str, column: str, file_name: str) -> None:
    frames = {"patients": tiny.patients_frame(), "admissions": tiny.admissions_frame()}
    frames[which] = frames[which].drop(columns=column)
    with pytest.raises(ValueError, match=rf"{file_name}: required column '{column}'"):
        build_patients_table(frames["patients"], frames["admissions"])
