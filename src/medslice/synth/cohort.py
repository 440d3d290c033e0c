"""Patients, their studies and the images of each study: the latent truth behind every table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.synth import ids
from medslice.synth.clinical import sample_findings
from medslice.synth.config import FULL_ROWS, SyntheticConfig
from medslice.synth.vocabulary import (
    LINE_PROCEDURE,
    PORTABLE_DETECTORS,
    PORTABLE_PROCEDURE,
    RARE_FRONTAL_VIEWS,
    RARE_LATERAL_VIEWS,
    RIB_PROCEDURE,
    ROOM_DETECTORS,
    ROOM_PROCEDURES,
    SINGLE_VIEW_PROCEDURE,
    TRAUMA_PROCEDURE,
)

FIRST_ANCHOR_YEAR = 2110
LAST_ANCHOR_YEAR = 2186
LAST_DATE = np.datetime64("2199-12-31")
# Views of a radiology-room study and their shares.
ROOM_VIEW_PATTERNS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("PA", "LATERAL"), 0.92),
    (("PA",), 0.04),
    (("PA", "LATERAL", "LATERAL"), 0.02),
    (("LATERAL", "PA"), 0.02),
)


def _choice(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    """``n`` draws from a ``{value: share}`` mapping (shares need not sum to 1)."""
    values = list(shares)
    p = np.asarray(list(shares.values()), dtype=np.float64)
    index = rng.choice(len(values), size=n, p=p / p.sum())
    out = np.empty(n, dtype=object)
    for k, value in enumerate(values):
        out[index == k] = value
    return out


def sample_subjects(rng: np.random.Generator, config: SyntheticConfig) -> pd.DataFrame:
    """One row per patient: id, sex, true age at the anchor year, body habitus, frailty, study count."""
    n = config.n_subjects
    age = np.clip(np.round(rng.normal(62.0, 17.0, n)), 18, 100).astype(np.int64)
    frailty = rng.normal(0.0, 1.0, n) + 0.02 * (age - 60)
    extra_mean = config.studies_per_subject - 1.0
    rate = rng.gamma(1.5, extra_mean / 1.5, n) if extra_mean > 0 else np.zeros(n)
    n_studies = 1 + rng.poisson(rate)
    return pd.DataFrame(
        {
            "subject_index": np.arange(n, dtype=np.int64),
            "subject_id": ids.subject_ids(rng, n),
            "sex": np.where(rng.random(n) < 0.48, "F", "M").astype(object),
            "anchor_true_age": age,
            "anchor_year": rng.integers(FIRST_ANCHOR_YEAR, LAST_ANCHOR_YEAR + 1, n),
            "habitus": np.round(np.clip(rng.normal(1.0, 0.04, n), 0.9, 1.1), 3),
            "frailty": frailty,
            "n_studies": n_studies.astype(np.int64),
        }
    )


def sample_studies(rng: np.random.Generator, subjects: pd.DataFrame, config: SyntheticConfig) -> pd.DataFrame:
    """One row per study: date, time, setting (portable or room), findings, devices and procedure."""
    repeat = subjects["n_studies"].to_numpy()
    studies = subjects.loc[subjects.index.repeat(repeat)].reset_index(drop=True)
    n = len(studies)
    studies.insert(0, "study_index", np.arange(n, dtype=np.int64))
    studies.insert(1, "study_id", ids.study_ids(rng, n))

    # Dates: the first study within a year of the anchor year, the next ones months apart.
    first = rng.integers(0, 365, n)
    gaps = np.round(rng.exponential(180.0, n)).astype(np.int64) + 1
    is_first = np.r_[
        True, studies["subject_index"].to_numpy()[1:] != studies["subject_index"].to_numpy()[:-1]
    ]
    offsets = np.where(is_first, first, gaps)
    group_start = np.maximum.accumulate(np.where(is_first, np.arange(n), 0))
    cumulative = np.cumsum(offsets)
    days = cumulative - cumulative[group_start] + offsets[group_start]
    years = (studies["anchor_year"].to_numpy() - 1970).astype("datetime64[Y]")
    dates = np.minimum(years.astype("datetime64[D]") + days, LAST_DATE)
    studies["study_date"] = dates
    study_year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    studies["age"] = studies["anchor_true_age"].to_numpy() + (study_year - studies["anchor_year"].to_numpy())

    # Bedside studies go to the sicker (frailer, older) patients: exactly portable_share of them.
    score = studies["frailty"].to_numpy() + rng.logistic(0.0, 0.8, n)
    n_portable = round(config.portable_share * n)
    portable = np.zeros(n, dtype=bool)
    if n_portable > 0:
        portable[np.argsort(-score, kind="stable")[:n_portable]] = True
    studies["portable"] = portable
    studies["orientation"] = np.where(portable & (rng.random(n) < 0.55), "recumbent", "erect").astype(object)
    studies["inspiration"] = np.round(np.clip(rng.normal(0.0, 0.015, n), -0.035, 0.035), 4)

    # Room studies during working hours; bedside films around the clock, most before morning rounds.
    hours = np.where(
        portable,
        np.where(rng.random(n) < 0.4, rng.integers(3, 8, n), rng.integers(0, 24, n)),
        rng.integers(7, 20, n),
    )
    seconds = hours * 3600 + rng.integers(0, 3600, n) + rng.integers(0, 1000, n) / 1000.0
    h, rest = np.divmod(seconds, 3600)
    m, s = np.divmod(rest, 60)
    studies["study_time"] = np.round(h * 10000 + m * 100 + s, 3)

    studies = sample_findings(rng, studies, config)
    studies["views"] = _view_patterns(rng, portable)
    studies["procedure"] = _procedures(rng, studies)
    return studies


def _procedures(rng: np.random.Generator, studies: pd.DataFrame) -> np.ndarray:
    """PerformedProcedureStepDescription: room, bedside, line placement, trauma and rib series."""
    n = len(studies)
    portable = studies["portable"].to_numpy(dtype=bool)
    room = _choice(rng, ROOM_PROCEDURES, n)
    fracture = studies["fracture"].to_numpy(dtype=bool)
    room = np.where(fracture & (rng.random(n) < 0.4), RIB_PROCEDURE, room)
    lines = studies["central_line"].to_numpy(dtype=bool) | studies["endotracheal_tube"].to_numpy(dtype=bool)
    trauma = (fracture | studies["pneumothorax"].to_numpy(dtype=bool)) & (rng.random(n) < 0.3)
    trauma |= rng.random(n) < 0.01
    bedside = np.where(lines & (rng.random(n) < 0.45), LINE_PROCEDURE, PORTABLE_PROCEDURE)
    bedside = np.where(trauma, TRAUMA_PROCEDURE, bedside)
    # A lone PA is a single-view exam, unless it is a rib series.
    single = np.array([len(views) == 1 for views in studies["views"]])
    room = np.where(single & (room != RIB_PROCEDURE), SINGLE_VIEW_PROCEDURE, room)
    return np.where(portable, bedside, room).astype(object)


def _view_patterns(rng: np.random.Generator, portable: np.ndarray) -> list[tuple[str, ...]]:
    """The views acquired in each study: PA + lateral in the room, one (rarely two) AP at the bedside."""
    n = len(portable)
    patterns = [pattern for pattern, _ in ROOM_VIEW_PATTERNS]
    shares = [share for _, share in ROOM_VIEW_PATTERNS]
    room = rng.choice(len(patterns), size=n, p=shares)
    repeat_ap = rng.random(n) < 0.1
    return [
        (("AP", "AP") if repeat_ap[k] else ("AP",)) if portable[k] else patterns[room[k]] for k in range(n)
    ]


def _detectors(
    rng: np.random.Generator, shares: dict[tuple[int, int], float], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Full-resolution (rows, columns) of ``n`` images drawn from detector shares."""
    sizes = list(shares)
    p = np.asarray(list(shares.values()))
    index = rng.choice(len(sizes), size=n, p=p / p.sum())
    table = np.asarray(sizes, dtype=np.int64)
    return table[index, 0], table[index, 1]


