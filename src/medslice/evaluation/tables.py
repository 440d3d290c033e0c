"""The tidy metrics table (one value per row) and its headline summary over bootstraps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.evaluation.bootstrap import hierarchical_mean_ci

ID_COLUMNS: tuple[str, ...] = ("scenario", "variant", "bootstrap", "classifier", "method")
METRIC_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, "metric", "value")
SUMMARY_COLUMNS: tuple[str, ...] = (
    "scenario",
    "variant",
    "method",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "n_classifiers",
    "interval",
)
# Columns a summary carries about the design behind each mean; older and hand-built summaries lack them.
DESIGN_COLUMNS: tuple[str, ...] = ("n_classifiers", "interval")
# What a summary's interval resamples: the trained classifiers and their audit draws, or (with one
# classifier) only its audit draws, which says nothing of how another classifier would fail.
INTERVAL_CLASSIFIERS = "classifiers and audit draws"
INTERVAL_DRAWS = "audit draws of one classifier"


# Keys a wide record may carry that are not metrics: best_slice_metrics names the column it scored.
NOT_METRICS = frozenset({"best_column"})


def _long_rows(record: Mapping[str, object], position: int) -> list[dict[str, object]]:
    """One record as long rows: it has ``metric`` and ``value``, or each extra key is a metric."""
    # Without a classifier, each bootstrap trained its own (the flat design, a user's predictions).
    record = {"classifier": record.get("bootstrap"), **record}
    missing = [column for column in ID_COLUMNS if column not in record]
    if missing:
        raise BadValueError(f"records[{position}] lacks key(s) {missing}.")
    ids = {column: record[column] for column in ID_COLUMNS}
    if "metric" in record or "value" in record:
        extra = set(record) - set(METRIC_COLUMNS)
        if extra or "metric" not in record or "value" not in record:
            raise BadValueError(
                f"records[{position}] must have exactly the keys {list(METRIC_COLUMNS)} "
                f"in long form; got {sorted(record)}."
            )
        return [{**ids, "metric": record["metric"], "value": record["value"]}]
    metrics = [key for key in record if key not in ID_COLUMNS and key not in NOT_METRICS]
    if not metrics:
        raise BadValueError(f"records[{position}] has no metric values.")
    return [{**ids, "metric": metric, "value": record[metric]} for metric in metrics]


def tidy_metrics(records: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Build the tidy metrics table.

    Its columns are exactly ``scenario, variant, bootstrap, classifier, method, metric, value``.

    Each record is either long (``metric`` and ``value`` keys) or wide (every key besides scenario,
    variant, bootstrap, classifier and method is a metric name, e.g. the dict of
    :func:`~medslice.evaluation.precision.best_slice_metrics`, whose ``best_column`` index is left out).
    A record without ``classifier`` gets its bootstrap's number (one classifier per bootstrap). Row order
    follows the records.
    """
    rows = [row for position, record in enumerate(records) for row in _long_rows(record, position)]
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    for column in ("scenario", "variant", "method", "metric"):
        table[column] = table[column].astype(str)
    table["bootstrap"] = table["bootstrap"].astype(np.int64)
    table["classifier"] = table["classifier"].astype(np.int64)
    table["value"] = pd.to_numeric(table["value"], errors="raise").astype(np.float64)
    return table


def summarize_metrics(
    metrics: pd.DataFrame,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Summarise a tidy metrics table over bootstraps: mean, design-aware percentile bootstrap CI and counts.

    The interval resamples classifiers, then their audit draws (:func:`hierarchical_mean_ci`). Returns one
    row per (scenario, variant, method, metric) with columns ``scenario, variant, method, metric, mean,
    ci_low, ci_high, n, n_classifiers, interval``; ``n`` counts the non-NaN values, ``n_classifiers`` the
    classifiers they came from, and ``interval`` says what the interval covers (``INTERVAL_CLASSIFIERS`` or,
    with one classifier, ``INTERVAL_DRAWS``). Rows are sorted by the keys.
    """
    missing = [column for column in METRIC_COLUMNS if column not in metrics.columns]
    if missing:
        raise BadValueError(f"metrics lacks column(s) {missing}; build it with tidy_metrics().")
    keys = ["scenario", "variant", "method", "metric"]
    rows = []
    for key, unordered in metrics.groupby(keys, sort=True):
        group = unordered.sort_values(
            ["classifier", "bootstrap"], kind="stable"
        )  # arrival order must not count
        values = group["value"].to_numpy(dtype=np.float64)
        classifiers = group["classifier"].to_numpy()
        mean, low, high = hierarchical_mean_ci(values, classifiers, confidence, n_resamples, seed)
        n_classifiers = len(np.unique(classifiers[~np.isnan(values)]))
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n": int(np.count_nonzero(~np.isnan(values))),
                "n_classifiers": n_classifiers,
                "interval": INTERVAL_DRAWS if n_classifiers == 1 else INTERVAL_CLASSIFIERS,
            }
        )
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    summary["n"] = summary["n"].astype(np.int64)
    summary["n_classifiers"] = summary["n_classifiers"].astype(np.int64)
    return summary
