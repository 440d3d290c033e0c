"""The `reporting` pipeline: ``build_audit_report`` gathers the run's results and renders the HTML report,
``write_summary`` writes ``summary.md`` and the charts from what it gathered."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.namespaces import bind
from medslice.pipelines.reporting import nodes

# The evaluation's shared outputs the report reads; with a report namespace they are read from under it.
RESULTS = ("metrics_summary", "paired_comparisons", "cross_fitted_best", "slicer_comparison", "slicer_rules")
SHARED_INPUTS = ("cohort", "mimic_cxr_jpg", "image_embeddings", "report_embeddings", "metadata_embeddings")
PARAMETERS = ("params:seed", "params:report", "parameters")


def create_pipeline(
    scenarios: Iterable[str] = (),
    variants: Iterable[str] = (),
    *,
    with_injection_qa: bool = True,
    namespace: str | None = None,
    **kwargs: object,
) -> Pipeline:
    """``build_audit_report`` and ``write_summary`` over the declared scenarios and variants.

    ``build_audit_report`` reads the results, each ``{scenario}.predictions`` (and ``.injection_qa`` with
    ``with_injection_qa``; off for a user's own predictions, which have no injection), each
    ``{scenario}.{variant}`` slicing, and ``run_info`` (:class:`medslice.hooks.RunInfoHook`), in the order
    the scenarios and variants are declared. It renders ``audit_report`` and hands ``report_artifacts``
    (in memory) to ``write_summary``, which writes ``audit_summary``, ``precision_chart`` and
    ``paired_chart``. ``namespace`` puts the results read, ``run_info`` and every output under it
    (``user.audit_report``, …), so that auditing one's own predictions never overwrites the planted-failure
    audit's report.
    """
    scenarios, variants = list(scenarios), list(variants)
    gathered = nodes.scenario_inputs(scenarios, variants, with_injection_qa)
    # The report reads namespaced outputs by their full, dotted names on purpose.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*contain '.' characters.*")
        pipeline = Pipeline(
            [
                node(
                    bind(
                        nodes.build_audit_report,
                        scenarios=tuple(scenarios),
                        variants=tuple(variants),
                        with_injection_qa=with_injection_qa,
                    ),
                    inputs=[*RESULTS, *SHARED_INPUTS, *PARAMETERS, "run_info", *gathered],
                    outputs=["audit_report", "report_artifacts"],
                    name="build_audit_report",
                ),
                node(
                    nodes.write_summary,
                    inputs="report_artifacts",
                    outputs=["audit_summary", "precision_chart", "paired_chart"],
                    name="write_summary",
                ),
            ],
            tags=tags.REPORTING,
        )
        if namespace is not None:
            pipeline = Pipeline(
                pipeline,
                namespace=namespace,
                inputs={*SHARED_INPUTS, *gathered},
                parameters=set(PARAMETERS),
            )
    return pipeline
