"""Project pipelines, registered by name."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from medslice.pipelines import ingestion, synthetic


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline by name.

    ``audit`` composes the stages that run on an existing release, in order; ``__default__`` is ``audit``.
    ``synthetic`` writes the built-in dataset and is never part of ``audit``, so that a real download is
    never touched.
    """
    stages = {
        "ingestion": ingestion.create_pipeline(),
    }
    audit = sum(stages.values(), Pipeline([]))
    return {
        "synthetic": synthetic.create_pipeline(),
        **stages,
        "audit": audit,
        "__default__": audit,
    }
