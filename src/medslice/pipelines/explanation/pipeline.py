"""The `explanation` pipeline: one phrase bank, then one explainer node per scenario x variant."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines.explanation import nodes

SHARED_INPUTS = {
    "cohort",
    "image_embeddings",
    "report_embeddings",
    "metadata_embeddings",
    "phrase_bank",
    "bootstrap_checkpoints",
}


def _variant_pipeline(variant: str) -> Pipeline:
    template = Pipeline(
        [
            node(
                nodes.explain_slices,
                inputs=[
                    "slices",
                    "predictions",
                    "cohort",
                    "image_embeddings",
                    "report_embeddings",
                    "metadata_embeddings",
                    "phrase_bank",
                    "bootstrap_checkpoints",
                    "params:variant",
                    "params:explanation",
                ],
                outputs="explanations",
                name="explain_slices",
            )
        ]
    )
    return Pipeline(
        template,
        namespace=variant,
        inputs=SHARED_INPUTS | {"predictions"},
        parameters={
            "params:variant": f"params:slice_discovery.variants.{variant}",
            "params:explanation": "params:explanation",
        },
    )


def create_pipeline(
    scenarios: Iterable[str] = (), variants: Iterable[str] = (), **kwargs: object
) -> Pipeline:
    """``phrase_bank`` once, then ``{scenario}.{variant}.explain_slices`` everywhere."""
    variants = list(variants)
    bank = Pipeline(
        [
            node(
                nodes.build_phrase_bank,
                inputs=["cohort", "encoder", "params:explanation"],
                outputs="phrase_bank",
                name="build_phrase_bank",
            )
        ]
    )
    per_scenario = []
    for scenario in scenarios:
        per_variant = sum((_variant_pipeline(v) for v in variants), Pipeline([]))
        parameters = {p for p in per_variant.inputs() if p.startswith("params:")}
        per_scenario.append(
            Pipeline(per_variant, namespace=scenario, inputs=SHARED_INPUTS, parameters=parameters)
        )
    return bank + sum(per_scenario, Pipeline([]))
