"""Explanation hits, bootstrap confidence intervals and the metrics tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.evaluation import explanation_hit, mean_ci, summarize_metrics, tidy_metrics
from medslice.evaluation.bootstrap import hierarchical_mean_ci

DEVICES = ["tube", "line", "catheter", "device", "pacemaker"]


def test_explanation_hit_matches_words_and_sub_phrases() -> None:
    assert explanation_hit(["portable", "Chest Tubes"], DEVICES)
    assert explanation_hit(["no pneumothorax", "picc line tip"], ["picc line"])
    assert not explanation_hit(["tubercle", "clear"], ["tube"])  # whole words only
    assert not explanation_hit(["chest"], ["chest tube"])  # a part of a synonym is not a hit
    # Only the top five count.
    assert not explanation_hit(["a", "b", "c", "d", "e", "tube"], DEVICES)
    assert explanation_hit(["a", "b", "c", "d", "e", "tube"], DEVICES, top_k=6)
    with pytest.raises(ValueError, match="synonyms is empty"):
        explanation_hit(["tube"], [])


def test_mean_ci_on_known_data() -> None:
    values = np.arange(100, dtype=float)
    mean, low, high = mean_ci(values, n_resamples=2000, seed=0)
    assert mean == pytest.approx(49.5)
    # Normal theory: 49.5 +- 1.96 * sd / sqrt(n) = 49.5 +- 5.66.
    half_width = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert low == pytest.approx(mean - half_width, abs=1.0)
    assert high == pytest.approx(mean + half_width, abs=1.0)
    assert mean_ci(values, seed=0) == mean_ci(values, seed=0)
    narrow = mean_ci(values, confidence=0.5, seed=0)
    assert narrow[1] > low and narrow[2] < high


def test_mean_ci_degenerate_inputs() -> None:
    assert mean_ci([0.3]) == (0.3, 0.3, 0.3)
    assert mean_ci([0.2, 0.2, 0.2]) == (0.2, 0.2, 0.2)
    assert all(np.isnan(mean_ci([])))
    mean, low, high = mean_ci([1.0, np.nan, 3.0], seed=1)
    assert mean == 2.0 and 1.0 <= low <= high <= 3.0
    with pytest.raises(ValueError, match="infinite"):
        mean_ci([0.1, np.inf])
    with pytest.raises(ValueError, match="1-D"):
        mean_ci([[0.1, 0.2], [0.3, 0.4]])


def test_tidy_metrics_accepts_long_and_wide_records() -> None:
    records = [
        {"scenario": "rare", "variant": "image", "bootstrap": 0, "method": "domino",
         "precision_at_10": 0.5, "best_column": 2},
        {"scenario": "rare", "variant": "image", "bootstrap": 1, "method": "baseline",
         "metric": "attribute_fraction", "value": np.nan},
    ]  # fmt: skip
    table = tidy_metrics(records)
    assert list(table.columns) == [
        "scenario",
        "variant",
        "bootstrap",
        "classifier",
        "method",
        "metric",
        "value",
    ]
    # without a classifier, each bootstrap is its own (the flat design)
    assert table["classifier"].tolist() == [0, 1]
    # best_column is an index into the slicer's columns, not a metric
    assert list(table["metric"]) == ["precision_at_10", "attribute_fraction"]
    assert table["value"].dtype == np.float64 and table["bootstrap"].dtype == np.int64
    assert tidy_metrics([]).columns.tolist() == table.columns.tolist()
    with pytest.raises(ValueError, match="lacks key"):
        tidy_metrics([{"scenario": "rare", "metric": "m", "value": 1.0}])


def test_summarize_metrics_over_bootstraps() -> None:
    rng = np.random.default_rng(0)
    values = rng.uniform(size=30)
    records = [
        {"scenario": "spurious", "variant": v, "bootstrap": b, "method": "domino",
         "metric": "p10", "value": values[b] + (0.5 if v == "image+report" else 0.0)}
        for v in ("image", "image+report") for b in range(30)
    ]  # fmt: skip
    records.append({"scenario": "spurious", "variant": "image", "bootstrap": 30,
                    "method": "domino", "metric": "p10", "value": np.nan})  # fmt: skip
    summary = summarize_metrics(tidy_metrics(records), seed=0)
    assert list(summary.columns) == [
        "scenario", "variant", "method", "metric", "mean", "ci_low", "ci_high", "n",
        "n_classifiers", "interval",
    ]  # fmt: skip
    assert list(summary["variant"]) == ["image", "image+report"]
    assert list(summary["n"]) == [30, 30] and list(summary["n_classifiers"]) == [30, 30]
    assert set(summary["interval"]) == {"classifiers and audit draws"}
    assert summary["mean"].iloc[0] == pytest.approx(values.mean())
    assert summary["mean"].iloc[1] == pytest.approx(values.mean() + 0.5)
    expected = mean_ci(values, seed=0)
    assert (summary["ci_low"].iloc[0], summary["ci_high"].iloc[0]) == pytest.approx(expected[1:])
    with pytest.raises(ValueError, match="lacks column"):
        summarize_metrics(pd.DataFrame({"value": [1.0]}))


def test_the_interval_respects_the_hierarchical_design() -> None:
    # Three classifiers whose audit draws agree closely but which differ from each other: the draws of
    # one classifier are not independent evidence, so the interval must be about as wide as the spread
    # of the three classifiers, far wider than 30 independent values would give.
    rng = np.random.default_rng(1)
    levels = np.repeat([0.2, 0.5, 0.9], 10)
    values = levels + rng.normal(0, 0.01, 30)
    classifiers = np.repeat([0, 1, 2], 10)
    mean, low, high = hierarchical_mean_ci(values, classifiers, seed=0)
    _, flat_low, flat_high = mean_ci(values, seed=0)
    assert mean == pytest.approx(values.mean())
    assert high - low > 2 * (flat_high - flat_low)
    assert low < 0.35 and high > 0.75
    # one classifier: the interval covers its audit draws only, and the summary says so
    records = [
        {"scenario": "s", "variant": "image", "bootstrap": b, "classifier": 0, "method": "domino",
         "metric": "p10", "value": float(values[b])}
        for b in range(10)
    ]  # fmt: skip
    summary = summarize_metrics(tidy_metrics(records), seed=0)
    assert summary["n_classifiers"].tolist() == [1]
    assert summary["interval"].tolist() == ["audit draws of one classifier"]
    # the order in which bootstraps arrive does not move the interval
    shuffled = tidy_metrics(records[::-1])
    pd.testing.assert_frame_equal(summarize_metrics(shuffled, seed=0), summary)
    # with one value per classifier it is the ordinary bootstrap over classifiers
    flat = hierarchical_mean_ci(values, np.arange(30), seed=0)
    assert flat[1:] == pytest.approx(mean_ci(values, seed=0)[1:], abs=0.02)


def test_explanation_hit_refuses_a_top_k_that_would_drop_tokens_silently() -> None:
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        explanation_hit(["tube", "line"], ["tube"], top_k=-1)


def test_mean_ci_is_a_percentile_interval_that_stays_within_the_data() -> None:
    # skewed 0/1 data: a percentile interval of the mean lies inside [0, 1]; a "basic" one would not
    mean, low, high = mean_ci([0.0, 0.0, 0.0, 0.0, 1.0], n_resamples=4000, seed=3)
    assert mean == pytest.approx(0.2)
    assert low == 0.0 and 0.4 <= high <= 0.6
