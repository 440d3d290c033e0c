"""Slice-discovery efficiency: the slicer's paper P@10 over the ideal error slice's, per bootstrap."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.evaluation.efficiency import efficiency_metrics
from medslice.evaluation.tables import tidy_metrics


def _row(
    method: str, variant: str, bootstrap: int, value: float, metric: str = "paper_precision_at_10"
) -> dict:
    return {
        "scenario": "s",
        "variant": variant,
        "bootstrap": bootstrap,
        "classifier": bootstrap // 2,
        "method": method,
        "metric": metric,
        "value": value,
    }


def test_efficiency_divides_by_the_same_bootstraps_ideal_and_skips_an_ideal_of_zero() -> None:
    metrics = tidy_metrics(
        [
            _row("domino", "image", 0, 0.3),
            _row("domino", "image", 1, 0.5),
            _row("domino", "image", 2, 0.2),
            _row("error_cluster", "image", 0, 0.6),
            _row("ideal_error_slice", "all", 0, 0.6),
            _row("ideal_error_slice", "all", 1, 0.4),
            _row("ideal_error_slice", "all", 2, 0.0),
            _row("baseline", "all", 0, 0.2, metric="attribute_fraction"),
            _row("domino", "image", 0, 1.0, metric="token_hit"),
        ]
    )
    found = efficiency_metrics(metrics.sample(frac=1.0, random_state=0))
    values = {(r.method, r.bootstrap): r.value for r in found.itertuples()}
    assert values == {
        ("domino", 0): pytest.approx(0.5),
        ("domino", 1): pytest.approx(1.25),  # a slice may hold correct cases with the attribute
        ("error_cluster", 0): pytest.approx(1.0),
    }
    assert set(found["metric"]) == {"efficiency"} and set(found["classifier"]) == {0}
    assert list(found.columns) == list(metrics.columns)
    assert efficiency_metrics(tidy_metrics([])).empty
    assert efficiency_metrics(pd.DataFrame(metrics[metrics["method"] == "domino"])).empty
