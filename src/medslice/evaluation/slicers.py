"""The slicers compared on the same bootstraps: their paper precision@10 and efficiency side by side."""

from __future__ import annotations

import pandas as pd

from medslice.evaluation.efficiency import IDEAL_METHOD, REFERENCE_METHODS, SCORE, efficiency_metrics
from medslice.evaluation.tables import SUMMARY_COLUMNS, summarize_metrics, tidy_metrics

COMPARED_METRICS: tuple[str, ...] = (SCORE, "efficiency")


def slicer_summary(metrics: pd.DataFrame, compared: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Mean and design-aware 95% CI of every slicer's paper precision@10 and efficiency, per variant.

    Parameters
    ----------
    metrics : pd.DataFrame
        The audit's metrics (the main slicer's rows and the ideal error slice's).
    compared : pd.DataFrame
        The compared slicers' metrics
        (:func:`~medslice.evaluation.audit.evaluate_compared_slicers`).
    seed : int, default=0
        Seeds the interval's resampling.

    Returns
    -------
    pd.DataFrame
        A summary table (:data:`~medslice.evaluation.tables.SUMMARY_COLUMNS`) holding the metrics
        :data:`COMPARED_METRICS` of every slicer, the main one included, sorted by scenario, variant and
        method. Empty (same columns) without planted truth.
    """
    tables = [t for t in (metrics, compared) if len(t)]
    if not tables:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    every = pd.concat(tables, ignore_index=True)
    scores = every[(every["metric"] == SCORE) & ~every["method"].isin(REFERENCE_METHODS)]
    ideal = every[(every["metric"] == SCORE) & (every["method"] == IDEAL_METHOD)]
    efficiency = efficiency_metrics(pd.concat([scores, ideal], ignore_index=True))
    rows = [t for t in (scores, efficiency) if len(t)]
    if not rows:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    return summarize_metrics(tidy_metrics(pd.concat(rows, ignore_index=True).to_dict("records")), seed=seed)


def best_variant_per_slicer(summary: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and slicer, the variant with the highest mean paper precision@10 (first on ties).

    Returns ``scenario, method, variant, paper_precision_at_10, ci_low, ci_high, efficiency, n``, in the
    order the summary lists scenarios and slicers. The best is chosen and scored on the same bootstraps,
    so it is optimistic for every slicer alike.
    """
    columns = ["scenario", "method", "variant", SCORE, "ci_low", "ci_high", "efficiency", "n"]
    scores = summary[summary["metric"] == SCORE]
    if scores.empty:
        return pd.DataFrame(columns=columns)
    efficiency = summary[summary["metric"] == "efficiency"].set_index(["scenario", "variant", "method"])[
        "mean"
    ]
    rows = []
    for (scenario, method), group in scores.groupby(["scenario", "method"], sort=False):
        best = group.loc[group["mean"].idxmax()] if group["mean"].notna().any() else group.iloc[0]
        rows.append(
            {
                "scenario": scenario,
                "method": method,
                "variant": best["variant"],
                SCORE: best["mean"],
                "ci_low": best["ci_low"],
                "ci_high": best["ci_high"],
                "efficiency": efficiency.get((scenario, best["variant"], method), float("nan")),
                "n": int(best["n"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)
