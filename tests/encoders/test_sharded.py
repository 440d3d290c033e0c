"""Parquet embedding shards: schema, identity metadata and resuming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from medslice.encoders.sharded import (
    embed_in_shards,
    embeddings_from_frame,
    embeddings_to_arrow,
    identity_from_arrow,
)

IDENTITY = {"encoder": "test", "weights_sha256": "abc"}


class CountingEncoder:
    """Deterministic fake encoder that counts how many items it was asked to embed."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.calls: list[int] = []

    def __call__(self, items: list[float]) -> np.ndarray:
        self.calls.append(len(items))
        values = np.asarray(items, dtype=np.float32)[:, None]
        return np.hstack([values, values * self.scale, -values])


def test_arrow_round_trip_keeps_types_and_identity() -> None:
    matrix = np.arange(12, dtype=np.float64).reshape(4, 3)
    table = embeddings_to_arrow(["a", "b", "c", "d"], "dicom_id", matrix, IDENTITY)
    assert table.schema.field("embedding").type == pa.list_(pa.float32(), 3)
    assert identity_from_arrow(table) == IDENTITY
    frame = table.to_pandas()
    assert frame["dicom_id"].tolist() == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(embeddings_from_frame(frame), matrix.astype(np.float32))


def test_arrow_rejects_mismatched_ids() -> None:
    with pytest.raises(ValueError, match="ids"):
        embeddings_to_arrow(["a"], "id", np.zeros((2, 3)), IDENTITY)


def test_second_run_skips_written_shards(tmp_path: Path) -> None:
    ids = [f"id{i}" for i in range(10)]
    items = [float(i) for i in range(10)]
    first = CountingEncoder()
    frame = embed_in_shards(ids, items, first, tmp_path, 4, IDENTITY)
    assert first.calls == [4, 4, 2]
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [
        "shard-00000.parquet",
        "shard-00001.parquet",
        "shard-00002.parquet",
    ]
    assert identity_from_arrow(pq.read_schema(tmp_path / "shard-00001.parquet")) == IDENTITY
    assert frame["id"].tolist() == ids
    np.testing.assert_array_equal(embeddings_from_frame(frame)[:, 0], items)

    second = CountingEncoder()
    again = embed_in_shards(ids, items, second, tmp_path, 4, IDENTITY)
    assert second.calls == []
    pd.testing.assert_frame_equal(again, frame)


def test_interrupted_run_resumes_only_missing_shards(tmp_path: Path) -> None:
    ids, items = list(range(9)), [float(i) for i in range(9)]
    embed_in_shards(ids, items, CountingEncoder(), tmp_path, 3, IDENTITY)
    (tmp_path / "shard-00001.parquet").unlink()
    (tmp_path / "shard-00002.parquet").write_bytes(b"half-written")
    resumed = CountingEncoder()
    frame = embed_in_shards(ids, items, resumed, tmp_path, 3, IDENTITY)
    assert resumed.calls == [3, 3]
    np.testing.assert_array_equal(embeddings_from_frame(frame)[:, 0], items)


def test_other_identity_rewrites_shards(tmp_path: Path) -> None:
    ids, items = list(range(6)), [float(i) for i in range(6)]
    embed_in_shards(ids, items, CountingEncoder(), tmp_path, 3, IDENTITY)
    other_identity = {**IDENTITY, "weights_sha256": "def"}
    rewriter = CountingEncoder(scale=2.0)
    frame = embed_in_shards(ids, items, rewriter, tmp_path, 3, other_identity)
    assert rewriter.calls == [3, 3]
    np.testing.assert_array_equal(embeddings_from_frame(frame)[:, 1], np.array(items) * 2)
    assert identity_from_arrow(pq.read_schema(tmp_path / "shard-00000.parquet")) == other_identity


def test_shorter_id_list_removes_stale_shards(tmp_path: Path) -> None:
    embed_in_shards(list(range(9)), [0.0] * 9, CountingEncoder(), tmp_path, 3, IDENTITY)
    frame = embed_in_shards(list(range(4)), [0.0] * 4, CountingEncoder(), tmp_path, 3, IDENTITY)
    assert len(frame) == 4
    assert len(list(tmp_path.glob("shard-*.parquet"))) == 2
