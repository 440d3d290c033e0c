"""Everything the renderer draws for one image, as one flat record (a row of the ground-truth table)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIDES: tuple[str, ...] = ("right", "left")
# Lung zones where an opacity or a nodule sits (patient right = image left on a frontal view).
ZONES: tuple[str, ...] = (
    "right_upper",
    "right_middle",
    "right_lower",
    "left_upper",
    "lingula",
    "left_lower",
)
SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class ImageSpec:
    """The rendered attributes of one image; empty strings mean "absent".

    Severities are ``"mild"``, ``"moderate"`` or ``"severe"``; sides are ``"right"``, ``"left"`` or (for
    effusions and atelectasis) ``"bilateral"``; zones are one of :data:`ZONES`.
    """

    image_index: int
    study_index: int
    rows: int
    columns: int
    view: str  # "frontal" | "lateral"
    view_position: str  # the true acquisition (ViewPosition may be empty in the metadata)
    orientation: str  # "erect" | "recumbent"
    portable: bool
    sex: str  # "F" | "M"
    age: int
    habitus: float = 1.0  # thorax size relative to the sex's average
    # Age-related traits of the patient, drawn per patient with the tables (render/demographic_cues.py).
    spondylosis: bool = False  # osteophytes on the thoracic spine
    aortic_unfolding: bool = False  # a wider, tortuous aortic arch
    aortic_calcification: bool = False  # a calcified rim on the aortic knob
    inspiration: float = 0.0  # diaphragm offset; positive = deeper breath (lower domes)
    tilt_deg: float = 0.0
    shift_u: float = 0.0
    shift_v: float = 0.0
    noise_level: float = 0.02
    exposure: float = 1.0  # display gamma
    cardiothoracic_ratio: float = 0.44
    mediastinal_width: float = 1.0  # upper mediastinal width relative to normal
    atelectasis_severity: str = ""
    atelectasis_side: str = ""
    consolidation_severity: str = ""
    consolidation_zone: str = ""
    edema_severity: str = ""
    fracture_severity: str = ""
    fracture_side: str = ""
    fracture_rib: int = 0
    lung_lesion_severity: str = ""
    lung_lesion_zone: str = ""
    lung_lesion_size_mm: float = 0.0
    lung_opacity_severity: str = ""
    lung_opacity_zone: str = ""
    pleural_effusion_severity: str = ""
    pleural_effusion_side: str = ""
    pleural_other_severity: str = ""
    pleural_other_side: str = ""
    pneumonia_severity: str = ""
    pneumonia_zone: str = ""
    pneumothorax_severity: str = ""
    pneumothorax_side: str = ""
    cardiomegaly_severity: str = ""
    enlarged_cardiomediastinum_severity: str = ""
    chest_tube: bool = False
    chest_tube_side: str = ""
    endotracheal_tube: bool = False
    ett_tip_cm: float = 0.0
    central_line: bool = False
    central_line_type: str = ""
    pacemaker: bool = False
    pacemaker_leads: int = 0

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> ImageSpec:
        """Pick this spec's fields out of a ground-truth row (extra keys are ignored)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in row:
                continue
            value = row[f.name]
            # Ground-truth tables hold numpy scalars and pandas' missing strings; normalise both.
            if f.type == "str":
                missing = value is None or (isinstance(value, float) and math.isnan(value))
                value = "" if missing else str(value)
            elif f.type == "bool":
                value = bool(value)
            elif f.type == "int":
                value = int(value)
            elif f.type == "float":
                value = float(value)
            values[f.name] = value
        return cls(**values)


SPEC_COLUMNS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ImageSpec))
