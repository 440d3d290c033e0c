"""Nodes of the `evaluation` pipeline: thin wrappers over :mod:`medslice.evaluation` and reporting."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from medslice.encoders.sharded import identity_from_arrow
from medslice.evaluation import paired as paired_statistics
from medslice.evaluation import summarize_metrics, tidy_metrics
from medslice.evaluation.audit import (
    baseline_metrics,
    evaluate_compared_slicers,
    evaluate_slices,
    ideal_error_slice_metrics,
)
from medslice.evaluation.efficiency import efficiency_metrics
from medslice.evaluation.slicers import best_variant_per_slicer, slicer_summary
from medslice.mimic.reader import MimicCxrJpg
from medslice.pipelines.settings_keys import EVALUATION_KEYS, check_known_keys
from medslice.reporting import headline_markdown, precision_bar_chart
from medslice.reporting.audit import build_report
from medslice.reporting.design import design_markdown
from medslice.reporting.figures import paired_forest_plot
from medslice.reporting.paired import paired_markdown
from medslice.reporting.planted import planted_failures
from medslice.reporting.slicers import commonest_rules, slicer_comparison_markdown, slicer_rows
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.comparison import RULE_TABLE_COLUMNS

logger = logging.getLogger(__name__)

# The forest plot's file name (catalog `paired_chart`), linked from summary.md, which lies in the same folder.
PAIRED_CHART_FILE = "paired_differences.png"


def evaluate_variant(
    slices: pd.DataFrame,
    predictions: pd.DataFrame,
    explanations: pd.DataFrame,
    bootstrap_checkpoints: CheckpointStore,
    evaluation: dict[str, Any],
    slicer: dict[str, Any],
    *,
    scenario: str,
    variant: str,
) -> pd.DataFrame:
    """Precision@k, average precision, the paper's P@10 and explanation hits per bootstrap.

    Each bootstrap's record is kept in ``bootstrap_checkpoints`` and reused by a rerun with the same inputs.
    """
    check_known_keys(evaluation, EVALUATION_KEYS, "evaluation")
    return evaluate_slices(
        slices,
        predictions,
        explanations,
        scenario=scenario,
        variant=variant,
        synonyms=evaluation.get("synonyms", {}).get(scenario, []),
        method=str(slicer.get("method", "domino")),
        top_k=int(evaluation.get("top_k", 5)),
        checkpoints=bootstrap_checkpoints,
    )


def evaluate_baseline(predictions: pd.DataFrame, *, scenario: str) -> pd.DataFrame:
    """The paper's attribute-fraction baseline and the ideal error slice of its precision@10, per bootstrap.

    Both are references for the slicer: the baseline is what flagging every error scores, the ideal error
    slice what the best slice of errors alone scores, given how many planted cases the classifier missed.
    """
    return tidy_metrics(
        [
            *baseline_metrics(predictions, scenario=scenario).to_dict("records"),
            *ideal_error_slice_metrics(predictions, scenario=scenario).to_dict("records"),
        ]
    )


def combine_metrics(seed: int, *tables: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All metrics in one tidy table, with each slicer's efficiency, and their means with 95% bootstrap CIs.

    Efficiency (paper precision@10 over the bootstrap's ideal error slice) is derived here, where the
    variants' and the ideal error slice's tables meet. A user's own predictions carry no planted truth, so
    their tables are empty; the result is then an empty table with the same columns rather than an error.
    """
    metrics = tidy_metrics([])
    filled = [t for t in tables if len(t)]
    if filled:
        metrics = pd.concat(filled, ignore_index=True)
        efficiency = efficiency_metrics(metrics)
        if len(efficiency):
            metrics = pd.concat([metrics, efficiency], ignore_index=True)
    return metrics, summarize_metrics(metrics, seed=seed)


