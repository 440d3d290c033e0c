"""The `evaluation` pipeline: per scenario x variant metrics, then the metrics of the whole run."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.evaluation import nodes
from medslice.pipelines.namespaces import bind, per_scenario, per_scenario_and_variant


def _variant_template(scenario: str, variant: str) -> Pipeline:
    return Pipeline(
        [
            node(
                bind(nodes.evaluate_variant, scenario=scenario, variant=variant),
                inputs=[
                    "slices",
                    "predictions",
                    "explanations",
                    "bootstrap_checkpoints",
                    "params:evaluation",
                    "params:slice_discovery.slicer",
                ],
                outputs="metrics",
                name="evaluate_variant",
            ),
            node(
                bind(nodes.evaluate_compared_variant, scenario=scenario, variant=variant),
                inputs=["compared_slices", "predictions", "bootstrap_checkpoints"],
                outputs="compared_metrics",
                name="evaluate_compared_slicers",
            ),
        ]
    )


def _baseline_template(scenario: str) -> Pipeline:
    return Pipeline(
        [
            node(
                bind(nodes.evaluate_baseline, scenario=scenario),
                inputs="predictions",
                outputs="baseline_metrics",
                name="evaluate_baseline",
            )
        ]
    )


def _aggregate(scenarios: list[str], variants: list[str]) -> Pipeline:
    metric_tables = [
        *(f"{s}.baseline_metrics" for s in scenarios),
        *(f"{s}.{v}.metrics" for s in scenarios for v in variants),
    ]
    compared = [f"{s}.{v}.compared_metrics" for s in scenarios for v in variants]
    # Rules read the metadata, not the embeddings: every variant of a scenario has the same; one suffices.
    rules = [f"{s}.{variants[0]}.slice_rules" for s in scenarios] if variants else []
    # These nodes gather namespaced outputs by their full, dotted names on purpose.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*contain '.' characters.*")
        return Pipeline(
            [
                node(
                    nodes.combine_metrics,
                    inputs=["params:seed", *metric_tables],
                    outputs=["metrics", "metrics_summary"],
                    name="combine_metrics",
                ),
                node(
                    nodes.compare_variants,
                    inputs=["metrics", "params:seed"],
                    outputs=["paired_comparisons", "cross_fitted_best"],
                    name="compare_variants",
                ),
                node(
                    bind(nodes.summarize_slicers, scenarios=tuple(scenarios), variants=tuple(variants)),
                    inputs=["metrics", "params:seed", *compared, *rules],
                    outputs=["slicer_comparison", "slicer_rules"],
                    name="summarize_slicers",
                ),
            ]
        )


def create_pipeline(
    scenarios: Iterable[str] = (),
    variants: Iterable[str] = (),
    *,
    report_namespace: str | None = None,
    **kwargs: object,
) -> Pipeline:
    """``{scenario}.{variant}.evaluate_variant`` and ``{scenario}.evaluate_baseline``, then the run's metrics.

    ``combine_metrics`` gathers them (``metrics``, ``metrics_summary``), ``compare_variants`` pairs the
    variants on their shared bootstraps (``paired_comparisons``, ``cross_fitted_best``) and
    ``summarize_slicers`` compares the slicers (``slicer_comparison``, ``slicer_rules``); the `reporting`
    pipeline reads them. ``report_namespace`` puts these under that namespace (``user.metrics_summary``, …),
    so that auditing one's own predictions never overwrites the planted-failure audit's results.
    """
    scenarios, variants = list(scenarios), list(variants)
    per_variant = per_scenario_and_variant(
        _variant_template,
        scenarios,
        variants,
        shared_inputs={"bootstrap_checkpoints"},
        scenario_inputs={"predictions"},
    )
    baselines = per_scenario(_baseline_template, scenarios)
    aggregate = _aggregate(scenarios, variants)
    if report_namespace is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*contain '.' characters.*")
            parameters = {n for n in aggregate.inputs() if n.startswith("params:")}
            aggregate = Pipeline(
                aggregate,
                namespace=report_namespace,
                inputs=aggregate.inputs() - parameters,
                parameters=parameters,
            )
    return Pipeline(baselines + per_variant + aggregate, tags=tags.EVALUATION)
