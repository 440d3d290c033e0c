"""The `synthetic` and `ingestion` pipelines run as slices with SequentialRunner on a tiny release."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from medslice.mimic import schemas
from medslice.pipelines import synthetic
from tests.pipelines.conftest import raw_catalog, run_synthetic_and_ingestion


def test_cohort_accounts_for_every_metadata_row(ingested: DataCatalog) -> None:
    cohort = ingested.load("cohort")
    qa = ingested.load("ingestion_qa")
    metadata = ingested.load("mimic_cxr_jpg").metadata()
    assert list(cohort.columns) == list(schemas.COHORT_COLUMNS)
    assert qa["accounting"]["metadata_rows"] == len(metadata)
    assert qa["accounting"]["balanced"] is True
    assert qa["accounting"]["cohort_rows"] == len(cohort) == len(metadata)


def test_cohort_labels_match_the_synthetic_chexpert_table(ingested: DataCatalog) -> None:
    cohort = ingested.load("cohort").set_index("dicom_id")
    chexpert = ingested.load("mimic_cxr_jpg").chexpert().set_index("study_id")
    # u_zeros: uncertain and blank become 0, so every cohort label equals (chexpert == 1).
    for label in ("Pneumothorax", "Support Devices", "Cardiomegaly"):
        expected = (chexpert.loc[cohort["study_id"], label] == 1.0).astype(float).to_numpy()
        observed = cohort[schemas.snake_label(label)].to_numpy(dtype=float)
        np.testing.assert_array_equal(observed, expected)


def test_cohort_views_match_the_hidden_ground_truth(ingested: DataCatalog) -> None:
    cohort = ingested.load("cohort").set_index("dicom_id")
    truth = ingested.load("synthetic_ground_truth").set_index("dicom_id").loc[cohort.index]
    known = cohort["view"] != "unknown"
    assert known.mean() > 0.8
    assert (cohort.loc[known, "view"] == truth.loc[known, "view"]).all()


def test_synthetic_release_is_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        catalog = raw_catalog(tmp_path / name)
        SequentialRunner().run(synthetic.create_pipeline(), catalog)
        digests.append((tmp_path / name / "mimic-cxr-jpg" / schemas.SHA256SUMS_FILE).read_text())
    assert digests[0] == digests[1]
    assert len(digests[0].splitlines()) > 50


def test_synthetic_refuses_to_overwrite_a_release(tmp_path: Path) -> None:
    catalog = raw_catalog(tmp_path)
    SequentialRunner().run(synthetic.create_pipeline(), catalog)
    with pytest.raises(Exception, match="already holds"):
        SequentialRunner().run(synthetic.create_pipeline(), raw_catalog(tmp_path))


def test_ingestion_is_deterministic(tmp_path: Path, ingested: DataCatalog) -> None:
    again = run_synthetic_and_ingestion(tmp_path)
    pd.testing.assert_frame_equal(again.load("cohort"), ingested.load("cohort"))
