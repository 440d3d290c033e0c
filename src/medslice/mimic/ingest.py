"""The functions the Kedro ingestion nodes call; each returns ``(table, qa dict)``.

They live in one module per table (images, reports, labels, patients, cohort) and are gathered here
so that the pipeline has one import.
"""

from __future__ import annotations

from medslice.mimic.cohort import DEFAULT_COHORT_PARAMS, build_cohort, resolve_cohort_params
from medslice.mimic.ingest_images import IMAGES_COLUMNS, build_images_table
from medslice.mimic.ingest_labels import LABELS_COLUMNS, build_labels_table
from medslice.mimic.ingest_patients import PATIENTS_TABLE_COLUMNS, build_patients_table
from medslice.mimic.ingest_reports import REPORTS_COLUMNS, build_reports_table
from medslice.mimic.qa import merge_qa

__all__ = [
    "DEFAULT_COHORT_PARAMS",
    "IMAGES_COLUMNS",
    "LABELS_COLUMNS",
    "PATIENTS_TABLE_COLUMNS",
    "REPORTS_COLUMNS",
    "build_cohort",
    "build_images_table",
    "build_labels_table",
    "build_patients_table",
    "build_reports_table",
    "merge_qa",
    "resolve_cohort_params",
]
