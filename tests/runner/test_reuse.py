"""map_checkpointed: units kept the moment they finish, reused by content, recomputed when damaged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medslice.runner.checkpoints import CheckpointStore, fingerprint
from medslice.runner.reuse import UNIT, map_checkpointed, source_identity

CALLS: list[int] = []


@dataclass(frozen=True)
class Unit:
    number: int
    values: np.ndarray


def _weighted_sum(weight: float, unit: Unit) -> float:
    CALLS.append(unit.number)
    return float(weight * unit.values.sum())


def _units(n: int = 4) -> list[Unit]:
    return [Unit(number=i, values=np.arange(5, dtype=np.float64) + i) for i in range(n)]


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def test_a_rerun_loads_every_unit_and_computes_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = CheckpointStore(tmp_path)
    first = map_checkpointed(_weighted_sum, _units(), shared=(2.0,), checkpoints=store, stage="sum")
    assert CALLS == [0, 1, 2, 3]
    CALLS.clear()
    with caplog.at_level(logging.INFO, logger="medslice.runner.reuse"):
        again = map_checkpointed(_weighted_sum, _units(), shared=(2.0,), checkpoints=store, stage="sum")
    assert again == first == [2.0 * (10 + 5 * i) for i in range(4)]
    assert CALLS == []
    assert "sum: reusing 4 of 4 finished units" in caplog.text


def test_only_the_changed_unit_and_every_unit_of_a_changed_setting_are_recomputed(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    map_checkpointed(_weighted_sum, _units(), shared=(2.0,), checkpoints=store, stage="sum")
    units = _units()
    units[2] = Unit(number=2, values=units[2].values + 1e-12)  # one bit of one input
    CALLS.clear()
    found = map_checkpointed(_weighted_sum, units, shared=(2.0,), checkpoints=store, stage="sum")
    assert CALLS == [2] and found[2] == 2.0 * units[2].values.sum()
    CALLS.clear()
    map_checkpointed(_weighted_sum, units, shared=(3.0,), checkpoints=store, stage="sum")
    assert CALLS == [0, 1, 2, 3]


def test_without_a_store_every_unit_is_computed_and_nothing_written(tmp_path: Path) -> None:
    for _ in range(2):
        map_checkpointed(_weighted_sum, _units(2), shared=(1.0,), checkpoints=None, stage="sum")
    assert CALLS == [0, 1, 0, 1]
    assert not any(tmp_path.iterdir())


def test_a_damaged_or_half_written_unit_is_computed_again(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    expected = map_checkpointed(_weighted_sum, _units(3), shared=(1.0,), checkpoints=store, stage="sum")
    kept = sorted(tmp_path.rglob(f"{UNIT}.pkl"))
    assert len(kept) == 3
    kept[0].write_bytes(kept[0].read_bytes()[:10])  # a torn file, as a disk error would leave
    CALLS.clear()
    found = map_checkpointed(_weighted_sum, _units(3), shared=(1.0,), checkpoints=store, stage="sum")
    assert found == expected and len(CALLS) == 1
    assert not list(tmp_path.rglob("*.partial"))


def test_fingerprints_tell_apart_what_differs_and_only_that() -> None:
    values = np.arange(6, dtype=np.float32)
    assert fingerprint(values) == fingerprint(values.copy())
    assert fingerprint(values) != fingerprint(values.astype(np.float64))
    assert fingerprint(values) != fingerprint(values.reshape(2, 3))
    assert fingerprint(Unit(1, values)) == fingerprint(Unit(1, values.copy()))
    assert fingerprint(Unit(1, values)) != fingerprint(Unit(2, values))
    assert fingerprint(np.array(["a", "b"], dtype=object)) != fingerprint(np.array(["a", "c"], dtype=object))
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert fingerprint(frame) != fingerprint(frame.astype({"a": float}))
    assert fingerprint(frame["a"]) != fingerprint(frame["a"] + 1)
    table = pa.table({"x": [1.0, 2.0]})
    assert fingerprint(table) == fingerprint(pa.concat_tables([table.slice(0, 1), table.slice(1)]))
    assert fingerprint(np.int64(3)) == fingerprint(3)


def test_the_source_identity_is_a_digest_of_the_package() -> None:
    assert len(source_identity()) == 64 and source_identity() == source_identity()
