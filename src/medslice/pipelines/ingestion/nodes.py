"""Nodes of the `ingestion` pipeline: thin wrappers over :mod:`medslice.mimic.ingest`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from medslice.mimic import ingest
from medslice.mimic.reader import MimicCxrJpg, MimicCxrReports
from medslice.mimic.settings import IngestionSettings


def build_images_table(
    mimic_cxr_jpg: MimicCxrJpg, ingestion: IngestionSettings
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per listed image whose file exists and whose JPEG header matches ``Rows``/``Columns``."""
    return ingest.build_images_table(
        mimic_cxr_jpg, check_files=ingestion.check_files, n_workers=ingestion.n_workers
    )


def build_reports_table(mimic_cxr_reports: MimicCxrReports) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per report, sectioned as the official MIT-LCP parser does."""
    return ingest.build_reports_table(mimic_cxr_reports)


def build_labels_table(mimic_cxr_jpg: MimicCxrJpg) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The CheXpert and NegBio labels per study, raw (1 / 0 / -1 / missing)."""
    return ingest.build_labels_table(mimic_cxr_jpg)


def build_patients_table(
    mimic_iv_patients: pd.DataFrame, mimic_iv_admissions: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Demographics per subject, with one admission row each."""
    return ingest.build_patients_table(mimic_iv_patients, mimic_iv_admissions)


def build_cohort(
    images: pd.DataFrame,
    reports: pd.DataFrame,
    labels: pd.DataFrame,
    patients: pd.DataFrame,
    cohort_params: dict[str, Any],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Join everything into one row per image, with labels under the chosen uncertainty policy."""
    return ingest.build_cohort(images, reports, labels, patients, cohort_params)


def merge_ingestion_qa(
    images_qa: dict[str, Any],
    reports_qa: dict[str, Any],
    labels_qa: dict[str, Any],
    patients_qa: dict[str, Any],
    cohort_qa: dict[str, Any],
) -> dict[str, Any]:
    """Account for every input row: in the cohort, or in a named exclusion bucket."""
    return ingest.merge_qa(images_qa, reports_qa, labels_qa, patients_qa, cohort_qa)
