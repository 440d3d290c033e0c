"""Nodes of the `evaluation` pipeline: thin wrappers over :mod:`medslice.evaluation` and reporting."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from medslice.encoders.sharded import identity_from_arrow
from medslice.evaluation import summarize_metrics, tidy_metrics
from medslice.evaluation.audit import baseline_metrics, evaluate_slices, ideal_error_slice_metrics
from medslice.mimic.reader import MimicCxrJpg
from medslice.pipelines.settings_keys import check_known_keys
from medslice.reporting import headline_markdown, precision_bar_chart
from medslice.reporting.audit import build_report
from medslice.reporting.design import design_markdown
from medslice.reporting.planted import planted_failures
from medslice.runner.checkpoints import CheckpointStore

logger = logging.getLogger(__name__)


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
    check_known_keys(evaluation, ("top_k", "synonyms"), "evaluation")
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
    """All metrics in one tidy table, and their means with 95% bootstrap CIs.

    A user's own predictions carry no planted truth, so their tables are empty; the result is then an
    empty table with the same columns rather than an error.
    """
    metrics = tidy_metrics([])
    filled = [t for t in tables if len(t)]
    if filled:
        metrics = pd.concat(filled, ignore_index=True)
    return metrics, summarize_metrics(metrics, seed=seed)


def write_summary(metrics_summary: pd.DataFrame, **injection_qa: dict[str, Any]) -> tuple[str, Figure]:
    """The headline table as markdown (also logged to the console) and the precision bar chart.

    With the injection QA, the markdown ends with the design: each scenario's classifiers and audit draws,
    the accepted ones, and the bootstraps each cell rests on.

    ``injection_qa`` (keyed ``<scenario>__injection_qa``) lets the summary name the scenarios that ran
    but have nothing to score, because no bootstrap showed the planted failure.
    """
    qa = {key.removesuffix("__injection_qa"): value for key, value in injection_qa.items()}
    unscored = {
        failure.scenario: f"{failure.verdict} (0 of {failure.n_bootstraps} bootstraps accepted)"
        for failure in planted_failures(qa)
        if failure.n_accepted == 0
    }
    markdown = headline_markdown(metrics_summary, unscored=unscored)
    if qa:
        markdown += "\n" + design_markdown(metrics_summary, qa)
    logger.info("Audit headline (paper precision@10, mean [95%% CI]):\n%s", markdown)
    return markdown, precision_bar_chart(metrics_summary)


def build_audit_report(
    metrics_summary: pd.DataFrame,
    cohort: pd.DataFrame,
    mimic_cxr_jpg: MimicCxrJpg,
    image_embeddings: pa.Table,
    report_embeddings: pa.Table,
    metadata_embeddings: pa.Table,
    parameters: dict[str, Any],
    **artifacts: Any,
) -> str:
    """The self-contained HTML report: headline, planted failures, chart, the best variant's slice cards,
    provenance. The encoders named are those recorded in the embeddings the slices came from (not the
    newest ``encoder`` version). ``artifacts`` are the per-scenario tables and injection QA, keyed as
    :func:`medslice.reporting.audit.build_report` expects."""
    tables = {"image": image_embeddings, "report": report_embeddings, "metadata": metadata_embeddings}
    return build_report(
        metrics_summary,
        cohort,
        image_root=mimic_cxr_jpg.root,
        encoder={modality: identity_from_arrow(table) for modality, table in tables.items()},
        parameters=parameters,
        artifacts=artifacts,
    )
