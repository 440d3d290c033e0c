"""The `synthetic` pipeline: writes the built-in synthetic release in the MIMIC-CXR-JPG layout."""

from medslice.pipelines.synthetic.pipeline import create_pipeline

__all__ = ["create_pipeline"]
