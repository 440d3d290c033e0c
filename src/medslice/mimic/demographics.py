"""Fairness groupings of the MIMIC-IV demographics (docs/reference.md §3.6).

Each function maps one raw value to a group; the ``*_groups`` variants do the same for a whole
column once per distinct value. Missing values fall into ``"unknown"``/``"UNKNOWN"``/``"Unknown"``
(written in the style of the group names) so that a missing attribute is a group of its own and
never silently merged into ``OTHER``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

AGE_GROUPS: tuple[str, ...] = ("0-20", "20-40", "40-60", "60-80", "80+", "unknown")
RACE_GROUPS: tuple[str, ...] = (
    "WHITE",
    "BLACK/AFRICAN AMERICAN",
    "HISPANIC/LATINO",
    "ASIAN",
    "OTHER",
    "UNKNOWN",
)
INSURANCE_GROUPS: tuple[str, ...] = ("Medicare", "Medicaid", "Other", "Unknown")

# MIMIC-IV writes a refusal or an unknown race as a value; they are not a race.
_UNKNOWN_RACES: frozenset[str] = frozenset(
    {"UNKNOWN", "UNABLE TO OBTAIN", "PATIENT DECLINED TO ANSWER", "DECLINED TO ANSWER"}
)
# Prefixes, because MIMIC-IV refines groups ("HISPANIC/LATINO - PUERTO RICAN", "WHITE - RUSSIAN").
_RACE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("WHITE", "WHITE"),
    ("BLACK", "BLACK/AFRICAN AMERICAN"),
    ("HISPANIC", "HISPANIC/LATINO"),
    ("SOUTH AMERICAN", "HISPANIC/LATINO"),
    ("ASIAN", "ASIAN"),
)


def _missing(value: Any) -> bool:
    """True for None, NaN, NA and blank strings."""
    if value is None:
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(value, str) and value.strip() == ""


def age_group(age: Any) -> str:
    """``0-20``, ``20-40``, ``40-60``, ``60-80`` (lower bound inclusive), ``80+`` or ``unknown``.

    MIMIC-IV shows ages over 89 as 91; they land in ``80+`` either way.
    """
    if _missing(age):
        return "unknown"
    value = float(age)
    if value < 0:
        return "unknown"
    for upper, group in ((20, "0-20"), (40, "20-40"), (60, "40-60"), (80, "60-80")):
        if value < upper:
            return group
    return "80+"


def race_group(race: Any) -> str:
    """Collapse a MIMIC-IV ``race`` (or pre-2.0 ``ethnicity``) value into five groups or
    ``UNKNOWN``."""
    if _missing(race):
        return "UNKNOWN"
    upper = str(race).strip().upper()
    if upper in _UNKNOWN_RACES:
        return "UNKNOWN"
    for prefix, group in _RACE_PREFIXES:
        if upper.startswith(prefix):
            return group
    return "OTHER"


def insurance_group(ins: Any) -> str:
    """``Medicare``, ``Medicaid``, ``Other`` (private and the rest) or ``Unknown``."""
    if _missing(ins):
        return "Unknown"
    lower = str(ins).strip().lower()
    if lower.startswith("medicare"):
        return "Medicare"
    if lower.startswith("medicaid"):
        return "Medicaid"
    return "Other"


def _per_distinct(values: pd.Series, func: Any, name: str) -> pd.Series:
    """Apply ``func`` once per distinct value of ``values``, missing values included."""
    as_object = values.astype(object)
    missing = as_object.isna()
    out = as_object.map({v: func(v) for v in pd.unique(as_object[~missing])})
    out = out.astype(object)
    out[missing.to_numpy()] = func(None)
    return out.rename(name)


def age_groups(ages: pd.Series) -> pd.Series:
    """:func:`age_group` of every row."""
    return _per_distinct(pd.to_numeric(ages, errors="coerce"), age_group, "age_group")


def race_groups(races: pd.Series) -> pd.Series:
    """:func:`race_group` of every row."""
    return _per_distinct(races, race_group, "race_group")


def insurance_groups(insurances: pd.Series) -> pd.Series:
    """:func:`insurance_group` of every row."""
    return _per_distinct(insurances, insurance_group, "insurance_group")


__all__ = [
    "AGE_GROUPS",
    "INSURANCE_GROUPS",
    "RACE_GROUPS",
    "age_group",
    "age_groups",
    "insurance_group",
    "insurance_groups",
    "race_group",
    "race_groups",
]
