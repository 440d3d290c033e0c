"""``DaskRunner``: Kedro's documented pattern for running a pipeline's nodes on a Dask cluster.

Each node is submitted as a Dask task that depends on the tasks of the nodes it needs; a worker loads the
node's inputs from the catalog, runs it with the project's hooks and saves its outputs, so every worker
needs the project installed and the data folder readable and writable at the same path. Datasets that
live only in memory are published on the scheduler instead of the catalog. Inside a node, the units of
work (bootstraps, embedding shards) go through :func:`medslice.runner.executor.map_units`, which submits
them to the same cluster, so a 100-bootstrap audit spreads over every worker, not over five scenario
nodes.

The scheduler is, in this order: the ``runner.dask.scheduler_address`` parameter, the
``DASK_SCHEDULER_ADDRESS`` environment variable, or a ``LocalCluster`` of ``runner.dask.n_workers``
one-thread workers (default: one per core).

Use::

    kedro run --pipeline=audit --runner=medslice.runner.DaskRunner
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import TYPE_CHECKING, Any

from kedro.framework.project import LOGGING, PACKAGE_NAME
from kedro.io import AbstractDataset, MemoryDataset
from kedro.runner import AbstractRunner
from kedro.runner.task import Task

if TYPE_CHECKING:
    from kedro.io import CatalogProtocol
    from kedro.pipeline import Pipeline
    from kedro.pipeline.node import Node
    from pluggy import PluginManager

logger = logging.getLogger(__name__)

SCHEDULER_ENVIRONMENT_VARIABLE = "DASK_SCHEDULER_ADDRESS"
# A node holds its worker's GIL for long stretches (imports of torch, big pandas joins), and on a busy machine
# Dask's 30 s defaults then take a live worker for a dead one and cancel its node. A slow heartbeat is not a
# lost worker; a killed one is still noticed at once, by its closed connection.
PATIENT_TIMEOUTS = {
    "distributed.comm.timeouts.connect": "120s",
    "distributed.comm.timeouts.tcp": "600s",
    "distributed.scheduler.worker-ttl": "30 minutes",
}
RUNNER_PARAMETERS = "params:runner"


class _ScheduledDataset(AbstractDataset):
    """A dataset held on the Dask scheduler (``Client.publish_dataset``), not in one process's memory."""

    def __init__(self, name: str, run: str) -> None:
        self._name = f"medslice-{run}-{name}"

    def load(self) -> Any:
        from distributed import get_client

        return get_client().get_dataset(self._name)

    def save(self, data: Any) -> None:
        from distributed import get_client

        get_client().publish_dataset(data, name=self._name, override=True)

    def _exists(self) -> bool:
        from distributed import get_client

        return self._name in get_client().list_datasets()

    def _release(self) -> None:
        from distributed import get_client

        get_client().unpublish_dataset(self._name)

    def _describe(self) -> dict[str, Any]:
        return {"name": self._name}


def _run_node_on_worker(
    node: Node,
    catalog: CatalogProtocol,
    is_async: bool,
    run_id: str | None,
    package_name: str | None,
    logging_config: dict[str, Any] | None,
    *dependencies: Node,
) -> Node:
    """Run one node in a worker, with the project's settings and hooks (``dependencies`` only order it)."""
    del dependencies
    from kedro.framework.project import configure_logging, configure_project

    if package_name:
        configure_project(package_name)  # the worker's hooks are the project's, as in the driver
    if logging_config:
        configure_logging(logging_config)
    return Task(node=node, catalog=catalog, is_async=is_async, run_id=run_id, parallel=True).execute()


class DaskRunner(AbstractRunner):
    """Run a pipeline's nodes as tasks on a ``dask.distributed`` cluster, respecting their dependencies.

    Args:
        is_async: load and save each node's data with threads (Kedro's ``--async``).
        client_args: keyword arguments for ``distributed.Client`` (tests pass ``address=cluster``).
    """

    def __init__(self, is_async: bool = False, client_args: dict[str, Any] | None = None) -> None:
        super().__init__(is_async=is_async)
        self._client_args = dict(client_args or {})

    def _get_executor(self, max_workers: int) -> None:
        return None  # the Dask client is the executor; see _run

    def _run(
        self,
        pipeline: Pipeline,
        catalog: CatalogProtocol,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
    ) -> None:
        """Submit every node to the cluster in topological order and wait for all of them."""
        from distributed import as_completed

        del hook_manager  # each worker builds the project's own, as Kedro's ParallelRunner does
        settings = _dask_settings(catalog)
        client, cluster = _connect(settings, self._client_args)
        run = run_id or uuid.uuid4().hex
        try:
            for name in sorted(pipeline.datasets()):
                if (
                    name in catalog
                    and isinstance(catalog.get(name), MemoryDataset)
                    and not _is_parameter(name)
                ) or name not in catalog:
                    catalog[name] = _ScheduledDataset(name, run)
            dependencies = pipeline.node_dependencies
            futures: dict[Node, Any] = {}
            for node in pipeline.nodes:  # topologically sorted
                futures[node] = client.submit(
                    _run_node_on_worker,
                    node,
                    catalog,
                    self._is_async,
                    run_id,
                    PACKAGE_NAME,
                    LOGGING,
                    *(futures[parent] for parent in dependencies[node]),
                    key=f"{node.name}-{run[:8]}",
                    pure=False,
                )
            for done, future in enumerate(as_completed(futures.values()), start=1):
                node = future.result()
                self._logger.info("Completed node: %s", node.name)
                self._logger.info("Completed %d out of %d tasks", done, len(futures))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _is_parameter(name: str) -> bool:
    return name == "parameters" or name.startswith("params:")


def _dask_settings(catalog: CatalogProtocol) -> dict[str, Any]:
    """``runner.dask`` from the run's parameters (empty when the project declares none)."""
    if RUNNER_PARAMETERS not in catalog:
        return {}
    runner = catalog.load(RUNNER_PARAMETERS) or {}
    return dict(runner.get("dask") or {})


def _connect(settings: dict[str, Any], client_args: dict[str, Any]) -> tuple[Any, Any]:
    """A client on the configured scheduler, or on a new ``LocalCluster`` (returned to be closed after)."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set(PATIENT_TIMEOUTS)
    if client_args:
        return Client(**client_args), None
    address = settings.get("scheduler_address") or os.environ.get(SCHEDULER_ENVIRONMENT_VARIABLE)
    if address:
        logger.info("Dask: connecting to the scheduler at %s", address)
        return Client(address), None
    n_workers = settings.get("n_workers") or os.cpu_count() or 1
    threads = settings.get("threads_per_worker") or 1
    logger.info("Dask: starting a LocalCluster of %d worker(s) with %d thread(s) each", n_workers, threads)
    cluster = LocalCluster(
        n_workers=int(n_workers), threads_per_worker=int(threads), dashboard_address=settings.get("dashboard")
    )
    return Client(cluster), cluster
