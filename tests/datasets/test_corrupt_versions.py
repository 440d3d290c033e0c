"""A newest version that exists but cannot be read is named as corrupt, with the newest good version."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import Version

from medslice.datasets import ModelFolderDataset, ParquetDataset
from medslice.datasets.model_folder import REFERENCE_FILE
from medslice.datasets.versions import CorruptVersionError

VERSIONS = ("2026-01-01T00.00.00.000Z", "2026-01-02T00.00.00.000Z", "2026-01-03T00.00.00.000Z")


def _parquet_versions(root: Path) -> Path:
    for index, version in enumerate(VERSIONS):
        ParquetDataset(filepath=str(root), version=Version(None, version)).save(pd.DataFrame({"x": [index]}))
    return root


def test_the_newest_good_version_is_named(tmp_path: Path) -> None:
    root = _parquet_versions(tmp_path / "cohort.parquet")
    newest = root / VERSIONS[-1] / "cohort.parquet"
    newest.write_bytes(newest.read_bytes()[:40])  # cut short, as a full disk leaves it
    with pytest.raises(
        CorruptVersionError, match=f"version {VERSIONS[-1]} of cohort.parquet is corrupt"
    ) as err:
        ParquetDataset(filepath=str(root), version=Version(None, None)).load()
    assert err.value.good_version == VERSIONS[1]
    assert err.value.path == str(newest)
    assert VERSIONS[1] in err.value.fix and "--load-versions" in err.value.fix
    # The way out works: the named version loads.
    loaded = ParquetDataset(filepath=str(root), version=Version(err.value.good_version, None)).load()
    assert loaded["x"].tolist() == [1]


def test_without_a_good_version_it_says_so(tmp_path: Path) -> None:
    root = _parquet_versions(tmp_path / "cohort.parquet")
    for version in VERSIONS:
        (root / version / "cohort.parquet").write_bytes(b"not parquet")
    with pytest.raises(CorruptVersionError) as raised:
        ParquetDataset(filepath=str(root), version=Version(None, None)).load()
    assert raised.value.good_version is None and "no older version loads" in raised.value.fix


def test_an_unversioned_dataset_keeps_its_reader_error(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(Exception) as raised:  # noqa: PT011 - Kedro's own DatasetError, unchanged
        ParquetDataset(filepath=str(path)).load()
    assert not isinstance(raised.value, CorruptVersionError)


def test_a_model_folder_without_its_reference_is_corrupt_not_absent(tmp_path: Path) -> None:
    root = tmp_path / "encoder"
    for version in VERSIONS[:2]:
        ModelFolderDataset(path=str(root), version=Version(None, version)).save({"model": "hf-hub:x/y"})
    (root / VERSIONS[1] / "encoder" / REFERENCE_FILE).unlink()
    dataset = ModelFolderDataset(path=str(root), version=Version(None, None))
    assert dataset.exists()  # not reported as never trained while older versions sit beside it
    with pytest.raises(CorruptVersionError, match="corrupt") as raised:
        dataset.load()
    assert raised.value.good_version == VERSIONS[0]
    reference = json.loads((root / VERSIONS[0] / "encoder" / REFERENCE_FILE).read_text())
    assert reference["model"] == "hf-hub:x/y"
