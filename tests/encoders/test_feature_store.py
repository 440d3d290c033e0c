"""The locked-tower feature store: what it keeps, what it computes again, and what it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from medslice.encoders.feature_store import FeatureStore, identity_digest
from medslice.encoders.locked_towers import image_key

IDENTITY = {"tower": "test", "weights_sha256": "abc", "image_size": 64}


def _features(keys: list[str], width: int = 3) -> np.ndarray:
    """Deterministic rows that tell keys apart: row i holds hash-derived values of key i."""
    return np.array([[float(sum(map(ord, key)) + j) for j in range(width)] for key in keys], np.float32)


class CountingCompute:
    """A compute function that records which positions it was asked for."""

    def __init__(self, keys: list[str], nan_positions: set[int] | None = None) -> None:
        self.keys = keys
        self.calls: list[list[int]] = []
        self.nan_positions = nan_positions or set()

    def __call__(self, rows: list[int]) -> np.ndarray:
        self.calls.append(list(rows))
        out = _features([self.keys[row] for row in rows])
        for position, row in enumerate(rows):
            if row in self.nan_positions:
                out[position] = np.nan
        return out


def test_missing_items_are_computed_once_and_then_read(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, "image-trunk", IDENTITY)
    keys = ["a", "b", "c"]
    first = CountingCompute(keys)
    np.testing.assert_array_equal(store.get_or_compute(keys, first), _features(keys))
    assert first.calls == [[0, 1, 2]] and len(store) == 3

    more = ["c", "d", "a", "e"]
    second = CountingCompute(more)
    np.testing.assert_array_equal(store.get_or_compute(more, second), _features(more))
    assert second.calls == [[1, 3]]  # only d and e were new

    # A new store object on the same folder finds everything on disk.
    reopened = FeatureStore(tmp_path, "image-trunk", IDENTITY)
    third = CountingCompute(more)
    np.testing.assert_array_equal(reopened.get_or_compute(more, third), _features(more))
    assert third.calls == [] and len(reopened) == 5 and "d" in reopened


def test_failed_rows_are_returned_as_nan_and_tried_again(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, "image-trunk", IDENTITY)
    keys = ["ok", "broken", "fine"]
    result = store.get_or_compute(keys, CountingCompute(keys, nan_positions={1}))
    assert np.isnan(result[1]).all() and np.isfinite(result[[0, 2]]).all()
    assert "broken" not in store and len(store) == 2
    retry = CountingCompute(keys)
    np.testing.assert_array_equal(store.get_or_compute(keys, retry), _features(keys))
    assert retry.calls == [[1]]


def test_nothing_computable_returns_zero_width_and_stores_nothing(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, "image-trunk", IDENTITY)
    result = store.get_or_compute(["x", "y"], lambda rows: np.zeros((len(rows), 0), np.float32))
    assert result.shape == (2, 0) and len(store) == 0
    assert not store.folder.exists()


def test_another_identity_is_another_store(tmp_path: Path) -> None:
    FeatureStore(tmp_path, "image-trunk", IDENTITY).add(["a"], _features(["a"]))
    other = FeatureStore(tmp_path, "image-trunk", {**IDENTITY, "image_size": 128})
    assert other.folder != FeatureStore(tmp_path, "image-trunk", IDENTITY).folder
    assert "a" not in other
    assert identity_digest(IDENTITY) == identity_digest(dict(reversed(list(IDENTITY.items()))))
    assert (FeatureStore(tmp_path, "image-trunk", IDENTITY).folder / "identity.json").is_file()


def test_unreadable_and_partial_parts_are_ignored(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, "text-pooled", IDENTITY)
    store.add(["a", "b"], _features(["a", "b"]))
    (store.folder / "part-garbage.parquet").write_text("not parquet")
    (store.folder / "part-cut.parquet.partial").write_bytes(b"PAR1")
    reopened = FeatureStore(tmp_path, "text-pooled", IDENTITY)
    assert len(reopened) == 2
    features, found = reopened.lookup(["b", "z", "a"])
    assert found.tolist() == [True, False, True]
    np.testing.assert_array_equal(features[[0, 2]], _features(["b", "a"]))
    assert np.isnan(features[1]).all()


def test_lookup_of_nothing_stored(tmp_path: Path) -> None:
    features, found = FeatureStore(tmp_path, "text-pooled", IDENTITY).lookup(["a", "b"])
    assert features is None and not found.any()


def test_add_keeps_the_first_row_of_a_key(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, "text-pooled", IDENTITY)
    assert store.add(["a"], np.ones((1, 3), np.float32)) == 1
    assert store.add(["a", "b"], np.zeros((2, 3), np.float32)) == 1
    features, _ = FeatureStore(tmp_path, "text-pooled", IDENTITY).lookup(["a", "b"])
    np.testing.assert_array_equal(features, [[1, 1, 1], [0, 0, 0]])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain folder-name"):
        FeatureStore(tmp_path, "a/b", IDENTITY)
    with pytest.raises(ValueError, match="non-empty mapping"):
        FeatureStore(tmp_path, "image-trunk", {})
    store = FeatureStore(tmp_path, "image-trunk", IDENTITY)
    with pytest.raises(ValueError, match=r"must be \(2, D\)"):
        store.add(["a", "b"], np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="compute returned shape"):
        store.get_or_compute(["a", "b"], lambda rows: np.ones((1, 4), np.float32))
    store.add(["a"], np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="identity does not describe the tower"):
        store.get_or_compute(["a", "b"], lambda rows: np.ones((len(rows), 5), np.float32))


def test_image_key_changes_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(b"one")
    before = image_key(path)
    assert before == image_key(path)
    path.write_bytes(b"other content")
    os.utime(path, ns=(1, 1))
    assert image_key(path) != before
    assert image_key(tmp_path / "absent.jpg").endswith("|missing")
