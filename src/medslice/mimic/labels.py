"""Uncertainty policies for the CheXpert/NegBio labels (docs/reference.md §3.3)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from medslice.errors import BadTypeError, BadValueError
from medslice.mimic.schemas import LABEL_NAMES, snake_label

UncertaintyPolicy = Literal["u_zeros", "u_ones", "u_ignore"]

# What an uncertain (-1) mention becomes under each policy.
UNCERTAIN_VALUE: dict[str, float] = {"u_zeros": 0.0, "u_ones": 1.0, "u_ignore": np.nan}

# No Finding ignores Support Devices: a device is not a finding.
_NO_FINDING_EXEMPT: frozenset[str] = frozenset({"Support Devices"})


def _label_columns(labels: pd.DataFrame) -> tuple[list[str], str | None, list[str]]:
    """Find the label columns of ``labels`` under their raw or snake_case names.

    Returns all label columns present, the No Finding column (or None) and the columns that can
    block No Finding (every other label except Support Devices).
    """
    for convert in (str, snake_label):
        names = {name: convert(name) for name in LABEL_NAMES}
        present = [column for column in names.values() if column in labels.columns]
        if present:
            no_finding = names["No Finding"] if names["No Finding"] in present else None
            exempt = {names[name] for name in _NO_FINDING_EXEMPT}
            blocking = [c for c in present if c != names["No Finding"] and c not in exempt]
            return present, no_finding, blocking
    raise BadValueError(
        "labels: no label column found; expected the 14 MIMIC label names, raw (e.g. 'Pleural "
        "Effusion') or snake_case (e.g. 'pleural_effusion')"
    )


def apply_uncertainty_policy(
    labels: pd.DataFrame,
    policy: UncertaintyPolicy,
    *,
    blank_value: float = 0.0,
) -> pd.DataFrame:
    """Turn raw 1/0/-1/blank labels into training labels under an uncertainty policy.

    Label columns are found by their raw (``"Pleural Effusion"``) or snake_case
    (``"pleural_effusion"``) names; other columns pass through unchanged. In order:

    1. blank (not mentioned) becomes ``blank_value`` (0 by default; pass ``np.nan`` to keep it
       missing);
    2. uncertain (-1) becomes 0 (``"u_zeros"``), 1 (``"u_ones"``) or missing (``"u_ignore"``);
    3. No Finding is recomputed: 1 only when every other label except Support Devices is negative or
       blank after steps 1-2; 0 when one is positive; under ``"u_ignore"`` missing when none is
       positive but one was uncertain.

    Returns a copy with label columns as float32. Raises ValueError naming an unknown ``policy``.
    """
    if policy not in UNCERTAIN_VALUE:
        raise BadValueError(
            f"policy={policy!r} is not an uncertainty policy; expected one of {sorted(UNCERTAIN_VALUE)}"
        )
    if not isinstance(labels, pd.DataFrame):
        raise BadTypeError(f"labels must be a pandas DataFrame, got {type(labels).__name__}")
    label_cols, no_finding, others = _label_columns(labels)

    out = labels.copy()
    values = out[label_cols].to_numpy(dtype=np.float64, copy=True)
    invalid = ~np.isnan(values) & ~np.isin(values, (1.0, 0.0, -1.0))
    if invalid.any():
        row, col = np.argwhere(invalid)[0]
        raise BadValueError(
            f"labels: column {label_cols[col]!r} holds {values[row, col]!r} at row {row}; "
            "expected 1.0, 0.0, -1.0 or blank"
        )
    blank = np.isnan(values)
    uncertain = values == -1.0
    values[blank] = blank_value
    values[uncertain] = UNCERTAIN_VALUE[policy]
    out[label_cols] = values.astype(np.float32)

    if no_finding is not None:
        other_idx = [label_cols.index(c) for c in others]
        any_positive = (values[:, other_idx] == 1.0).any(axis=1)
        # Under u_ignore an uncertain finding is unknown, so No Finding is unknown too unless
        # another finding is positive; a blank stays "not mentioned" whatever blank_value is.
        any_unknown = (np.isnan(values[:, other_idx]) & uncertain[:, other_idx]).any(axis=1)
        no_finding_values = np.where(any_positive, 0.0, np.where(any_unknown, np.nan, 1.0))
        out[no_finding] = no_finding_values.astype(np.float32)
    return out
