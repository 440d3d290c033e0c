"""The `embedding` pipeline: the in-domain CLIP (or BiomedCLIP) and per-modality embeddings."""

from medslice.pipelines.embedding.pipeline import create_pipeline

__all__ = ["create_pipeline"]
