"""map_units in process and on a real two-worker LocalCluster: order, nesting, a killed worker."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from medslice.runner import map_units
from medslice.runner.checkpoints import CheckpointStore
from medslice.runner.executor import active_client, fixed_torch_threads
from medslice.runner.reuse import map_checkpointed
from medslice.scenarios import ScenarioSpec, run_scenario
from tests.scenarios.conftest import make_cohort
from tests.scenarios.test_bootstrap import CLASSIFIER, SPEC, InMemoryLoader

distributed = pytest.importorskip("distributed")


def _slow_square(delay: float, item: int) -> int:
    time.sleep(delay * (5 - item))  # the first items finish last
    return item * item


def _nested(delay: float, item: int) -> list[int]:
    # a unit that maps units of its own, as a node running on a worker does
    return map_units(_slow_square, [item, item + 1], shared=(delay,), show_progress=False)


class DyingLoader(InMemoryLoader):
    """Kills the worker process the first time it is asked for ``fatal`` (a marker file remembers)."""

    def __init__(self, cohort: pd.DataFrame, root: Path, fatal: str, marker: Path) -> None:
        super().__init__(cohort, root)
        self.fatal, self.marker = str(root / fatal), marker

    def __call__(self, paths: Sequence[Path], size: int) -> tuple[np.ndarray, np.ndarray]:
        if self.fatal in {str(p) for p in paths} and not self.marker.exists():
            self.marker.write_text("died once")
            os._exit(1)  # a worker killed mid-bootstrap
        return super().__call__(paths, size)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
    )
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def test_without_a_client_units_run_in_process_in_order() -> None:
    assert active_client() is None
    assert map_units(_slow_square, range(5), shared=(0.0,), show_progress=False) == [0, 1, 4, 9, 16]


@pytest.mark.slow
def test_results_come_back_in_input_order_whatever_finishes_first(client: object) -> None:
    assert map_units(_slow_square, range(5), shared=(0.05,), show_progress=False) == [0, 1, 4, 9, 16]
    # units mapped from inside a unit run on the same cluster without deadlocking its two workers
    assert map_units(_nested, range(4), shared=(0.01,), show_progress=False) == [
        [0, 1],
        [1, 4],
        [4, 9],
        [9, 16],
    ]


@pytest.mark.slow
def test_a_scenario_on_the_cluster_equals_the_in_process_run(client: object) -> None:
    cohort = make_cohort()
    spec = ScenarioSpec.from_dict("spurious_correlation", SPEC)
    settings = {"n_classifiers": 2, "audit_draws": 2, "max_retries": 1, "classifier": CLASSIFIER, "seed": 3}
    loader = InMemoryLoader(cohort, Path("/images"))
    remote = run_scenario(cohort, spec, Path("/images"), image_loader=loader, show_progress=False, **settings)
    with _no_client():
        local = run_scenario(
            cohort, spec, Path("/images"), image_loader=InMemoryLoader(cohort, Path("/images")),
            show_progress=False, **settings,
        )  # fmt: skip
    _assert_same_run(remote, local)


@pytest.mark.slow
def test_a_worker_killed_mid_bootstrap_is_retried_with_nothing_lost(client: object, tmp_path: Path) -> None:
    cohort = make_cohort()
    spec = ScenarioSpec.from_dict("spurious_correlation", SPEC)
    settings = {"n_classifiers": 2, "audit_draws": 2, "max_retries": 1, "classifier": CLASSIFIER, "seed": 3}
    with _no_client():
        local = run_scenario(
            cohort, spec, Path("/images"), image_loader=InMemoryLoader(cohort, Path("/images")),
            show_progress=False, **settings,
        )  # fmt: skip
    # the image of the last bootstrap's audit set that no training or check set holds: asked for only there
    fatal = local.audit_sets[local.audit_sets["bootstrap"] == 3]["image_path"].iloc[0]
    marker = tmp_path / "died"
    store = CheckpointStore(tmp_path / "checkpoints")
    dying = DyingLoader(cohort, Path("/images"), fatal, marker)
    remote = run_scenario(
        cohort, spec, Path("/images"), image_loader=dying, show_progress=False, checkpoints=store, **settings
    )
    assert marker.exists()  # a worker did die
    _assert_same_run(remote, local)
    # every unit was kept once: two classifiers, four bootstraps
    assert len(list((tmp_path / "checkpoints").rglob("*.pkl"))) == 6


def test_a_fixed_thread_count_is_restored_afterwards() -> None:
    before = torch.get_num_threads()
    with fixed_torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


class _no_client:  # noqa: N801 - a context manager used like a function
    """Hide the default client, so that units run in process."""

    def __enter__(self) -> None:
        from distributed.client import _set_global_client, default_client

        try:
            self._previous = default_client()
        except ValueError:
            self._previous = None
        _set_global_client(None)

    def __exit__(self, *exc: object) -> None:
        from distributed.client import _set_global_client

        _set_global_client(self._previous)


def _assert_same_run(left: object, right: object) -> None:
    pd.testing.assert_frame_equal(left.predictions, right.predictions, check_exact=True)
    pd.testing.assert_frame_equal(left.train_sets, right.train_sets, check_exact=True)
    assert json.dumps(left.qa, sort_keys=True) == json.dumps(right.qa, sort_keys=True)
    for classifier, state in right.classifiers.items():
        for name, tensor in state.items():
            assert torch.equal(left.classifiers[classifier][name], tensor)


def _lookup(settings: dict, names: list, item: int) -> int:
    return settings["scale"] * item + len(names)


@pytest.mark.slow
def test_shared_mappings_and_lists_travel_whole_and_concurrent_maps_do_not_clash(client: object) -> None:
    # Dask scatters a dict's values under the dict's own keys; two maps sharing {"scale": ...} at once must
    # not meet on a key named "scale".
    def both(offset: int) -> list[int]:
        return map_units(_lookup, range(3), shared=({"scale": offset}, ["a", "b"]), show_progress=False)

    futures = [client.submit(both, offset, pure=False) for offset in (1, 10, 100)]
    assert client.gather(futures) == [[2, 3, 4], [2, 12, 22], [2, 102, 202]]


def _cube(offset: int, item: int) -> int:
    return (item + offset) ** 3


def test_units_kept_by_workers_are_reused_in_process(client: object, tmp_path: Path) -> None:
    """Workers keep each unit as it finishes; a rerun anywhere else finds them under the same keys."""
    store = CheckpointStore(tmp_path)
    on_cluster = map_checkpointed(_cube, list(range(6)), shared=(1,), checkpoints=store, stage="cube")
    assert len(list(tmp_path.rglob("*.pkl"))) == 6
    # A unit computed again would be saved again: a new file (inode) under the same name.
    kept = {path: path.stat().st_ino for path in tmp_path.rglob("*.pkl")}
    with _no_client():
        again = map_checkpointed(_cube, list(range(6)), shared=(1,), checkpoints=store, stage="cube")
    assert on_cluster == again == [(i + 1) ** 3 for i in range(6)]
    assert {path: path.stat().st_ino for path in tmp_path.rglob("*.pkl")} == kept
