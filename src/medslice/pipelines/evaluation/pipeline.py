"""The `evaluation` pipeline: per scenario x variant metrics, then the summary and the audit report."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node

from medslice.pipelines.evaluation import nodes

REPORT_PARAMETERS = ["seed", "synthetic", "ingestion", "failure_injection", "slice_discovery", "explanation"]


def _bound(function: object, **names: str) -> object:
    return update_wrapper(partial(function, **names), function)


def create_pipeline(
    scenarios: Iterable[str] = (), variants: Iterable[str] = (), **kwargs: object
) -> Pipeline:
    """``{scenario}.{variant}.evaluate_variant`` and ``{scenario}.evaluate_baseline``, then the report."""
    scenarios, variants = list(scenarios), list(variants)
    nodes_ = []
    metric_tables = []
    for scenario in scenarios:
        nodes_.append(
            node(
                _bound(nodes.evaluate_baseline, scenario=scenario),
                inputs=f"{scenario}.predictions",
                outputs=f"{scenario}.baseline_metrics",
                name=f"{scenario}.evaluate_baseline",
                namespace=scenario,
            )
        )
        metric_tables.append(f"{scenario}.baseline_metrics")
        for variant in variants:
            prefix = f"{scenario}.{variant}"
            nodes_.append(
                node(
                    _bound(nodes.evaluate_variant, scenario=scenario, variant=variant),
                    inputs=[
                        f"{prefix}.slices",
                        f"{scenario}.predictions",
                        f"{prefix}.explanations",
                        "params:evaluation",
                    ],
                    outputs=f"{prefix}.metrics",
                    name=f"{prefix}.evaluate_variant",
                    namespace=prefix,
                )
            )
            metric_tables.append(f"{prefix}.metrics")
    report_inputs = {
        "metrics_summary": "metrics_summary",
        "cohort": "cohort",
        "mimic_cxr_jpg": "mimic_cxr_jpg",
        "encoder": "encoder",
        "parameters": "parameters",
    }
    for scenario in scenarios:
        report_inputs[f"{scenario}__predictions"] = f"{scenario}.predictions"
        for variant in variants:
            for kind in ("slices", "slice_summary", "explanations"):
                report_inputs[f"{scenario}__{variant}__{kind}"] = f"{scenario}.{variant}.{kind}"
    nodes_ += [
        node(
            nodes.combine_metrics,
            inputs=metric_tables,
            outputs=["metrics", "metrics_summary"],
            name="combine_metrics",
        ),
        node(
            nodes.write_summary,
            inputs="metrics_summary",
            outputs=["audit_summary", "precision_chart"],
            name="write_summary",
        ),
        node(
            nodes.build_audit_report,
            inputs=report_inputs,
            outputs="audit_report",
            name="build_audit_report",
        ),
    ]
    return Pipeline(nodes_)
