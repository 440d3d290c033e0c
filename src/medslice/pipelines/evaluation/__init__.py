"""The `evaluation` pipeline: metrics against the planted truth, and the audit report."""

from medslice.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
