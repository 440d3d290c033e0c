"""Tidy metrics tables with known paired effects, for the paired comparisons and their report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from medslice.evaluation import tidy_metrics
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

VARIANTS: tuple[str, ...] = MODALITY_VARIANTS


def planted_metrics(
    effects: Mapping[str, Mapping[str, float]],
    *,
    n_classifiers: int = 3,
    audit_draws: int = 10,
    noise: float = 0.04,
    baseline: float = 0.3,
    seed: int = 0,
    variants: Sequence[str] = VARIANTS,
) -> pd.DataFrame:
    """A tidy metrics table: per scenario (the keys of ``effects``), every variant on the same bootstraps.

    Each bootstrap's audit set has its own difficulty (a classifier level plus a draw level, shared by
    every variant, as in a real audit); a variant scores that difficulty plus its planted effect plus its
    own noise. The baseline (method ``baseline``, metric ``attribute_fraction``) is ``baseline`` plus
    noise. Bootstrap ``b`` belongs to classifier ``b // audit_draws``.
    """
    rng = np.random.default_rng(seed)
    records: list[dict[str, object]] = []
    for scenario, effect in effects.items():
        levels = rng.normal(0.45, 0.08, n_classifiers)
        for bootstrap in range(n_classifiers * audit_draws):
            classifier = bootstrap // audit_draws
            difficulty = levels[classifier] + rng.normal(0, 0.08)
            ids = {"scenario": scenario, "bootstrap": bootstrap, "classifier": classifier}
            for variant in variants:
                value = difficulty + effect.get(variant, 0.0) + rng.normal(0, noise)
                records.append(
                    {
                        **ids,
                        "variant": variant,
                        "method": "domino",
                        "metric": "paper_precision_at_10",
                        "value": float(value),
                    }
                )
            records.append(
                {
                    **ids,
                    "variant": "all",
                    "method": "baseline",
                    "metric": "attribute_fraction",
                    "value": float(baseline + rng.normal(0, noise)),
                }
            )
    return tidy_metrics(records)
