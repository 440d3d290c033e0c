"""Small random cohorts with every cohort column, for scenario tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import torch

from medslice.mimic.layout import image_relpath
from medslice.mimic.schemas import (
    COHORT_COLUMNS,
    LABEL_COLUMNS_SNAKE,
    REPORT_SECTION_COLUMNS,
    view_group,
)

VIEW_POSITIONS = np.array(["PA", "AP", "LATERAL", "LL", ""])
AGE_GROUPS = ((20, "0-20"), (40, "20-40"), (60, "40-60"), (80, "60-80"), (200, "80+"))


def _age_group(age: int) -> str:
    return next(name for upper, name in AGE_GROUPS if age < upper)


def make_cohort(
    n_subjects: int = 600,
    images_per_subject: int = 2,
    *,
    seed: int = 0,
    prevalence: float = 0.4,
    missing_share: float = 0.05,
) -> pd.DataFrame:
    """A random cohort with ``COHORT_COLUMNS``: labels 1/0/NaN, views, demographics, texts."""
    rng = np.random.default_rng(seed)
    n = n_subjects * images_per_subject
    subject_id = np.repeat(10_000_000 + np.arange(n_subjects), images_per_subject)
    study_id = 50_000_000 + np.arange(n)
    dicom_id = ["-".join(f"{v:08x}" for v in rng.integers(0, 2**32, 5, dtype=np.uint64)) for _ in range(n)]
    view_position = rng.choice(VIEW_POSITIONS, n, p=[0.35, 0.3, 0.25, 0.05, 0.05])
    frame = pd.DataFrame(
        {
            "dicom_id": dicom_id,
            "subject_id": subject_id.astype("int64"),
            "study_id": study_id.astype("int64"),
            "split": "train",
            "image_path": [
                str(image_relpath(s, t, d)) for s, t, d in zip(subject_id, study_id, dicom_id, strict=True)
            ],
            "view_position": view_position,
            "view": [view_group(v) for v in view_position],
            "orientation": rng.choice(["Erect", "Recumbent"], n),
            "procedure": np.where(view_position == "AP", "CHEST (PORTABLE AP)", "CHEST (PA AND LAT)"),
            "exam_kind": np.where(view_position == "AP", "portable", "routine"),
            "rows": 3056,
            "columns": 2544,
            "megapixels": 7.8,
            "resolution": "high",
            "study_datetime": pd.Timestamp("2150-01-01 08:00"),
            "time_of_day": "morning",
        }
    )
    for label in LABEL_COLUMNS_SNAKE:
        values = (rng.random(n) < prevalence).astype("float32")
        values[rng.random(n) < missing_share] = np.nan
        frame[label] = values
    others = [c for c in LABEL_COLUMNS_SNAKE if c not in ("no_finding", "support_devices")]
    any_finding = (frame[others] == 1).any(axis=1)
    no_finding = np.where(any_finding, 0.0, 1.0).astype("float32")
    no_finding[rng.random(n) < missing_share] = np.nan
    frame["no_finding"] = no_finding
    frame["has_report"] = True
    for column in REPORT_SECTION_COLUMNS:
        frame[column] = "No acute cardiopulmonary process."
    ages = rng.integers(18, 92, n_subjects)
    frame["gender"] = np.repeat(rng.choice(["F", "M"], n_subjects), images_per_subject)
    frame["anchor_age"] = np.repeat(ages, images_per_subject).astype("int64")
    frame["age_group"] = [_age_group(a) for a in frame["anchor_age"]]
    frame["race"] = "WHITE"
    frame["race_group"] = "WHITE"
    frame["insurance"] = "Medicare"
    frame["insurance_group"] = "Medicare"
    frame["language"] = "ENGLISH"
    frame["marital_status"] = "MARRIED"
    frame["metadata_sentence"] = "Patient underwent a chest examination in the morning."
    return frame.loc[:, list(COHORT_COLUMNS)]


def make_pool(n: int, target_prevalence: float, attribute_prevalence: float, seed: int = 0) -> pd.DataFrame:
    """A pool for the samplers: independent binary target and attribute, 4 rows per subject."""
    rng = np.random.default_rng(seed)
    target = (rng.random(n) < target_prevalence).astype("int64")
    attribute = rng.random(n) < attribute_prevalence
    return pd.DataFrame(
        {
            "dicom_id": [f"img{i:06d}" for i in range(n)],
            "subject_id": 10_000_000 + np.arange(n) // 4,
            "target": target,
            "attribute": attribute,
            "in_slice": (target == 0) & attribute,
        }
    )


@pytest.fixture(scope="session")
def cohort() -> pd.DataFrame:
    """A 1200-image cohort of 600 subjects (treat as read-only)."""
    return make_cohort()


@pytest.fixture
def pool_factory() -> Callable[..., pd.DataFrame]:
    """``make_pool`` for sampler tests."""
    return make_pool


@pytest.fixture
def cohort_factory() -> Callable[..., pd.DataFrame]:
    """``make_cohort`` for tests that need their own sizes or seeds."""
    return make_cohort


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest on one thread, and a shared machine punishes spinning thread pools."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
