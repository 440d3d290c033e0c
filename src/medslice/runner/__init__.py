"""Where an audit runs: in process, or on a ``dask.distributed`` cluster.

``DaskRunner`` runs a pipeline's nodes as Dask tasks (``kedro run --runner=medslice.runner.DaskRunner``);
``map_units`` maps a node's independent units of work (bootstraps, embedding shards) over the same
cluster, or runs them in process when no client is active. Results never depend on which ran where.

The executor is Kedro-free, so the library packages use it; ``DaskRunner`` (which needs Kedro) is imported
only when asked for.
"""

from typing import Any

from medslice.runner.executor import active_client, fixed_torch_threads, map_units

__all__ = ["DaskRunner", "active_client", "fixed_torch_threads", "map_units"]


def __getattr__(name: str) -> Any:
    if name == "DaskRunner":
        from medslice.runner.dask_runner import DaskRunner

        return DaskRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
