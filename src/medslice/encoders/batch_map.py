"""Map a function over batch numbers in forked, single-threaded worker processes.

On a CPU, ``n`` single-threaded processes each running whole batches beat one process with ``n``
OpenMP threads: no thread barriers inside every convolution, and no collapse when the machine is
busy (OpenMP threads waiting for a descheduled sibling made a 2-thread forward pass 3x slower than
a 1-thread one on a loaded 2-core box). ``DataLoader`` workers run with one thread each.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from medslice.errors import BadValueError

T = TypeVar("T")


class _BatchJobs(Dataset, Generic[T]):
    """Item ``i`` is ``job(i)``; inherited (not pickled) by forked workers, so closures work."""

    def __init__(self, job: Callable[[int], T], n_batches: int) -> None:
        self.job = job
        self.n_batches = n_batches

    def __len__(self) -> int:
        """Number of batches."""
        return self.n_batches

    def __getitem__(self, index: int) -> T:
        """Run the job for batch ``index``."""
        return self.job(index)


def _as_is(result: T) -> T:
    # DataLoader would turn numpy results into tensors; keep both paths returning the same types.
    return result


def can_fork() -> bool:
    """Whether worker processes can be forked here and inherit closures.

    The ``fork`` start method must exist, and this process must be allowed children: a daemonic process,
    such as a Dask worker, is not, so its work runs in the process itself.
    """
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def map_batches(
    job: Callable[[int], T],
    n_batches: int,
    n_workers: int = 0,
    *,
    desc: str = "batches",
    progress: bool = True,
) -> Iterator[T]:
    """Yield ``job(0)``, ..., ``job(n_batches - 1)`` in order.

    Parameters
    ----------
    job : Callable[[int], T]
        Computes one batch; return numpy arrays or plain Python objects.
    n_batches : int
        Number of batches.
    n_workers : int, default=0
        Forked single-threaded worker processes; 0 (or no ``fork`` on this platform)
        runs the jobs here, with torch's own thread count.
    desc : str, default="batches"
        Progress-bar label.
    progress : bool, default=True
        Show a tqdm bar.
    """
    if n_workers < 0:
        raise BadValueError(f"`n_workers` must be >= 0, got {n_workers!r}")
    bar = tqdm(total=n_batches, desc=desc, unit="batch", disable=not progress)
    try:
        if n_workers == 0 or not can_fork() or n_batches == 0:
            for index in range(n_batches):
                yield job(index)
                bar.update()
            return
        loader = DataLoader(
            _BatchJobs(job, n_batches),
            batch_size=None,
            shuffle=False,
            num_workers=min(n_workers, n_batches),
            multiprocessing_context="fork",
            collate_fn=_as_is,
        )
        for result in loader:
            yield result
            bar.update()
    finally:
        bar.close()
