"""Slice-discovery efficiency: how much of the findable failure a slicer found.

A slicer's paper precision@10 is bounded by what the classifier's errors allow: when it missed only four
planted cases, no slice of errors scores above 0.4. The ideal error slice's precision@10 is that bound per
bootstrap (:func:`~medslice.evaluation.audit.ideal_error_slice_metrics`); efficiency is the slicer's score
divided by it, so that "the classifier barely failed" and "the slicer missed the failure" read apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.evaluation.tables import METRIC_COLUMNS, tidy_metrics

SCORE = "paper_precision_at_10"
IDEAL_METHOD = "ideal_error_slice"
REFERENCE_METHODS = ("baseline", IDEAL_METHOD)


def efficiency_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """``efficiency`` rows: each slicer's paper precision@10 ÷ the ideal error slice's, per bootstrap.

    Parameters
    ----------
    metrics : pd.DataFrame
        Tidy metrics holding the slicers' ``paper_precision_at_10`` rows and the scenario's
        ``ideal_error_slice`` rows (``variant`` ``all``).

    Returns
    -------
    pd.DataFrame
        Tidy metrics with ``metric`` ``efficiency``, one row per slicer row whose bootstrap has an ideal
        error slice above 0 (where it is 0 the classifier missed no planted case of the expected class,
        and there is nothing a slicer could find). Efficiency can exceed 1: a slice may hold correctly
        classified cases that carry the attribute, which the ideal slice of errors leaves out.
    """
    if metrics.empty:
        return tidy_metrics([])
    scores = metrics[(metrics["metric"] == SCORE) & ~metrics["method"].isin(REFERENCE_METHODS)]
    ideal = metrics[(metrics["metric"] == SCORE) & (metrics["method"] == IDEAL_METHOD)]
    bound = ideal.set_index(["scenario", "bootstrap"])["value"]
    bound = bound[~bound.index.duplicated()]
    keys = pd.MultiIndex.from_frame(scores[["scenario", "bootstrap"]])
    ceiling = bound.reindex(keys).to_numpy(dtype=float)
    usable = np.isfinite(ceiling) & (ceiling > 0)
    rows = scores[usable].assign(
        metric="efficiency", value=scores["value"].to_numpy()[usable] / ceiling[usable]
    )
    return tidy_metrics(rows[list(METRIC_COLUMNS)].to_dict("records"))
