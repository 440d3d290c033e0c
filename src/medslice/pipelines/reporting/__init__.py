"""The `reporting` pipeline: the summary, the charts and the HTML audit report."""

from medslice.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
