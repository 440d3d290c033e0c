"""The `slice_discovery` pipeline: the template, namespaced per scenario and per variant."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

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


def variant_pipeline(variant: str) -> Pipeline:
    """The template for one variant; ``predictions`` stays free for the scenario namespace to claim."""
    return Pipeline(
        _template(),
        namespace=variant,
        inputs=SHARED_INPUTS | {"predictions"},
        parameters={
            "params:variant": f"params:slice_discovery.variants.{variant}",
            "params:slice_discovery.slicer": "params:slice_discovery.slicer",
            "params:slice_discovery.pca_fit": "params:slice_discovery.pca_fit",
            "params:slice_discovery.compared_slicers": "params:slice_discovery.compared_slicers",
            "params:seed": "params:seed",
        },
    )


def create_pipeline(
    scenarios: Iterable[str] = (), variants: Iterable[str] = (), **kwargs: object
) -> Pipeline:
    """``{scenario}.{variant}.discover_slices`` for every declared scenario and variant."""
    variants = list(variants)
    pipelines = []
    for scenario in scenarios:
        per_variant = sum((variant_pipeline(v) for v in variants), Pipeline([]))
        parameters = {p for p in per_variant.inputs() if p.startswith("params:")}
        pipelines.append(
            Pipeline(per_variant, namespace=scenario, inputs=SHARED_INPUTS, parameters=parameters)
        )
    return sum(pipelines, Pipeline([]))
