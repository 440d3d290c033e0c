"""Raw-data paths that point nowhere, or at a release already there, fail with the way out."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from kedro.io import DatasetError

from medslice.datasets import MimicCxrJpgDataset, MimicCxrReportsDataset
from medslice.mimic import schemas


@pytest.mark.parametrize(
    ("dataset_class", "key"),
    [(MimicCxrJpgDataset, "raw.mimic_cxr_jpg"), (MimicCxrReportsDataset, "raw.mimic_cxr_reports")],
)
def test_missing_raw_data_names_the_path_and_both_fixes(tmp_path: Path, dataset_class, key: str) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as error:
        dataset_class(path=str(missing)).load()
    message = str(error.value)
    assert str(missing) in message
    assert "kedro run --pipeline=synthetic" in message
    assert key in message


def test_writing_over_an_existing_release_is_refused_with_the_way_to_start_afresh(tmp_path: Path) -> None:
    (tmp_path / schemas.METADATA_FILE).write_bytes(b"")
    empty = pd.DataFrame()
    release = SimpleNamespace(
        metadata=empty,
        chexpert=empty,
        negbio=empty,
        split=empty,
        test_set_labeled=empty,
        iter_images=lambda n_jobs: iter(()),
    )
    with pytest.raises(DatasetError, match="make clean-data") as error:
        MimicCxrJpgDataset(path=str(tmp_path)).save(release)
    assert "already holds a MIMIC-CXR-JPG release" in str(error.value)
    assert (tmp_path / schemas.METADATA_FILE).read_bytes() == b""  # untouched
