"""Phantom specs and body-unit boxes shared by the renderer tests."""

from __future__ import annotations

import numpy as np

from medslice.synth import ImageSpec

ROWS = 192
# The tables of a SyntheticRelease besides its ground truth, as MIMIC-CXR-JPG and MIMIC-IV ship them.
RELEASE_TABLES = (
    "metadata",
    "chexpert",
    "negbio",
    "split",
    "test_set_labeled",
    "reports",
    "patients",
    "admissions",
)
COLUMNS = round(ROWS * 2544 / 3056)


def phantom_spec(**changes: object) -> ImageSpec:
    """An upright PA phantom of a 50-year-old man, centred and untilted so that body units map to known
    pixels, with little noise; ``changes`` override any field."""
    base: dict[str, object] = {
        "image_index": 0,
        "study_index": 0,
        "rows": ROWS,
        "columns": COLUMNS,
        "view": "frontal",
        "view_position": "PA",
        "orientation": "erect",
        "portable": False,
        "sex": "M",
        "age": 50,
        "noise_level": 0.006,
    }
    return ImageSpec(**{**base, **changes})


def box(image: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    """Pixels of a box in body units (u from the midline, v from the top, in image heights), as float."""
    half = 0.5 * image.shape[1] / image.shape[0]
    rows = image.shape[0]
    return image[
        round(v0 * rows) : round(v1 * rows), round((u0 + half) * rows) : round((u1 + half) * rows)
    ].astype(float)
