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
from pathlib import Path
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
# The project's Dask settings (timeouts, the workers' environment): read from here by the runner, and by
# `dask scheduler` / `dask worker` started with DASK_CONFIG=conf/dask.
DASK_CONFIG_FOLDER = Path("conf") / "dask"
RUNNER_PARAMETERS = "params:runner"


class _ScheduledDataset(AbstractDataset):
    """A dataset held on the Dask scheduler (``Client.publish_dataset``), not in one process's memory."""

    def __init__(self, name: str, run: str) -> None:
        self._name = f"medslice-{run}-{name}"

    @property
    def name(self) -> str:
        """The name it is published under on the scheduler."""
        return self._name

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
    _configure_worker(package_name, logging_config)
    return Task(
        node=node, catalog=catalog, is_async=is_async, hook_manager=_worker_hooks(), run_id=run_id
    ).execute()


def _worker_hooks() -> PluginManager:
    """A hook manager with the project's hooks and plugins, as Kedro builds one for a session.

    Built here rather than by ``Task(parallel=True)``, which reconfigures Kedro's logging from itself on
    every call and, on the second node a worker runs, recurses without end.
    """
    from kedro.framework.hooks.manager import (
        _create_hook_manager,
        _register_hooks,
        _register_hooks_entry_points,
    )
    from kedro.framework.project import settings

    manager = _create_hook_manager()
    _register_hooks(manager, settings.HOOKS)
    _register_hooks_entry_points(manager, settings.DISABLE_HOOKS_FOR_PLUGINS)
    return manager


_CONFIGURED: set[str] = set()


def _configure_worker(package_name: str | None, logging_config: dict[str, Any] | None) -> None:
    """Point this worker process at the project (its settings, hooks and logging), once per process.

    A worker runs many nodes, and needs the project only once.
    """
    from kedro.framework.project import configure_logging, configure_project

    if not package_name or package_name in _CONFIGURED:
        return
    configure_project(package_name)  # the worker's hooks are the project's, as in the driver
    if logging_config:
        configure_logging(logging_config)
    _CONFIGURED.add(package_name)


class DaskRunner(AbstractRunner):
    """Run a pipeline's nodes as tasks on a ``dask.distributed`` cluster, respecting their dependencies.

    Parameters
    ----------
    is_async : bool, default=False
        Load and save each node's data with threads (Kedro's ``--async``).
    client_args : dict[str, Any] or None, default=None
        Keyword arguments for ``distributed.Client`` (tests pass ``address=cluster``).
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
        scheduled_names: list[str] = []
        try:
            free_inputs = pipeline.inputs()
            for name in sorted(pipeline.datasets()):
                if _is_parameter(name):
                    continue  # parameters travel with the catalog to every worker
                in_memory = name not in catalog or isinstance(catalog.get(name), MemoryDataset)
                if not in_memory:
                    continue
                scheduled = _ScheduledDataset(name, run)
                if name in free_inputs and name in catalog:
                    scheduled.save(catalog.load(name))  # data handed to the run in memory
                catalog[name] = scheduled
                scheduled_names.append(scheduled.name)
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
                    dict(LOGGING),  # a plain copy: Kedro's logging object is not meant to travel
                    *(futures[parent] for parent in dependencies[node]),
                    key=f"{node.name}-{run[:8]}",
                    pure=False,
                )
            for done, future in enumerate(as_completed(futures.values()), start=1):
                node = future.result()
                self._logger.info("Completed node: %s", node.name)
                self._logger.info("Completed %d out of %d tasks", done, len(futures))
        finally:
            # A long-lived scheduler must not keep this run's in-memory datasets.
            for name in set(scheduled_names) & set(client.list_datasets()):
                client.unpublish_dataset(name)
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


def use_project_dask_config(folder: Path = DASK_CONFIG_FOLDER) -> None:
    """Merge the project's ``conf/dask/*.yaml`` into Dask's configuration (nothing when it is absent)."""
    import dask

    if folder.is_dir():
        dask.config.update(dask.config.config, dask.config.collect(paths=[str(folder)], env={}))


def _connect(settings: dict[str, Any], client_args: dict[str, Any]) -> tuple[Any, Any]:
    """A client on the configured scheduler, or on a new ``LocalCluster`` (returned to be closed after)."""
    from distributed import Client, LocalCluster

    use_project_dask_config()
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