def sample_images(rng: np.random.Generator, studies: pd.DataFrame, config: SyntheticConfig) -> pd.DataFrame:
    """One row per image: view, recorded ViewPosition, detector size and the patient's positioning."""
    views_per_study = studies["views"].tolist()
    counts = np.fromiter((len(v) for v in views_per_study), dtype=np.int64, count=len(studies))
    images = studies.loc[studies.index.repeat(counts)].reset_index(drop=True)
    n = len(images)
    images.insert(0, "image_index", np.arange(n, dtype=np.int64))
    images.insert(1, "dicom_id", ids.dicom_ids(rng, n))
    true_view = np.array([view for views in views_per_study for view in views], dtype=object)

    lateral = true_view == "LATERAL"
    true_view = np.where(lateral & (rng.random(n) < config.ll_share), "LL", true_view)
    rare = rng.random(n) < config.rare_view_share
    rare_frontal = rng.choice(np.array(RARE_FRONTAL_VIEWS, dtype=object), size=n)
    rare_lateral = rng.choice(np.array(RARE_LATERAL_VIEWS, dtype=object), size=n)
    true_view = np.where(rare, np.where(lateral, rare_lateral, rare_frontal), true_view)
    images["view_position"] = true_view
    images["view"] = np.where(lateral, "lateral", "frontal").astype(object)
    images["view_position_recorded"] = np.where(
        rng.random(n) < config.empty_view_position_share, "", true_view
    ).astype(object)

    # Detector size: a few real detectors (landscape ones only for laterals in the room), scaled.
    is_portable = images["portable"].to_numpy(dtype=bool)
    room_rows, room_columns = _detectors(rng, ROOM_DETECTORS, n)
    landscape_frontal = (room_columns > room_rows) & ~lateral
    room_rows = np.where(landscape_frontal, 3056, room_rows)
    room_columns = np.where(landscape_frontal, 2544, room_columns)
    bedside_rows, bedside_columns = _detectors(rng, PORTABLE_DETECTORS, n)
    scale = config.rows / FULL_ROWS
    rows = np.where(is_portable, bedside_rows, room_rows) * scale
    columns = np.where(is_portable, bedside_columns, room_columns) * scale
    images["rows"] = np.maximum(16, np.round(rows)).astype(np.int64)
    images["columns"] = np.maximum(16, np.round(columns)).astype(np.int64)

    images["tilt_deg"] = np.round(rng.normal(0.0, np.where(is_portable, 2.0, 1.0)), 2)
    images["shift_u"] = np.round(rng.normal(0.0, 0.012, n), 4)
    images["shift_v"] = np.round(rng.normal(0.0, np.where(is_portable, 0.02, 0.01)), 4)
    images["noise_level"] = np.round(
        np.where(is_portable, rng.uniform(0.025, 0.04, n), rng.uniform(0.01, 0.018, n)), 4
    )
    images["exposure"] = np.round(np.clip(rng.normal(1.0, 0.08, n), 0.8, 1.25), 3)
    return images
