"""The run's provenance as the report shows it: fixed keys first, parameters apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from medslice.reporting.formatting import MISSING, humanize

# Provenance keys with a fixed place and label; any other key is listed after them as given.
PROVENANCE_LABELS: dict[str, str] = {
    "encoder": "Encoder",
    "data_version": "Data version",
    "seed": "Seed",
    "classifier": "Classifier under audit (as recorded by each scenario's injection)",
    "slice_discovery": "Slice discovery (as recorded with the slices)",
    "medslice_version": "medslice version",
    "timestamp": "Run timestamp",
}
PARAMETERS_KEY = "parameters"


def display_value(value: Any) -> str:
    """Show a provenance value: scalars as text, structures as compact sorted JSON."""
    if value is None:
        return MISSING
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def provenance_items(provenance: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Known keys first in a fixed order, then every other key as given; parameters go apart."""
    items = [(label, display_value(provenance.get(key, MISSING))) for key, label in PROVENANCE_LABELS.items()]
    items += [
        (humanize(str(key)), display_value(value))
        for key, value in provenance.items()
        if key not in PROVENANCE_LABELS and key != PARAMETERS_KEY
    ]
    return tuple(items)


def is_synthetic(provenance: Mapping[str, Any]) -> bool:
    """Whether the provenance says the run used the built-in synthetic dataset."""
    if provenance.get("synthetic") is True:
        return True
    return "synthetic" in str(provenance.get("data_version", "")).lower()
