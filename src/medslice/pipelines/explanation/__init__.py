"""The `explanation` pipeline: every discovered slice in words."""

from medslice.pipelines.explanation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
