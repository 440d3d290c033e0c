"""The PhysioNet folder layout of MIMIC-CXR-JPG and the MIMIC-CXR reports (docs/reference.md §3.1, §3.5)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

SUBJECT_ID_RE = re.compile(r"^1\d{7}$")
STUDY_ID_RE = re.compile(r"^5\d{7}$")
DICOM_ID_RE = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){4}$")

REPORT_TITLE = " " * 33 + "FINAL REPORT"


def subject_folder(subject_id: int) -> PurePosixPath:
    """``files/p10/p10000032`` for subject 10000032: the group folder is the first 3 chars of ``p<id>``."""
    name = f"p{int(subject_id)}"
    return PurePosixPath("files") / name[:3] / name


def image_relpath(subject_id: int, study_id: int, dicom_id: str) -> PurePosixPath:
    """Relative path of one JPEG, e.g. ``files/p10/p10000032/s50414267/<dicom_id>.jpg``."""
    return subject_folder(subject_id) / f"s{int(study_id)}" / f"{dicom_id}.jpg"


def report_relpath(subject_id: int, study_id: int) -> PurePosixPath:
    """Relative path of one report, e.g. ``files/p10/p10000032/s50414267.txt``."""
    return subject_folder(subject_id) / f"s{int(study_id)}.txt"


def is_valid_subject_id(value: object) -> bool:
    """True for an 8-digit subject id starting with 1."""
    return bool(SUBJECT_ID_RE.match(str(value)))


def is_valid_study_id(value: object) -> bool:
    """True for an 8-digit study id starting with 5."""
    return bool(STUDY_ID_RE.match(str(value)))


def is_valid_dicom_id(value: object) -> bool:
    """True for five dash-joined groups of 8 lowercase hex characters."""
    return bool(DICOM_ID_RE.match(str(value)))
