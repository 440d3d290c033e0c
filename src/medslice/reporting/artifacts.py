"""The report contract: all that ``summary.md``, the charts and the HTML report are made of, in one object.

One node (:func:`medslice.pipelines.reporting.nodes.build_audit_report`) gathers it from the namespaced
datasets, in the order the run declares its scenarios and variants, and computes the headline and draws
the charts once; the summary reads the same object. Nothing here is keyed by strings to be parsed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from medslice.reporting.data_protection import ReportSettings
from medslice.reporting.headline import Headline
from medslice.reporting.run_info import RunInfo
from medslice.reporting.slicers import SlicerRow


@dataclass(frozen=True)
class VariantTables:
    """What one ``{scenario}.{variant}`` found: its slices, their summary and explanations, its settings."""

    slices: pd.DataFrame
    slice_summary: pd.DataFrame
    slicing_settings: Mapping[str, Any]
    explanations: pd.DataFrame


@dataclass(frozen=True)
class ReportArtifacts:
    """The inputs of the summary and the report, typed, in declaration order.

    Attributes
    ----------
    scenarios : tuple[str, ...]
        The scenarios, in ``failure_injection.scenarios`` order (``("user",)`` for one's own
        predictions).
    variants : tuple[str, ...]
        The variants, in ``slice_discovery.variants`` order; they order every table's columns.
    predictions : Mapping[str, pd.DataFrame]
        Each scenario's predictions on its audit sets.
    injection_qa : Mapping[str, Mapping[str, Any]]
        Each scenario's injection QA; empty for one's own predictions (nothing injected).
    tables : Mapping[tuple[str, str], VariantTables]
        Each ``(scenario, variant)``'s slicing, by the pair.
    metrics_summary : pd.DataFrame
        :func:`medslice.evaluation.summarize_metrics` of the run.
    paired_comparisons : pd.DataFrame
        :func:`medslice.evaluation.paired.paired_comparisons`.
    cross_fitted_best : pd.DataFrame
        :func:`medslice.evaluation.paired.cross_fitted_best`.
    slicers : tuple[SlicerRow, ...]
        Every slicer's best variant on the same bootstraps, formatted
        (:func:`medslice.reporting.slicers.slicer_rows`).
    cohort : pd.DataFrame
        The cohort, whose ``image_path`` the montages read under ``image_root``.
    image_root : str
        The release's image folder.
    encoder : Mapping[str, Any]
        What embedded each modality (the identities recorded in the embeddings).
    headline : Headline
        The paper precision@10 headline, computed once.
    precision_chart : Figure
        The headline's bar chart, drawn once.
    paired_chart : Figure
        The forest plot of the paired comparisons, drawn once.
    seed : Any
        ``params:seed``.
    parameters : Mapping[str, Any]
        The run's parameters, shown under Provenance.
    settings : ReportSettings
        The ``report`` block.
    run_info : RunInfo
        The run that builds the report, and the run whose results it shows.
    """

    scenarios: tuple[str, ...]
    variants: tuple[str, ...]
    predictions: Mapping[str, pd.DataFrame]
    injection_qa: Mapping[str, Mapping[str, Any]]
    tables: Mapping[tuple[str, str], VariantTables]
    metrics_summary: pd.DataFrame
    paired_comparisons: pd.DataFrame
    cross_fitted_best: pd.DataFrame
    slicers: tuple[SlicerRow, ...]
    cohort: pd.DataFrame
    image_root: str
    encoder: Mapping[str, Any]
    headline: Headline
    precision_chart: Figure
    paired_chart: Figure
    seed: Any
    parameters: Mapping[str, Any]
    settings: ReportSettings
    run_info: RunInfo
