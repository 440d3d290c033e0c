"""Refuse misspelt keys in a parameters block, naming the closest known key.

Nodes read their settings with ``.get(key, default)``, so without this check ``explanation.top_kk=3``
would run with the default and say nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medslice.errors import BadValueError, closest, unknown_keys_message

# The keys the nodes read from the blocks they take whole.
EXPLANATION_KEYS = ("top_k", "report_sections", "max_enrichment_rows", "enrichment_columns", "phrases", "llm")
PHRASE_KEYS = ("min_df", "max_candidates", "extra_phrases")
LLM_KEYS = ("enabled", "model_path", "n_hypotheses")


class UnknownSettingError(BadValueError):
    """A parameters block holds a key no node reads."""


def check_known_keys(block: Mapping[str, Any] | None, known: Iterable[str], where: str) -> None:
    """Raise :class:`UnknownSettingError` for keys of ``block`` not in ``known`` (``where``: its name)."""
    if block is not None and not isinstance(block, Mapping):
        text = repr(block)
        shown = text if len(text) <= 200 else text[:200] + "..."
        raise UnknownSettingError(f"{where} must be a mapping of settings, got {shown}")
    known = sorted(known)
    unknown = sorted(str(key) for key in (block or {}) if key not in known)
    if not unknown:
        return
    raise UnknownSettingError(unknown_keys_message(unknown, known, where))


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
