"""Scale a scenario mapping down to a smaller release, keeping its injected failure the same."""

from __future__ import annotations

import copy
from typing import Any


def resize_scenario(mapping: dict[str, Any], n_train: int, n_validate: int | None = None) -> dict[str, Any]:
    """A copy of a scenario mapping with ``n_train`` training cases (rare counts scaled to match).

    ``n_validate`` defaults to a fifth of ``n_train``. Shares, correlations and flip fractions are
    unchanged, so the injected failure is the same, only drawn from fewer images.
    """
    resized = copy.deepcopy(mapping)
    mechanism = resized["mechanism"]
    if mechanism.get("kind") == "rare":
        total = mechanism["n_positive"] + mechanism["n_negative"]
        mechanism["n_positive"] = round(mechanism["n_positive"] * n_train / total)
        mechanism["n_negative"] = n_train - mechanism["n_positive"]
    resized["n_train"] = n_train
    resized["n_validate"] = n_train // 5 if n_validate is None else n_validate
    return resized
