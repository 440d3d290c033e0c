"""Refuse ``--params`` that no node can read, naming the closest declared parameter.

Kedro merges any ``--params`` path into the parameters, so ``--params sead=10`` would run with the default
seed and say nothing. The blocks nodes read are typed settings, which refuse their own unknown keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medslice.errors import BadValueError, closest


class UnknownSettingError(BadValueError):
    """A parameters block holds a key no node reads."""


def _paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf path of a nested mapping, e.g. ``("slice_discovery", "slicer", "n_slices")``."""
    paths: list[tuple[str, ...]] = []
    for key, value in tree.items():
        path = (*prefix, str(key))
        paths += _paths(value, path) if isinstance(value, Mapping) and value else [path]
    return paths


def _closest(name: str, known: Iterable[str]) -> str:
    match = closest(name, sorted(str(k) for k in known))
    return f" (did you mean {match!r}?)" if match else ""


def check_runtime_parameters(runtime: Mapping[str, Any], files: Mapping[str, Any]) -> list[str]:
    """Refuse ``--params`` whose top-level name is in no parameter file; return notes on second-level ones.

    No node reads a top-level name the files do not declare (nodes take ``params:<block>``), so
    ``--params sead=10`` would be ignored without a word: it is refused. A second-level key that the
    files lack (``slice_discovery.slicers.n_slices``) may still be valid, since some settings have
    defaults in code, so it gets a note naming the closest declared key instead.
    """
    notes = []
    for path in _paths(runtime):
        top = path[0]
        if top not in files:
            raise UnknownSettingError(
                f"--params {'.'.join(path)}: no parameter file declares {top!r}{_closest(top, files)}, so no "
                f"node would read it; declared: {sorted(files)}"
            )
        block = files[top]
        if len(path) > 1 and isinstance(block, Mapping) and path[1] not in block:
            notes.append(
                f"--params {'.'.join(path)}: the parameter files declare no {top}.{path[1]}"
                f"{_closest(path[1], block)}; it takes effect only if a node reads it"
            )
    return notes
