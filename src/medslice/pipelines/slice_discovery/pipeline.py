"""The `slice_discovery` pipeline: the template, namespaced per scenario and per variant."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.namespaces import per_scenario_and_variant
from medslice.pipelines.slice_discovery import nodes

SHARED_INPUTS = {
    "cohort",
    "image_embeddings",
    "report_embeddings",
    "metadata_embeddings",
    "bootstrap_checkpoints",
}


def _template() -> Pipeline:
    return Pipeline(
        [
            node(
                nodes.fuse_modalities,
                inputs=[
                    "predictions",
                    "cohort",
                    "image_embeddings",
                    "report_embeddings",
                    "metadata_embeddings",
                    "bootstrap_checkpoints",
                    "params:variant",
                    "params:slice_discovery.pca_fit",
                    "params:seed",
                ],
                outputs="fused_embeddings",
                name="fuse_modalities",
            ),
            node(
                nodes.discover_slices,
                inputs=[
                    "fused_embeddings",
                    "predictions",
                    "bootstrap_checkpoints",
                    "params:slice_discovery.slicer",
                    "params:seed",
                ],
                outputs=["slices", "slice_summary", "slicing_settings"],
                name="discover_slices",
                tags=tags.DISCOVERS_SLICES,
            ),
            node(
                nodes.compare_slicers,
                inputs=[
                    "fused_embeddings",
                    "predictions",
                    "cohort",
                    "bootstrap_checkpoints",
                    "params:slice_discovery.compared_slicers",
                    "params:seed",
                ],
                outputs=["compared_slices", "slice_rules"],
                name="compare_slicers",
            ),
        ]
    )


def create_pipeline(
    scenarios: Iterable[str] = (), variants: Iterable[str] = (), **kwargs: object
) -> Pipeline:
    """``{scenario}.{variant}.discover_slices`` for every declared scenario and variant."""
    pipeline = per_scenario_and_variant(
        lambda scenario, variant: _template(),
        scenarios,
        variants,
        shared_inputs=SHARED_INPUTS,
        scenario_inputs={"predictions"},
    )
    return Pipeline(pipeline, tags=tags.SLICE_DISCOVERY)
