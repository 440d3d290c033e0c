"""The knobs of the synthetic MIMIC-CXR-JPG release, with validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medslice.errors import BadTypeError, BadValueError
from medslice.mimic.schemas import snake_label

# The findings the generator draws, in MIMIC label order (snake_case), without No Finding (derived) and
# Support Devices (derived from the devices).
FINDINGS: tuple[str, ...] = (
    "atelectasis",
    "cardiomegaly",
    "consolidation",
    "edema",
    "enlarged_cardiomediastinum",
    "fracture",
    "lung_lesion",
    "lung_opacity",
    "pleural_effusion",
    "pleural_other",
    "pneumonia",
    "pneumothorax",
)
DEVICES: tuple[str, ...] = ("chest_tube", "endotracheal_tube", "central_line", "pacemaker")

# Real MIMIC-CXR-JPG detectors are 3056 x 2544 (rows x columns); reduced sizes keep that aspect ratio.
FULL_ROWS = 3056
FULL_COLUMNS = 2544

# Study-level base rates. Pneumothorax is above MIMIC's ~5% so that the default release holds >= 300
# positive studies for the spurious-correlation scenario.
DEFAULT_PREVALENCE: dict[str, float] = {
    "atelectasis": 0.14,
    "cardiomegaly": 0.24,
    "consolidation": 0.05,
    "edema": 0.10,
    "enlarged_cardiomediastinum": 0.04,
    "fracture": 0.03,
    "lung_lesion": 0.04,
    "lung_opacity": 0.12,
    "pleural_effusion": 0.18,
    "pleural_other": 0.02,
    "pneumonia": 0.06,
    "pneumothorax": 0.16,
    "support_devices": 0.30,
}

DEFAULT_QUIRK_SHARES: dict[str, float] = {
    "impression_only": 0.06,
    "no_sections": 0.03,
    "addendum": 0.03,
    "wet_read": 0.03,
    "misspelt_header": 0.04,
}

DEFAULT_SPLIT_FRACTIONS: dict[str, float] = {"validate": 0.02, "test": 0.04}


@dataclass(frozen=True)
class SyntheticConfig:
    """Size, resolution and clinical mix of a synthetic release.

    Every field has a default; the defaults give about 5,000 studies and 8,000 images of 512 x 426 pixels.

    Attributes
    ----------
    n_subjects : int
        Number of patients.
    image_rows : int
        Rows of the reference detector at reduced size; columns keep the real aspect ratio.
    full_resolution : bool
        Render at the real 3056 x 2544 instead of ``image_rows`` (for benchmarks).
    prevalence : dict[str, float]
        Study-level base rate of each finding (snake_case or MIMIC label names) and of
        ``support_devices``; keys not given keep their defaults.
    studies_per_subject : float
        Mean number of studies per patient (at least one each).
    portable_share : float
        Share of studies that are single portable AP exams (the rest are PA + lateral).
    ll_share : float
        Share of lateral images whose ViewPosition is ``LL`` rather than ``LATERAL``.
    rare_view_share : float
        Share of images with a rare ViewPosition (LAO, AP AXIAL, SWIMMERS, ...).
    empty_view_position_share : float
        Share of images whose ViewPosition is empty.
    quirk_shares : dict[str, float]
        Share of reports with each formatting quirk.
    hedge_share : float
        Share of positive findings that the report hedges (labelled -1).
    label_noise : float
        Share of studies whose report disagrees with the pixels on one finding.
    negbio_disagreement : float
        Share of mentioned label cells where NegBio differs from CheXpert.
    split_fractions : dict[str, float]
        Share of subjects in ``validate`` and ``test`` (the rest is ``train``).
    no_admission_share : float
        Share of subjects without a MIMIC-IV admission row.
    test_set_opacity_name : str
        Column name of Lung Opacity in the labelled test set.
    """

    n_subjects: int = 2500
    image_rows: int = 512
    full_resolution: bool = False
    prevalence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PREVALENCE))
    studies_per_subject: float = 2.0
    portable_share: float = 0.4
    ll_share: float = 0.25
    rare_view_share: float = 0.01
    empty_view_position_share: float = 0.04
    quirk_shares: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_QUIRK_SHARES))
    hedge_share: float = 0.12
    label_noise: float = 0.02
    negbio_disagreement: float = 0.02
    split_fractions: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SPLIT_FRACTIONS))
    no_admission_share: float = 0.1
    test_set_opacity_name: str = "Airspace Opacity"

    def __post_init__(self) -> None:
        """Validate every field and complete the partial mappings with their defaults."""
        _check_int("n_subjects", self.n_subjects, minimum=1)
        _check_int("image_rows", self.image_rows, minimum=32)
        if not isinstance(self.full_resolution, bool):
            raise BadTypeError(f"full_resolution must be a bool, got {self.full_resolution!r}")
        if not isinstance(self.studies_per_subject, int | float) or self.studies_per_subject < 1:
            raise BadValueError(
                f"studies_per_subject must be a number >= 1, got {self.studies_per_subject!r}"
            )
        for name in (
            "portable_share",
            "ll_share",
            "rare_view_share",
            "empty_view_position_share",
            "hedge_share",
            "label_noise",
            "negbio_disagreement",
            "no_admission_share",
        ):
            _check_share(name, getattr(self, name))
        if self.test_set_opacity_name not in ("Lung Opacity", "Airspace Opacity"):
            raise BadValueError(
                "test_set_opacity_name must be 'Lung Opacity' or 'Airspace Opacity', "
                f"got {self.test_set_opacity_name!r}"
            )
        # frozen: completed mappings are stored through object.__setattr__.
        object.__setattr__(
            self, "prevalence", _complete("prevalence", self.prevalence, DEFAULT_PREVALENCE, snake_label)
        )
        object.__setattr__(
            self,
            "quirk_shares",
            _complete("quirk_shares", self.quirk_shares, DEFAULT_QUIRK_SHARES, str),
        )
        if sum(self.quirk_shares.values()) > 0.5:
            raise BadValueError(f"quirk_shares must sum to <= 0.5, got {self.quirk_shares}")
        object.__setattr__(
            self,
            "split_fractions",
            _complete("split_fractions", self.split_fractions, DEFAULT_SPLIT_FRACTIONS, str),
        )
        if sum(self.split_fractions.values()) >= 0.5:
            raise BadValueError(f"split_fractions must sum to < 0.5, got {self.split_fractions}")

    @property
    def rows(self) -> int:
        """Rows of the reference detector at the configured resolution."""
        return FULL_ROWS if self.full_resolution else int(self.image_rows)

    @property
    def columns(self) -> int:
        """Columns of the reference detector: ``round(rows * 2544 / 3056)``."""
        return round(self.rows * FULL_COLUMNS / FULL_ROWS)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> SyntheticConfig:
        """Build a config from a mapping (e.g. Kedro parameters); unknown keys raise ValueError."""
        if not isinstance(mapping, Mapping):
            raise BadTypeError(f"mapping must be a Mapping, got {type(mapping).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise BadValueError(f"unknown SyntheticConfig keys {unknown}; expected some of {sorted(known)}")
        return cls(**dict(mapping))


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def _check_share(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise BadValueError(f"{name} must be a number in [0, 1], got {value!r}")


def _complete(
    name: str, given: Mapping[str, float], defaults: Mapping[str, float], normalise: Any
) -> dict[str, float]:
    """Defaults overridden by ``given`` (keys normalised), refusing unknown keys and bad shares."""
    if not isinstance(given, Mapping):
        raise BadTypeError(f"{name} must be a mapping, got {type(given).__name__}")
    completed = dict(defaults)
    for key, value in given.items():
        normalised = normalise(str(key))
        if normalised not in defaults:
            raise BadValueError(f"{name}: unknown key {key!r}; expected some of {sorted(defaults)}")
        _check_share(f"{name}[{key!r}]", value)
        completed[normalised] = float(value)
    return completed
