"""Nodes of the `evaluation` pipeline: thin wrappers over :mod:`medslice.evaluation`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from medslice.evaluation import paired as paired_statistics
from medslice.evaluation import summarize_metrics, tidy_metrics
from medslice.evaluation.audit import (
    baseline_metrics,
    evaluate_compared_slicers,
    evaluate_slices,
    ideal_error_slice_metrics,
)
from medslice.evaluation.efficiency import efficiency_metrics
from medslice.evaluation.slicers import slicer_summary
from medslice.pipelines.evaluation.settings import EvaluationSettings
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.comparison import RULE_TABLE_COLUMNS


def evaluate_variant(
    slices: pd.DataFrame,
    predictions: pd.DataFrame,
    explanations: pd.DataFrame,
    bootstrap_checkpoints: CheckpointStore,
    evaluation: EvaluationSettings,
    slicer: dict[str, Any],
    *,
    scenario: str,
    variant: str,
) -> pd.DataFrame:
    """Precision@k, average precision, the paper's P@10 and explanation hits per bootstrap.

    Each bootstrap's record is kept in ``bootstrap_checkpoints`` and reused by a rerun with the same inputs.
    """
    evaluation = EvaluationSettings.of(evaluation)  # a plain mapping too, for notebooks and tests
    return evaluate_slices(
        slices,
        predictions,
        explanations,
        scenario=scenario,
        variant=variant,
        synonyms=evaluation.synonyms.get(scenario, []),
        method=str(slicer.get("method", "domino")),
        top_k=evaluation.top_k,
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
    metrics: pd.DataFrame,
    seed: int,
    *tables: pd.DataFrame,
    scenarios: Sequence[str],
    variants: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every slicer's paper precision@10 and efficiency per variant, and the rules SliceLine found.

    ``tables`` are each ``{scenario}.{variant}.compared_metrics`` (scenarios, then variants, in declaration
    order), then each scenario's ``slice_rules`` (one variant's: rules read the metadata, so every variant
    of a scenario has the same). Returns the summary (:func:`medslice.evaluation.slicers.slicer_summary`)
    and the rules with a ``scenario`` column.
    """
    n_compared = len(scenarios) * len(variants)
    compared = [t for t in tables[:n_compared] if len(t)]
    rules = [
        t.assign(scenario=scenario)
        for scenario, t in zip(scenarios if variants else (), tables[n_compared:], strict=True)
        if len(t)
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
