"""The `explanation` pipeline: one phrase bank, then one explainer node per scenario x variant."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.explanation import nodes
from medslice.pipelines.namespaces import per_scenario_and_variant

SHARED_INPUTS = {
    "cohort",
    "image_embeddings",
    "report_embeddings",
    "metadata_embeddings",
    "phrase_bank",
    "bootstrap_checkpoints",
}


def _template() -> Pipeline:
    return Pipeline(
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


def create_pipeline(
    scenarios: Iterable[str] = (), variants: Iterable[str] = (), **kwargs: object
) -> Pipeline:
    """``phrase_bank`` once, then ``{scenario}.{variant}.explain_slices`` everywhere."""
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
    explain = per_scenario_and_variant(
        lambda scenario, variant: _template(),
        scenarios,
        variants,
        shared_inputs=SHARED_INPUTS,
        scenario_inputs={"predictions"},
    )
    return Pipeline(bank + explain, tags=tags.EXPLANATION)
