"""Map a function over chunks of work in a small process pool, with one progress bar over items."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from tqdm.auto import tqdm

from medslice.errors import BadValueError

Chunk = TypeVar("Chunk", bound=Sequence)
Result = TypeVar("Result")


def chunked(items: Sequence, size: int) -> list[Sequence]:
    """Split ``items`` into consecutive slices of at most ``size`` items."""
    if size < 1:
        raise BadValueError(f"size must be at least 1, got {size}")
    return [items[start : start + size] for start in range(0, len(items), size)]


def map_chunks(
    func: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    *,
    n_workers: int,
    desc: str,
    unit: str,
) -> list[Result]:
    """Apply ``func`` to every chunk and return the results in chunk order.

    With ``n_workers <= 1`` (or a single chunk) the work runs in this process. Otherwise it runs in
    a pool of ``n_workers`` *spawned* processes: spawning, unlike forking, neither copies this
    process's memory nor inherits threads from torch or Kedro. ``func`` must be a module-level
    function (or a ``functools.partial`` of one). As with any spawned pool, a plain script calling
    this with ``n_workers > 1`` needs an ``if __name__ == "__main__":`` guard; notebooks and ``kedro
    run`` need nothing. Inside a daemonic process, which may not have children, the work runs
    serially. The progress bar counts items, not chunks.
    """
    if n_workers < 1:
        raise BadValueError(f"n_workers must be at least 1, got {n_workers}")
    total = sum(len(chunk) for chunk in chunks)
    results: list[Result] = []
    with tqdm(total=total, desc=desc, unit=unit) as progress:
        if n_workers == 1 or len(chunks) <= 1 or multiprocessing.current_process().daemon:
            for chunk in chunks:
                results.append(func(chunk))
                progress.update(len(chunk))
            return results
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
            for chunk, result in zip(chunks, pool.map(func, chunks), strict=True):
                results.append(result)
                progress.update(len(chunk))
    return results
