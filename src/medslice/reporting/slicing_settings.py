"""What sliced each scenario x variant, as its ``slicing_settings`` recorded it, for the report's provenance.

A partial rerun with ``--params`` (say ``n_slices=5`` for one variant) leaves the other variants' slices as an
earlier run made them; the headline would then compare variants sliced differently, and the run parameters
would describe only the last run. The recorded settings show what really made each variant's slices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _shown(value: Any) -> str:
    return json.dumps(value, default=str)


def describe_slicing_settings(settings: Mapping[str, Mapping[str, Any]]) -> tuple[str, str | None]:
    """The provenance line for the slicings of a report, and a notice when they were not all alike.

    Args:
        settings: the recorded settings (``{"slicer": {...}, "seed": 42}``) of each sliced
            ``<scenario>.<variant>``.

    Returns:
        ``(text, notice)``: the settings most slicings share, as JSON; ``notice`` is None when every
        slicing shares them, else names each slicing that differs and the settings in which it differs.
    """
    if not settings:
        return "not recorded", None
    groups: dict[str, list[str]] = {}
    for cell, value in settings.items():
        groups.setdefault(json.dumps(value, sort_keys=True, default=str), []).append(cell)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    common_key, common_cells = ranked[0]
    common = _flatten(json.loads(common_key))
    total = len(settings)
    if len(ranked) == 1:
        return common_key, None
    differences = []
    for key, cells in ranked[1:]:
        other = _flatten(json.loads(key))
        changed = ", ".join(
            f"{name} = {_shown(other.get(name))} (others: {_shown(common.get(name))})"
            for name in sorted(set(common) | set(other))
            if other.get(name) != common.get(name)
        )
        differences.append(f"{', '.join(sorted(cells))}: {changed}")
    notice = (
        f"Not every variant was sliced with the same settings, so the headline compares unlike slicings: "
        f"{len(common_cells)} of {total} share the settings under Provenance; "
        + "; ".join(differences)
        + ". "
        "Rerun the odd ones out with the same settings (kedro run --from-nodes=<scenario>.<variant>."
        "discover_slices) to compare like with like."
    )
    return f"{common_key} (for {len(common_cells)} of {total} slicings; see the notice above)", notice
