"""The `slice_discovery` pipeline: one namespace per scenario x modality variant."""

from medslice.pipelines.slice_discovery.pipeline import create_pipeline

__all__ = ["create_pipeline"]
