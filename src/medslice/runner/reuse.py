"""Map units of work like :func:`~medslice.runner.executor.map_units`, reusing those already finished.

A stage after the classifiers (fusion, slicing, explanation, evaluation) maps a pure function over the
bootstraps of an audit. Each unit's result is kept in a :class:`~medslice.runner.checkpoints.CheckpointStore`
the moment it is computed, under a hash of everything that decides it: the function, the arguments every
unit shares, the unit's own inputs and the source code of medslice. A rerun, or a run resumed after a
kill, loads the units it finds and computes only the others. Because the key is the unit's content, a
bootstrap whose inputs did not change is reused even when other bootstraps of the same node changed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from medslice.runner.checkpoints import CheckpointStore, fingerprint
from medslice.runner.executor import map_units

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

UNIT = "result"


@functools.cache
def source_identity() -> str:
    """A digest of medslice's own source files: a changed library invalidates every kept downstream unit.

    Reusing a unit computed by other code would silently mix two versions of the method in one table.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _load_or_compute(function: Callable[..., R], store: CheckpointStore, stage: str, *arguments: Any) -> R:
    """Run on the worker: the kept result of unit ``(key, item)``, or compute it and keep it at once."""
    *shared, (key, item) = arguments
    found = store.load(stage, key, UNIT)
    if found is None:
        found = function(*shared, item)
        store.save(stage, key, UNIT, found)
    return found


def map_checkpointed(
    function: Callable[..., R],
    items: Sequence[T],
    *,
    shared: Sequence[Any] = (),
    checkpoints: CheckpointStore | None = None,
    stage: str,
    desc: str = "units",
    show_progress: bool = True,
) -> list[R]:
    """``[function(*shared, item) for item in items]``, reusing and keeping each result in ``checkpoints``.

    Parameters
    ----------
    function : Callable[..., R]
        A pure, picklable function ``function(*shared, item) -> result``.
    items : Sequence[T]
        One entry per unit (e.g. one bootstrap's rows); hashed into the unit's key.
    shared : Sequence[Any], default=()
        Arguments every unit takes (settings, a phrase bank); hashed once into every key.
    checkpoints : CheckpointStore or None, default=None
        Where results are kept; None keeps nothing and computes every unit.
    stage : str
        The folder of the store the units of this function live in (e.g. ``discover_slices``).
    desc : str, default="units"
        What the progress bar counts.
    show_progress : bool, default=True
        Show a progress bar over the units.

    Returns
    -------
    list[R]
        The results, in the order of ``items``, whether loaded or computed, in process or on a cluster.
    """
    store = checkpoints or CheckpointStore(None)
    if store.root is None:
        return map_units(
            function, items, shared=shared, desc=desc, key_prefix=stage, show_progress=show_progress
        )
    common = fingerprint([f"{function.__module__}.{function.__qualname__}", source_identity(), list(shared)])
    keys = [fingerprint([common, item]) for item in items]
    kept = sum(bool((path := store.path(stage, key, UNIT)) and path.is_file()) for key in keys)
    if kept:
        logger.info("%s: reusing %d of %d finished units from %s", stage, kept, len(keys), store)
    return map_units(
        functools.partial(_load_or_compute, function, store, stage),
        list(zip(keys, items, strict=True)),
        shared=shared,
        desc=desc,
        key_prefix=stage,
        show_progress=show_progress,
    )
