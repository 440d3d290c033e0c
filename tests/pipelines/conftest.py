"""Shared fixtures: a tiny synthetic release written through the real datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from medslice.datasets import MimicCxrJpgDataset, MimicCxrReportsDataset
from medslice.mimic.settings import IngestionSettings
from medslice.pipelines import ingestion, synthetic

TINY_SYNTHETIC = {"n_subjects": 40, "image_rows": 128}
COHORT_PARAMS = {
    "labeler": "chexpert",
    "uncertainty_policy": "u_zeros",
    "view_filter": "all",
    "one_image_per_study": False,
    "splits": ["train", "validate", "test"],
}


def raw_catalog(root: Path, seed: int = 7, synthetic_params: dict[str, Any] | None = None) -> DataCatalog:
    """The raw datasets of a release under ``root``, the rest in memory."""
    return DataCatalog(
        {
            "mimic_cxr_jpg": MimicCxrJpgDataset(path=str(root / "mimic-cxr-jpg"), save_args={"n_jobs": 1}),
            "mimic_cxr_reports": MimicCxrReportsDataset(path=str(root / "mimic-cxr-jpg")),
            "params:synthetic": MemoryDataset(synthetic_params or TINY_SYNTHETIC),
            "params:seed": MemoryDataset(seed),
            "params:ingestion": MemoryDataset(
                IngestionSettings(check_files=True, n_workers=1, cohort=COHORT_PARAMS)
            ),
            "params:ingestion.cohort": MemoryDataset(COHORT_PARAMS),
        }
    )


def run_synthetic_and_ingestion(root: Path, seed: int = 7) -> DataCatalog:
    """Write a tiny release with the `synthetic` pipeline, then ingest it; return the catalog."""
    catalog = raw_catalog(root, seed)
    runner = SequentialRunner()
    runner.run(synthetic.create_pipeline(), catalog)
    runner.run(ingestion.create_pipeline(), catalog)
    return catalog


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> DataCatalog:
    """One tiny release, generated and ingested once for the whole session."""
    return run_synthetic_and_ingestion(tmp_path_factory.mktemp("release"))