def compare_variants(metrics: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paired comparisons of the variants on their shared bootstraps, and the cross-fitted best variant.

    See :func:`medslice.evaluation.paired.paired_comparisons` and
    :func:`medslice.evaluation.paired.cross_fitted_best`; both are seeded with ``params:seed``. Metrics
    without planted truth (a user's own predictions) give empty tables with the same columns.
    """
    return (
        paired_statistics.paired_comparisons(metrics, seed=seed),
        paired_statistics.cross_fitted_best(metrics, seed=seed),
    )


def evaluate_compared_variant(
    compared_slices: pd.DataFrame,
    predictions: pd.DataFrame,
    bootstrap_checkpoints: CheckpointStore,
    *,
    scenario: str,
    variant: str,
) -> pd.DataFrame:
    """The compared slicers' precision metrics per bootstrap (no explanation hits: they are not explained)."""
    return evaluate_compared_slicers(
        compared_slices, predictions, scenario=scenario, variant=variant, checkpoints=bootstrap_checkpoints
    )


def summarize_slicers(
    metrics: pd.DataFrame, seed: int, **tables: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every slicer's paper precision@10 and efficiency per variant, and the rules SliceLine found.

    ``tables`` holds ``<scenario>__<variant>__compared_metrics`` and ``<scenario>__slice_rules`` (one
    variant's: rules read the metadata, so every variant of a scenario has the same). Returns the summary
    (:func:`medslice.evaluation.slicers.slicer_summary`) and the rules with a ``scenario`` column.
    """
    compared = [t for key, t in tables.items() if key.endswith("__compared_metrics") and len(t)]
    rules = [
        t.assign(scenario=key.removesuffix("__slice_rules"))
        for key, t in tables.items()
        if key.endswith("__slice_rules") and len(t)
    ]
    summary = slicer_summary(
        metrics, pd.concat(compared, ignore_index=True) if compared else tidy_metrics([]), seed=seed
    )
    found = (
        pd.concat(rules, ignore_index=True)
        if rules
        else pd.DataFrame(columns=["scenario", *RULE_TABLE_COLUMNS])
    )
    return summary, found


def write_summary(
    metrics_summary: pd.DataFrame,
    paired_comparisons: pd.DataFrame,
    cross_fitted_best: pd.DataFrame,
    slicer_comparison: pd.DataFrame,
    slicer_rules: pd.DataFrame,
    **injection_qa: dict[str, Any],
) -> tuple[str, Figure, Figure]:
    """The summary as markdown (also logged to the console), the precision bar chart and the forest plot.

    The markdown leads with the paired comparisons (a sentence per scenario, a compact table, the
    cross-fitted best variant and a link to the forest plot), then the headline table, then the slicers
    compared on the same bootstraps (each one's best variant, P@10, efficiency and commonest rule). With the
    injection QA, it ends with the design: each scenario's classifiers and audit draws, the accepted
    ones, and the bootstraps each cell rests on.

    ``injection_qa`` (keyed ``<scenario>__injection_qa``) lets the summary name the scenarios that ran
    but have nothing to score, because no bootstrap showed the planted failure.
    """
    qa = {key.removesuffix("__injection_qa"): value for key, value in injection_qa.items()}
    unscored = {
        failure.scenario: f"{failure.verdict} (0 of {failure.n_bootstraps} bootstraps accepted)"
        for failure in planted_failures(qa)
        if failure.n_accepted == 0
    }
    lead = paired_markdown(paired_comparisons, cross_fitted_best, figure_path=PAIRED_CHART_FILE)
    markdown = (lead + "\n" if lead else "") + headline_markdown(metrics_summary, unscored=unscored)
    slicers = slicer_comparison_markdown(
        best_variant_per_slicer(slicer_comparison), commonest_rules(slicer_rules)
    )
    if slicers:
        markdown += "\n" + slicers
    if qa:
        markdown += "\n" + design_markdown(metrics_summary, qa)
    logger.info("Audit headline (paper precision@10, mean [95%% CI]):\n%s", markdown)
    return markdown, precision_bar_chart(metrics_summary), paired_forest_plot(paired_comparisons)


def build_audit_report(
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
    parameters: dict[str, Any],
    **artifacts: Any,
) -> str:
    """The self-contained HTML report: the paired comparisons, headline, planted failures, charts, the best
    variant's slice cards, provenance. The encoders named are those recorded in the embeddings the slices
    came from (not the newest ``encoder`` version). ``artifacts`` are the per-scenario tables and injection
    QA, keyed as :func:`medslice.reporting.audit.build_report` expects."""
    tables = {"image": image_embeddings, "report": report_embeddings, "metadata": metadata_embeddings}
    return build_report(
        metrics_summary,
        cohort,
        image_root=mimic_cxr_jpg.root,
        encoder={modality: identity_from_arrow(table) for modality, table in tables.items()},
        parameters=parameters,
        artifacts=artifacts,
        paired=paired_comparisons,
        cross_fitted=cross_fitted_best,
        slicers=slicer_rows(best_variant_per_slicer(slicer_comparison), commonest_rules(slicer_rules)),
    )
