"""Evaluation of slice discovery and explanation: precision@k (dcbench and the paper's weighted
variant), average precision, the attribute-fraction baseline, the ideal error slice, explanation hits
and bootstrap CIs. Importable without Kedro."""

from medslice.evaluation.baseline import attribute_fraction_baseline
from medslice.evaluation.bootstrap import mean_ci
from medslice.evaluation.error_slice import ideal_error_slice_precision
from medslice.evaluation.explanation_hit import explanation_hit
from medslice.evaluation.paper_precision import paper_precision_at_10, paper_slice_scores
from medslice.evaluation.precision import (
    best_slice_metrics,
    column_average_precision,
    precision_at_k,
    ranked_precision,
)
from medslice.evaluation.tables import (
    METRIC_COLUMNS,
    SUMMARY_COLUMNS,
    summarize_metrics,
    tidy_metrics,
)

__all__ = [
    "METRIC_COLUMNS",
    "SUMMARY_COLUMNS",
    "attribute_fraction_baseline",
    "best_slice_metrics",
    "column_average_precision",
    "explanation_hit",
    "ideal_error_slice_precision",
    "mean_ci",
    "paper_precision_at_10",
    "paper_slice_scores",
    "precision_at_k",
    "ranked_precision",
    "summarize_metrics",
    "tidy_metrics",
]
