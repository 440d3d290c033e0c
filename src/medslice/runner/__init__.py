"""Where an audit runs: in process, or on a ``dask.distributed`` cluster.

``DaskRunner`` runs a pipeline's nodes as Dask tasks (``kedro run --runner=medslice.runner.DaskRunner``);
``map_units`` maps a node's independent units of work (bootstraps, embedding shards) over the same
cluster, or runs them in process when no client is active. Results never depend on which ran where.
"""

from medslice.runner.dask_runner import DaskRunner
from medslice.runner.executor import active_client, fixed_torch_threads, map_units

__all__ = ["DaskRunner", "active_client", "fixed_torch_threads", "map_units"]
