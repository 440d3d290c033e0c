"""DaskRunner on a small pipeline: a LocalCluster sized from the parameters, memory datasets between nodes
on different workers, and persisted outputs written by the workers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node

from medslice.datasets import ParquetDataset
from medslice.runner import DaskRunner

pytest.importorskip("distributed")


def _double(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value=frame["value"] * 2)


def _total(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"value": [int(left["value"].sum() + right["value"].sum())]})


@pytest.mark.slow
def test_nodes_run_on_a_local_cluster_and_pass_memory_datasets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = Pipeline(
        [
            node(_double, "numbers", "doubled", name="double"),
            node(_double, "doubled", "quadrupled", name="double_again"),
            node(_total, ["doubled", "quadrupled"], "total", name="total"),
        ]
    )
    catalog = DataCatalog(
        {
            "numbers": MemoryDataset(pd.DataFrame({"value": [1, 2, 3]})),
            "total": ParquetDataset(filepath=str(tmp_path / "total.parquet")),
            "params:runner": MemoryDataset({"dask": {"n_workers": 2, "threads_per_worker": 1}}),
        }
    )
    caplog.set_level("INFO")
    DaskRunner().run(pipeline, catalog)
    # `doubled` and `quadrupled` were never declared: they travelled through the scheduler
    assert pd.read_parquet(tmp_path / "total.parquet")["value"].tolist() == [12 + 24]
    assert "LocalCluster of 2 worker(s) with 1 thread(s) each" in caplog.text
    assert "Completed 3 out of 3 tasks" in caplog.text
