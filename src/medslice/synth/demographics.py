"""MIMIC-IV hosp ``patients`` and ``admissions`` tables for synthetic subjects (docs/reference.md §3.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.mimic.schemas import ADMISSIONS_COLUMNS, PATIENTS_COLUMNS
from medslice.synth import ids
from medslice.synth.vocabulary import (
    ADMISSION_LOCATIONS,
    ADMISSION_TYPES,
    ANCHOR_YEAR_GROUPS,
    DISCHARGE_LOCATIONS,
    LANGUAGES,
    MARITAL_STATUSES,
    RACES,
)

MAX_SHOWN_AGE = 89
AGE_SHOWN_ABOVE_MAX = 91


def _choice(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    values = np.array(list(shares), dtype=object)
    p = np.asarray(list(shares.values()), dtype=np.float64)
    return rng.choice(values, size=n, p=p / p.sum())


def _timestamp(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` strings, as MIMIC-IV writes timestamps."""
    moments = days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(moments, unit="s").astype(str), "T", " ").astype(object)


def make_patients(rng: np.random.Generator, subjects: pd.DataFrame, last_study: np.ndarray) -> pd.DataFrame:
    """``patients.csv.gz``: sex, anchor age (over 89 shown as 91), anchor year and group, date of death.

    Parameters
    ----------
    rng : np.random.Generator
        The generator.
    subjects : pd.DataFrame
        The sampled subjects (``subject_id``, ``sex``, ``anchor_true_age``, ``anchor_year``,
        ``frailty``).
    last_study : np.ndarray
        Each subject's last study date (``datetime64[D]``): nobody dies before it.
    """
    n = len(subjects)
    age = subjects["anchor_true_age"].to_numpy()
    shown_age = np.where(age > MAX_SHOWN_AGE, AGE_SHOWN_ABOVE_MAX, age)
    frailty = subjects["frailty"].to_numpy()
    dies = rng.random(n) < np.clip(0.12 + 0.08 * frailty, 0.02, 0.6)
    death = last_study + rng.integers(1, 1500, n).astype("timedelta64[D]")
    dod = np.where(dies, np.datetime_as_string(death, unit="D").astype(object), None)
    return pd.DataFrame(
        {
            "subject_id": subjects["subject_id"].to_numpy(),
            "gender": subjects["sex"].to_numpy(),
            "anchor_age": shown_age.astype(np.int64),
            "anchor_year": subjects["anchor_year"].to_numpy().astype(np.int64),
            "anchor_year_group": rng.choice(np.array(ANCHOR_YEAR_GROUPS, dtype=object), size=n),
            "dod": pd.array(dod, dtype="object"),
        },
        columns=list(PATIENTS_COLUMNS),
    )


def make_admissions(
    rng: np.random.Generator, subjects: pd.DataFrame, first_study: np.ndarray, no_admission_share: float
) -> pd.DataFrame:
    """``admissions.csv.gz``: one to three admissions for most subjects, none for ``no_admission_share``.

    A subject's race is the same on every admission; insurance follows age (Medicare over 65).
    """
    n = len(subjects)
    has_admission = rng.random(n) >= no_admission_share
    count = np.where(has_admission, 1 + rng.binomial(2, 0.3, n), 0)
    rows = np.repeat(np.arange(n), count)
    m = len(rows)
    race = _choice(rng, RACES, n)[rows]
    age = subjects["anchor_true_age"].to_numpy()[rows]
    insurance = np.where(
        age >= 65,
        np.where(rng.random(m) < 0.85, "Medicare", "Other"),
        np.where(rng.random(m) < 0.3, "Medicaid", np.where(rng.random(m) < 0.15, "Medicare", "Other")),
    ).astype(object)
    admit_day = first_study[rows] + rng.integers(-60, 400, m).astype("timedelta64[D]")
    admit_seconds = rng.integers(0, 86400, m)
    stay_seconds = admit_seconds + rng.integers(6 * 3600, 12 * 86400, m)
    admission_type = _choice(rng, ADMISSION_TYPES, m)
    via_ed = np.isin(admission_type, ["EW EMER.", "EU OBSERVATION", "OBSERVATION ADMIT"])
    ed_start = admit_seconds - rng.integers(2 * 3600, 10 * 3600, m)
    died = rng.random(m) < 0.04
    discharge = _choice(rng, DISCHARGE_LOCATIONS, m)
    discharge = np.where(died, "DIED", discharge)
    frame = pd.DataFrame(
        {
            "subject_id": subjects["subject_id"].to_numpy()[rows],
            "hadm_id": ids.hadm_ids(rng, m),
            "admittime": _timestamp(admit_day, admit_seconds),
            "dischtime": _timestamp(admit_day, stay_seconds),
            "deathtime": np.where(died, _timestamp(admit_day, stay_seconds), None),
            "admission_type": admission_type,
            "admit_provider_id": np.array([f"P{k:05X}" for k in rng.integers(0, 16**5, m)], dtype=object),
            "admission_location": _choice(rng, ADMISSION_LOCATIONS, m),
            "discharge_location": np.where(discharge == "", None, discharge),
            "insurance": insurance,
            "language": _choice(rng, LANGUAGES, m),
            "marital_status": np.where((ms := _choice(rng, MARITAL_STATUSES, m)) == "", None, ms),
            "race": race,
            "edregtime": np.where(via_ed, _timestamp(admit_day, ed_start), None),
            "edouttime": np.where(via_ed, _timestamp(admit_day, admit_seconds + 1800), None),
            "hospital_expire_flag": died.astype(np.int64),
        },
        columns=list(ADMISSIONS_COLUMNS),
    )
    return frame.sort_values(["subject_id", "admittime"], kind="stable").reset_index(drop=True)
