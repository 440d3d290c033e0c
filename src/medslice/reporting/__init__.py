"""The self-contained HTML audit report and its figures and tables. Importable without Kedro."""

from medslice.reporting.cards import SliceCard
from medslice.reporting.figures import png_bytes, precision_bar_chart
from medslice.reporting.headline import (
    BASELINE_COLUMN,
    DCBENCH_METRIC,
    PAPER_METRIC,
    MultimodalComparison,
    best_variants,
    headline_columns,
    headline_long,
    headline_markdown,
    headline_table,
    ideal_error_slice_scores,
    multimodal_comparisons,
)
from medslice.reporting.render import render_audit_report

__all__ = [
    "BASELINE_COLUMN",
    "DCBENCH_METRIC",
    "PAPER_METRIC",
    "MultimodalComparison",
    "SliceCard",
    "best_variants",
    "headline_columns",
    "headline_long",
    "headline_markdown",
    "headline_table",
    "ideal_error_slice_scores",
    "multimodal_comparisons",
    "png_bytes",
    "precision_bar_chart",
    "render_audit_report",
]
