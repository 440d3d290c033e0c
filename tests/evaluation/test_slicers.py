"""The slicer comparison: every slicer's P@10 and efficiency on the same bootstraps, and its best variant."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.evaluation.slicers import best_variant_per_slicer, slicer_summary
from medslice.evaluation.tables import tidy_metrics
from medslice.reporting.slicers import commonest_rules, slicer_comparison_markdown


def _metrics(method: str, variant: str, values: list[float]) -> list[dict]:
    return [
        {
            "scenario": "rare_slice",
            "variant": variant,
            "bootstrap": b,
            "classifier": b // 2,
            "method": method,
            "metric": "paper_precision_at_10",
            "value": value,
        }
        for b, value in enumerate(values)
    ]


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    main = tidy_metrics(
        _metrics("domino", "image", [0.4, 0.6, 0.5, 0.3])
        + _metrics("domino", "image_metadata", [0.8, 0.7, 0.9, 0.6])
        + _metrics("ideal_error_slice", "all", [0.8, 0.8, 1.0, 0.6])
    )
    compared = tidy_metrics(
        _metrics("sliceline", "image", [0.8, 0.8, 1.0, 0.6])
        + _metrics("sliceline", "image_metadata", [0.8] * 4)
    )
    return main, compared


def test_every_slicer_gets_its_p10_and_efficiency_and_its_best_variant() -> None:
    main, compared = _tables()
    summary = slicer_summary(main, compared, seed=0)
    assert set(summary["method"]) == {"domino", "sliceline"}  # the ideal error slice is a reference
    assert set(summary["metric"]) == {"paper_precision_at_10", "efficiency"}
    efficiency = summary.set_index(["variant", "method", "metric"])["mean"]
    assert np.isclose(efficiency[("image", "sliceline", "efficiency")], 1.0)
    assert np.isclose(efficiency[("image_metadata", "domino", "efficiency")], np.mean([1.0, 0.875, 0.9, 1.0]))
    best = best_variant_per_slicer(summary).set_index("method")
    assert best.loc["domino", "variant"] == "image_metadata"
    assert np.isclose(best.loc["domino", "paper_precision_at_10"], 0.75)
    assert best.loc["sliceline", "variant"] == "image"  # ties (0.8 and 0.8) go to the first listed
    # The same tables in another row order give the same summary.
    shuffled = slicer_summary(
        main.sample(frac=1.0, random_state=1), compared.sample(frac=1.0, random_state=2)
    )
    pd.testing.assert_frame_equal(shuffled, summary)


def test_the_markdown_names_each_slicer_its_best_variant_and_the_commonest_rule() -> None:
    main, compared = _tables()
    best = best_variant_per_slicer(slicer_summary(main, compared))
    rules = pd.DataFrame(
        {
            "scenario": "rare_slice",
            "method": "sliceline",
            "bootstrap": [0, 1, 2, 3, 0],
            "slice": [0, 0, 0, 0, 1],
            "rule": ["view = lateral", "view = lateral", "gender = F", "view = lateral", "gender = M"],
            "size": 20,
            "error_rate": 0.5,
        }
    )
    common = commonest_rules(rules)
    assert common == {("rare_slice", "sliceline"): "view = lateral (3 of 4 bootstraps)"}
    markdown = slicer_comparison_markdown(best, common)
    assert "| rare slice | Domino | image metadata | 0.75 [" in markdown
    assert "| rare slice | SliceLine rules | any |" in markdown and "view = lateral (3 of 4" in markdown
    # One slicer has nothing to compare with.
    assert slicer_comparison_markdown(best[best["method"] == "domino"]) == ""
    assert slicer_summary(tidy_metrics([]), tidy_metrics([])).empty
