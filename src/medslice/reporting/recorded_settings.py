"""Settings recorded beside artifacts, grouped for the report: what most share, and who differs in what.

A partial rerun (one variant's slicing, one scenario's classifiers) leaves the other artifacts as an earlier
run made them, so the run's own parameters describe only the last run. What each artifact recorded is the
truth the report shows.
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


def describe_recorded_settings(
    settings: Mapping[str, Mapping[str, Any]], *, unit: str, unlike: str, advice: str
) -> tuple[str, str | None]:
    """The provenance line for recorded settings, and a notice when they are not all alike.

    Parameters
    ----------
    settings : Mapping[str, Mapping[str, Any]]
        The recorded settings of each artifact, keyed by a name the reader knows
        (``<scenario>.<variant>``, ``<scenario>``).
    unit : str
        What one entry is, in the plural (``slicings``), for "for 2 of 3 slicings".
    unlike : str
        The notice's opening sentence, saying what differs and why it matters.
    advice : str
        The notice's closing sentence, saying how to make them alike.

    Returns
    -------
    tuple[str, str | None]
        ``(text, notice)``: the settings most entries share, as JSON; ``notice`` is None when every
        entry shares them, else names each entry that differs and the settings in which it differs.
    """
    if not settings:
        return "not recorded", None
    groups: dict[str, list[str]] = {}
    for name, value in settings.items():
        groups.setdefault(json.dumps(value, sort_keys=True, default=str), []).append(name)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    common_key, common_names = ranked[0]
    if len(ranked) == 1:
        return common_key, None
    common = _flatten(json.loads(common_key))
    differences = []
    for key, names in ranked[1:]:
        other = _flatten(json.loads(key))
        changed = ", ".join(
            f"{setting} = {_shown(other.get(setting))} (others: {_shown(common.get(setting))})"
            for setting in sorted(set(common) | set(other))
            if other.get(setting) != common.get(setting)
        )
        differences.append(f"{', '.join(sorted(names))}: {changed}")
    total = len(settings)
    notice = (
        f"{unlike}: {len(common_names)} of {total} share the settings under Provenance; "
        + "; ".join(differences)
        + f". {advice}"
    )
    return f"{common_key} (for {len(common_names)} of {total} {unit}; see the notice above)", notice
