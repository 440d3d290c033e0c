"""The building block of the ingestion QA: a counted, listed bucket of ids, JSON-ready."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def id_bucket(ids: Iterable[object]) -> dict:
    """``{"count": n, "ids": [...]}`` with plain Python ints/strings, so the QA serialises as JSON."""
    listed = [int(v) if isinstance(v, (int, np.integer)) else str(v) for v in ids]
    return {"count": len(listed), "ids": listed}


def count_bucket(count: int) -> dict:
    """``{"count": n}`` for deliberate exclusions (filters) whose ids follow from the parameters."""
    return {"count": int(count)}
