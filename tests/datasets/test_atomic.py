"""Catalog datasets write through a hidden name and a rename: a crash mid-write leaves no newest version."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from kedro.io import Version

from medslice.datasets import ArrowParquetDataset, JSONDataset, ParquetDataset, TextDataset
from medslice.datasets.atomic import partial_path

OLD, NEW = "2026-01-01T00.00.00.000Z", "2026-01-02T00.00.00.000Z"


def test_a_write_that_dies_leaves_the_previous_version_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "table.parquet")
    ParquetDataset(filepath=path, version=Version(None, OLD)).save(pd.DataFrame({"a": [1]}))

    def dies_half_way(frame: pd.DataFrame, target: object, **kwargs: object) -> None:
        Path(str(target.path if hasattr(target, "path") else target)).write_bytes(b"PAR1 half")
        raise KeyboardInterrupt  # what a kill looks like from inside the write

    monkeypatch.setattr(pd.DataFrame, "to_parquet", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        ParquetDataset(filepath=path, version=Version(None, NEW)).save(pd.DataFrame({"a": [2]}))
    monkeypatch.undo()
    # the torn bytes sit under the hidden name, never under the version's
    assert not (tmp_path / "table.parquet" / NEW / "table.parquet").exists()
    assert ParquetDataset(filepath=path).load()["a"].tolist() == [1]


@pytest.mark.parametrize(
    ("dataset", "data"),
    [
        (lambda p: ParquetDataset(filepath=str(p / "t.parquet"), version=Version(None, NEW)), pd.DataFrame()),
        (lambda p: JSONDataset(filepath=str(p / "q.json"), version=Version(None, NEW)), {"a": 1}),
        (lambda p: TextDataset(filepath=str(p / "s.md")), "# summary"),
        (
            lambda p: ArrowParquetDataset(filepath=str(p / "e.parquet"), version=Version(None, NEW)),
            pa.table({}),
        ),
    ],
)
def test_a_finished_write_is_renamed_into_place(tmp_path: Path, dataset: object, data: object) -> None:
    instance = dataset(tmp_path)
    instance.save(data)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) == 1 and not written[0].name.startswith(".")
    assert partial_path(written[0]).name.startswith(".") and not partial_path(written[0]).exists()
    instance.load()
