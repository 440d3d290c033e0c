"""The `ingestion` pipeline: a MIMIC-CXR-JPG release into Parquet tables and the cohort."""

from medslice.pipelines.ingestion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
