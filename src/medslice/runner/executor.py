"""Map independent units of work (bootstraps, embedding shards) in process or over a Dask cluster.

The executor is chosen by where the code runs, not by a setting the library threads through: when a
``dask.distributed`` client is active (``kedro run --runner=medslice.runner.DaskRunner``, or a notebook
that made a ``Client``), :func:`map_units` submits every unit to it; otherwise the units run one after the
other in this process. Either way the results come back **in the order of the inputs**, so nothing
downstream depends on which unit finished first.

A unit must be a pure function of its arguments (its randomness seeded from them), so that where and in
which order it runs cannot change what it returns. Torch picks different kernels for different thread
counts, so every unit runs with the thread count its caller fixes (:func:`fixed_torch_threads`), not with
whatever the process it lands in happens to use.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def active_client() -> Any | None:
    """The ``dask.distributed`` client this code should submit to, or None to run in process.

    Inside a task on a Dask worker this is the worker's client (nested submission); in the driver it is
    the default client, if one was made. Without ``distributed`` installed there is none.
    """
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - distributed is a dependency; notebooks may lack it
        return None
    try:
        return get_client()
    except ValueError:  # no client was made in this process
        return None


@contextlib.contextmanager
def _seceded(client: Any) -> Iterator[Any]:
    """Inside a worker task, leave the worker's thread pool while waiting for sub-tasks.

    A node running on a worker that blocks on its own units would hold a worker thread; with every thread
    held by a waiting node, no unit could run. ``worker_client`` secedes for the duration.
    """
    from distributed import get_worker, worker_client

    try:
        get_worker()
    except ValueError:  # in the driver: the client itself
        yield client
        return
    with worker_client() as nested:
        yield nested


def map_units(
    function: Callable[..., R],
    items: Sequence[T],
    *,
    shared: Sequence[Any] = (),
    desc: str = "units",
    key_prefix: str = "medslice-unit",
    show_progress: bool = True,
    client: Any | None = None,
) -> list[R]:
    """``[function(*shared, item) for item in items]``, in process or on the active Dask client.

    Parameters
    ----------
    function : Callable[..., R]
        A pure, picklable function ``function(*shared, item) -> result``.
    items : Sequence[T]
        One entry per unit of work (e.g. a bootstrap index).
    shared : Sequence[Any], default=()
        Arguments every unit takes; on a cluster they are scattered once, not sent per unit.
    desc : str, default="units"
        The progress bar's label.
    key_prefix : str, default="medslice-unit"
        Names the units on the Dask dashboard (``<prefix>-<batch>-<position>``).
    show_progress : bool, default=True
        A tqdm bar over the units as they finish.
    client : Any or None, default=None
        A ``distributed.Client`` to use instead of the active one (None: :func:`active_client`).

    Returns
    -------
    list[R]
        The results in the order of ``items``, whichever unit finished first.
    """
    items = list(items)
    client = client if client is not None else active_client()
    if client is None or len(items) == 0:
        return [function(*shared, item) for item in tqdm(items, desc=desc, disable=not show_progress)]
    from distributed import as_completed

    with _seceded(client) as submitter:
        # Wrapped in a list: Dask scatters a dict's values under the dict's keys (two nodes sharing a slicer
        # mapping then clash on keys like 'max_iter') and a list element by element. Each value is one object.
        scattered = [submitter.scatter([value], broadcast=True, hash=False)[0] for value in shared]
        batch = uuid.uuid4().hex[:8]  # two nodes mapping at once must not share task keys
        futures = [
            submitter.submit(function, *scattered, item, key=f"{key_prefix}-{batch}-{position}", pure=False)
            for position, item in enumerate(items)
        ]
        with tqdm(total=len(futures), desc=f"{desc} (dask)", disable=not show_progress) as bar:
            for _ in as_completed(futures):
                bar.update()
        # gather keeps the order of the futures, which is the order of the items
        return submitter.gather(futures)


@contextlib.contextmanager
def fixed_torch_threads(n_threads: int) -> Iterator[None]:
    """Run the block with exactly ``n_threads`` torch intra-op threads, then restore the count.

    Torch's CPU kernels split their reductions by thread, so the same training run gives bitwise
    different weights with 1 and with 2 threads. Fixing the count per unit makes a unit's result the same
    in this process, on a one-thread Dask worker or on a bigger machine.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
