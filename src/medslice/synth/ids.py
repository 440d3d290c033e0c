"""Unique identifiers in the MIMIC formats: subject, study, dicom and hospital admission ids."""

from __future__ import annotations

import numpy as np

from medslice.errors import BadValueError

SUBJECT_ID_RANGE = (10_000_000, 20_000_000)  # 8 digits starting with 1
STUDY_ID_RANGE = (50_000_000, 60_000_000)  # 8 digits starting with 5
HADM_ID_RANGE = (20_000_000, 30_000_000)


def _reserved_study_ids() -> frozenset[int]:
    """Study ids that the official MIMIC-CXR sectioner treats by hand; a synthetic study must avoid them."""
    try:
        from medslice.mimic import sections
    except ImportError:  # the sectioner is optional for generating data
        return frozenset()
    keys = [*getattr(sections, "CUSTOM_SECTION_NAMES", {}), *getattr(sections, "CUSTOM_INDICES", {})]
    return frozenset(int(key.lstrip("s")) for key in keys)


def unique_integers(
    rng: np.random.Generator, n: int, bounds: tuple[int, int], exclude: frozenset[int] = frozenset()
) -> np.ndarray:
    """``n`` distinct sorted integers in ``[low, high)``, none of them in ``exclude``."""
    low, high = bounds
    if n > (high - low) // 2:
        raise BadValueError(f"n={n} is too many ids for the range {bounds}")
    chosen = np.unique(rng.integers(low, high, size=int(n * 1.05) + 16))
    chosen = chosen[~np.isin(chosen, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))]
    while len(chosen) < n:
        extra = rng.integers(low, high, size=n - len(chosen) + 16)
        chosen = np.unique(np.concatenate([chosen, extra]))
        chosen = chosen[~np.isin(chosen, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))]
    # Keep a random subset of the right size, then sort as MIMIC's tables are sorted.
    return np.sort(rng.permutation(chosen)[:n]).astype(np.int64)


def subject_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 8-digit subject ids starting with 1, sorted."""
    return unique_integers(rng, n, SUBJECT_ID_RANGE)


def study_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 8-digit study ids starting with 5, in random order (not chronological, as in MIMIC)."""
    return rng.permutation(unique_integers(rng, n, STUDY_ID_RANGE, _reserved_study_ids()))


def hadm_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 8-digit hospital admission ids starting with 2, in random order."""
    return rng.permutation(unique_integers(rng, n, HADM_ID_RANGE))


def dicom_ids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct dicom ids: five dash-joined groups of 8 lowercase hex characters."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        words = rng.integers(0, 2**32, size=(n - len(ids), 5), dtype=np.uint64)
        for row in words.tolist():
            dicom_id = "-".join(f"{word:08x}" for word in row)
            if dicom_id not in seen:
                seen.add(dicom_id)
                ids.append(dicom_id)
    return ids
