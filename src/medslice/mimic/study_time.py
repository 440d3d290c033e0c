"""Parse the DICOM ``StudyDate``/``StudyTime`` pair of the MIMIC-CXR-JPG metadata (docs/reference.md
§3.2).

``StudyTime`` is stored as a float that lost its leading zeros: ``80556.875`` means 08:05:56.875. It
is zero-padded to ``HHMMSS.ffffff`` before parsing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def format_study_time(study_time: float) -> str | None:
    """Zero-pad one ``StudyTime`` float, e.g. ``80556.875`` -> ``"080556.875000"`` (None if
    missing)."""
    if study_time is None or pd.isna(study_time):
        return None
    micros = round(float(study_time) * 1_000_000)
    whole, fraction = divmod(micros, 1_000_000)
    return f"{whole:06d}.{fraction:06d}"


def study_datetimes(study_date: pd.Series, study_time: pd.Series) -> pd.Series:
    """Combine ``StudyDate`` (int YYYYMMDD) and ``StudyTime`` (float HHMMSS.fff) into datetime64.

    Vectorised. Missing or impossible values (e.g. minute 61) give NaT rather than an error, so that
    one odd row does not stop ingestion; the caller counts NaT rows. A missing time with a valid
    date also gives NaT, because the time of day feeds the metadata sentence.
    """
    dates = pd.to_datetime(
        pd.to_numeric(study_date, errors="coerce").astype("Int64").astype("string"),
        format="%Y%m%d",
        errors="coerce",
    )
    times = pd.to_numeric(study_time, errors="coerce").to_numpy(dtype=np.float64)
    # Integer microseconds first: float arithmetic on HHMMSS.fff would smear the fraction.
    micros = np.round(times * 1_000_000)
    valid = np.isfinite(micros) & (micros >= 0)
    micros = np.where(valid, micros, 0).astype(np.int64)
    whole, fraction = np.divmod(micros, 1_000_000)
    hours, rest = np.divmod(whole, 10_000)
    minutes, seconds = np.divmod(rest, 100)
    valid &= (hours < 24) & (minutes < 60) & (seconds < 60)
    offset = (
        hours.astype("timedelta64[h]")
        + minutes.astype("timedelta64[m]")
        + seconds.astype("timedelta64[s]")
        + fraction.astype("timedelta64[us]")
    ).astype("timedelta64[ns]")
    combined = dates.to_numpy(dtype="datetime64[ns]") + offset
    combined[~valid] = np.datetime64("NaT")
    return pd.Series(combined, index=study_date.index, name="study_datetime")
