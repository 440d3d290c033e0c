"""The `evaluation` pipeline: per scenario x variant metrics, then the summary and the audit report."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node

from medslice.pipelines.evaluation import nodes


def _bound(function: object, **names: str) -> object:
    return update_wrapper(partial(function, **names), function)


def _variant_pipeline(scenario: str, variant: str) -> Pipeline:
    template = Pipeline(
        [
            node(
                _bound(nodes.evaluate_variant, scenario=scenario, variant=variant),
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
                _bound(nodes.evaluate_compared_variant, scenario=scenario, variant=variant),
                inputs=["compared_slices", "predictions", "bootstrap_checkpoints"],
                outputs="compared_metrics",
                name="evaluate_compared_slicers",
            ),
        ]
    )
    return Pipeline(
        template,
        namespace=variant,
        inputs={"predictions", "bootstrap_checkpoints"},
        parameters={"params:evaluation", "params:slice_discovery.slicer"},
    )


def _scenario_pipeline(scenario: str, variants: list[str]) -> Pipeline:
    baseline = Pipeline(
        [
            node(
                _bound(nodes.evaluate_baseline, scenario=scenario),
                inputs="predictions",
                outputs="baseline_metrics",
                name="evaluate_baseline",
            )
        ]
    )
    per_variant = sum((_variant_pipeline(scenario, v) for v in variants), Pipeline([]))
    return Pipeline(
        baseline + per_variant,
        namespace=scenario,
        inputs={"bootstrap_checkpoints"},
        parameters={"params:evaluation", "params:slice_discovery.slicer"},
    )


def _aggregate(scenarios: list[str], variants: list[str], with_injection_qa: bool) -> Pipeline:
    metric_tables = [
        *(f"{s}.baseline_metrics" for s in scenarios),
        *(f"{s}.{v}.metrics" for s in scenarios for v in variants),
    ]
    slicer_tables = {
        f"{s}__{v}__compared_metrics": f"{s}.{v}.compared_metrics" for s in scenarios for v in variants
    }
    # Rules read the metadata, not the embeddings: every variant of a scenario has the same; one suffices.
    slicer_tables.update(
        {f"{s}__slice_rules": f"{s}.{variants[0]}.slice_rules" for s in scenarios if variants}
    )
    report_inputs = {
        "metrics_summary": "metrics_summary",
        "paired_comparisons": "paired_comparisons",
        "cross_fitted_best": "cross_fitted_best",
        "slicer_comparison": "slicer_comparison",
        "slicer_rules": "slicer_rules",
        "cohort": "cohort",
        "mimic_cxr_jpg": "mimic_cxr_jpg",
        "image_embeddings": "image_embeddings",
        "report_embeddings": "report_embeddings",
        "metadata_embeddings": "metadata_embeddings",
        "parameters": "parameters",
    }
    summary_qa = (
        {f"{scenario}__injection_qa": f"{scenario}.injection_qa" for scenario in scenarios}
        if with_injection_qa
        else {}
    )
    for scenario in scenarios:
        report_inputs[f"{scenario}__predictions"] = f"{scenario}.predictions"
        if with_injection_qa:
            report_inputs[f"{scenario}__injection_qa"] = f"{scenario}.injection_qa"
        for variant in variants:
            for kind in ("slices", "slice_summary", "slicing_settings", "explanations"):
                report_inputs[f"{scenario}__{variant}__{kind}"] = f"{scenario}.{variant}.{kind}"
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
                    nodes.summarize_slicers,
                    inputs={"metrics": "metrics", "seed": "params:seed", **slicer_tables},
                    outputs=["slicer_comparison", "slicer_rules"],
                    name="summarize_slicers",
                ),
                node(
                    nodes.write_summary,
                    inputs={
                        "metrics_summary": "metrics_summary",
                        "paired_comparisons": "paired_comparisons",
                        "cross_fitted_best": "cross_fitted_best",
                        "slicer_comparison": "slicer_comparison",
                        "slicer_rules": "slicer_rules",
                        **summary_qa,
                    },
                    outputs=["audit_summary", "precision_chart", "paired_chart"],
                    name="write_summary",
                ),
                node(
                    nodes.build_audit_report,
                    inputs=report_inputs,
                    outputs="audit_report",
                    name="build_audit_report",
                ),
            ]
        )


def create_pipeline(
    scenarios: Iterable[str] = (),
    variants: Iterable[str] = (),
    *,
    with_injection_qa: bool = True,
    report_namespace: str | None = None,
    **kwargs: object,
) -> Pipeline:
    """``{scenario}.{variant}.evaluate_variant`` and ``{scenario}.evaluate_baseline``, then the report.

    ``with_injection_qa`` feeds each ``{scenario}.injection_qa`` to the report's planted-failures table;
    it is off for a user's own predictions, which have no injection. ``report_namespace`` puts the
    metrics, summary, chart and report under that namespace (``user.audit_report``, …), so that
    auditing one's own predictions never overwrites the planted-failure audit's report. ``compare_variants``
    pairs the variants on their shared bootstraps (``paired_comparisons``, ``cross_fitted_best``); the
    summary and the report lead with it, and ``paired_chart`` is its forest plot.
    """
    scenarios, variants = list(scenarios), list(variants)
    per_scenario = sum((_scenario_pipeline(s, variants) for s in scenarios), Pipeline([]))
    aggregate = _aggregate(scenarios, variants, with_injection_qa)
    if report_namespace is not None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*contain '.' characters.*")
            parameters = {n for n in aggregate.inputs() if n == "parameters" or n.startswith("params:")}
            aggregate = Pipeline(
                aggregate,
                namespace=report_namespace,
                inputs=aggregate.inputs() - parameters,
                parameters=parameters,
            )
    return per_scenario + aggregate
