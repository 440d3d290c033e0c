"""Column names and orders of the MIMIC-CXR-JPG 2.1.0, MIMIC-CXR reports and MIMIC-IV files.

These constants are the single source of truth for the PhysioNet formats (docs/reference.md §3): the synthetic
writer emits exactly these columns in exactly this order and the readers match them by name.
"""

from __future__ import annotations

METADATA_FILE = "mimic-cxr-2.0.0-metadata.csv.gz"
CHEXPERT_FILE = "mimic-cxr-2.0.0-chexpert.csv.gz"
NEGBIO_FILE = "mimic-cxr-2.0.0-negbio.csv.gz"
SPLIT_FILE = "mimic-cxr-2.0.0-split.csv.gz"
TEST_SET_LABELED_FILE = "mimic-cxr-2.1.0-test-set-labeled.csv"
IMAGE_FILENAMES_FILE = "IMAGE_FILENAMES"
SHA256SUMS_FILE = "SHA256SUMS.txt"
LICENSE_FILE = "LICENSE.txt"
README_FILE = "README"

PATIENTS_FILE = "patients.csv.gz"
ADMISSIONS_FILE = "admissions.csv.gz"

METADATA_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "subject_id",
    "study_id",
    "PerformedProcedureStepDescription",
    "ViewPosition",
    "Rows",
    "Columns",
    "StudyDate",
    "StudyTime",
    "ProcedureCodeSequence_CodeMeaning",
    "ViewCodeSequence_CodeMeaning",
    "PatientOrientationCodeSequence_CodeMeaning",
)

LABEL_NAMES: tuple[str, ...] = (
    "Atelectasis",
    "Cardiomegaly",
    "Consolidation",
    "Edema",
    "Enlarged Cardiomediastinum",
    "Fracture",
    "Lung Lesion",
    "Lung Opacity",
    "No Finding",
    "Pleural Effusion",
    "Pleural Other",
    "Pneumonia",
    "Pneumothorax",
    "Support Devices",
)

# The labelled test set may spell one label differently (docs/reference.md §3.3, unconfirmed).
LABEL_ALIASES: dict[str, str] = {"Airspace Opacity": "Lung Opacity"}

LABEL_COLUMNS: tuple[str, ...] = ("subject_id", "study_id", *LABEL_NAMES)
TEST_SET_LABELED_COLUMNS: tuple[str, ...] = ("study_id", *LABEL_NAMES)

SPLIT_COLUMNS: tuple[str, ...] = ("dicom_id", "study_id", "subject_id", "split")
SPLIT_VALUES: tuple[str, ...] = ("train", "validate", "test")

PATIENTS_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "gender",
    "anchor_age",
    "anchor_year",
    "anchor_year_group",
    "dod",
)

ADMISSIONS_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "hadm_id",
    "admittime",
    "dischtime",
    "deathtime",
    "admission_type",
    "admit_provider_id",
    "admission_location",
    "discharge_location",
    "insurance",
    "language",
    "marital_status",
    "race",
    "edregtime",
    "edouttime",
    "hospital_expire_flag",
)
# MIMIC-IV before 2.0 names `race` as `ethnicity`.
ADMISSIONS_ALIASES: dict[str, str] = {"ethnicity": "race"}

FRONTAL_VIEWS: frozenset[str] = frozenset(
    {"AP", "PA", "AP AXIAL", "PA LLD", "AP LLD", "AP RLD", "PA RLD", "LAO", "RAO", "LPO"}
)
LATERAL_VIEWS: frozenset[str] = frozenset({"LATERAL", "LL", "XTABLE LATERAL", "SWIMMERS"})


def snake_label(name: str) -> str:
    """Return the cohort column name of a MIMIC label, e.g. ``"Support Devices"`` -> ``"support_devices"``."""
    return name.lower().replace(" ", "_")


def view_group(view_position: str | None) -> str:
    """Map a raw ``ViewPosition`` to ``"frontal"``, ``"lateral"`` or ``"unknown"`` (empty or unseen)."""
    if not view_position:
        return "unknown"
    if view_position in LATERAL_VIEWS:
        return "lateral"
    if view_position in FRONTAL_VIEWS:
        return "frontal"
    return "unknown"


# The cohort (03_primary): one row per image. Downstream stages (scenarios, explanation, reporting) rely
# on these names, so they live here rather than in the cohort builder.
LABEL_COLUMNS_SNAKE: tuple[str, ...] = tuple(snake_label(n) for n in LABEL_NAMES)
REPORT_SECTION_COLUMNS: tuple[str, ...] = (
    "report_impression",
    "report_findings",
    "report_indication",
    "report_comparison",
    "report_history",
    "report_last_paragraph",
    "report_text",
)
COHORT_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "subject_id",
    "study_id",
    "split",
    "image_path",
    "view_position",
    "view",
    "orientation",
    "procedure",
    "exam_kind",
    "rows",
    "columns",
    "megapixels",
    "resolution",
    "study_datetime",
    "time_of_day",
    *LABEL_COLUMNS_SNAKE,
    "has_report",
    *REPORT_SECTION_COLUMNS,
    "gender",
    "anchor_age",
    "age_group",
    "race",
    "race_group",
    "insurance",
    "insurance_group",
    "language",
    "marital_status",
    "metadata_sentence",
)
# Categorical cohort columns that attribute enrichment and scenario expressions commonly use.
CATEGORICAL_COHORT_COLUMNS: tuple[str, ...] = (
    "view",
    "orientation",
    "exam_kind",
    "resolution",
    "time_of_day",
    "gender",
    "age_group",
    "race_group",
    "insurance_group",
    *LABEL_COLUMNS_SNAKE,
)
