"""Nodes of the `reporting` pipeline: gather the run's results into one :class:`ReportArtifacts`, render."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from medslice.encoders.sharded import identity_from_arrow
from medslice.evaluation.slicers import best_variant_per_slicer
from medslice.mimic.reader import MimicCxrJpg
from medslice.reporting.artifacts import ReportArtifacts, VariantTables
from medslice.reporting.audit import build_report
from medslice.reporting.data_protection import ReportSettings
from medslice.reporting.figures import paired_forest_plot, precision_bar_chart
from medslice.reporting.headline import compute_headline
from medslice.reporting.run_info import RunInfo
from medslice.reporting.slicers import commonest_rules, slicer_rows
from medslice.reporting.summary import summary_markdown

logger = logging.getLogger(__name__)

# What each (scenario, variant) hands the report, in the order of the node's inputs.
VARIANT_TABLES = ("slices", "slice_summary", "slicing_settings", "explanations")


def scenario_inputs(scenarios: Sequence[str], variants: Sequence[str], with_injection_qa: bool) -> list[str]:
    """The namespaced datasets :func:`build_audit_report` reads, in the order it reads them."""
    names = []
    for scenario in scenarios:
        names.append(f"{scenario}.predictions")
        if with_injection_qa:
            names.append(f"{scenario}.injection_qa")
        names += [f"{scenario}.{variant}.{kind}" for variant in variants for kind in VARIANT_TABLES]
    return names


def build_audit_report(  # noqa: PLR0913 - one input per dataset the report reads
    metrics_summary: pd.DataFrame,
    paired_comparisons: pd.DataFrame,
    cross_fitted_best: pd.DataFrame,
    slicer_comparison: pd.DataFrame,
    slicer_rules: pd.DataFrame,
    cohort: pd.DataFrame,
    mimic_cxr_jpg: MimicCxrJpg,
    image_embeddings: pa.Table,
    report_embeddings: pa.Table,
    metadata_embeddings: pa.Table,
    seed: int,
    report: ReportSettings,
    parameters: dict[str, Any],
    run_info: RunInfo,
    *tables: Any,
    scenarios: Sequence[str],
    variants: Sequence[str],
    with_injection_qa: bool,
) -> tuple[str, ReportArtifacts]:
    """The self-contained HTML report, and the :class:`ReportArtifacts` it was made from (for the summary).

    ``tables`` come in the order of :func:`scenario_inputs`. The headline is computed and the charts are
    drawn here, once, for the summary and the report. The encoders named are those recorded in the
    embeddings the slices came from (not the newest ``encoder``). Gathering and rendering are one node, so
    that ``kedro run --nodes=build_audit_report`` rebuilds the report alone from the stored results.
    """
    remaining = iter(tables)
    predictions, injection_qa, per_variant = {}, {}, {}
    for scenario in scenarios:
        predictions[scenario] = next(remaining)
        if with_injection_qa:
            injection_qa[scenario] = next(remaining)
        for variant in variants:
            per_variant[(scenario, variant)] = VariantTables(*(next(remaining) for _ in VARIANT_TABLES))
    embeddings = {"image": image_embeddings, "report": report_embeddings, "metadata": metadata_embeddings}
    headline = compute_headline(metrics_summary, variants)
    artifacts = ReportArtifacts(
        scenarios=tuple(scenarios),
        variants=tuple(variants),
        predictions=predictions,
        injection_qa=injection_qa,
        tables=per_variant,
        metrics_summary=metrics_summary,
        paired_comparisons=paired_comparisons,
        cross_fitted_best=cross_fitted_best,
        slicers=tuple(slicer_rows(best_variant_per_slicer(slicer_comparison), commonest_rules(slicer_rules))),
        cohort=cohort,
        image_root=str(mimic_cxr_jpg.root),
        encoder={modality: identity_from_arrow(table) for modality, table in embeddings.items()},
        headline=headline,
        precision_chart=precision_bar_chart(headline),
        paired_chart=paired_forest_plot(paired_comparisons),
        seed=seed,
        parameters=parameters,
        settings=ReportSettings.of(report),
        run_info=run_info,
    )
    return build_report(artifacts), artifacts


def write_summary(report_artifacts: ReportArtifacts) -> tuple[str, Figure, Figure]:
    """The summary as markdown (also logged to the console), the precision bar chart and the forest plot."""
    markdown = summary_markdown(report_artifacts)
    logger.info("Audit headline (paper precision@10, mean [95%% CI]):\n%s", markdown)
    return markdown, report_artifacts.precision_chart, report_artifacts.paired_chart
