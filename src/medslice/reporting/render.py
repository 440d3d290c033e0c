"""Render the self-contained HTML audit report: one file, images inlined, no network, no script."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from matplotlib.figure import Figure

import medslice
from medslice.errors import BadTypeError, BadValueError
from medslice.reporting.cards import SliceCard
from medslice.reporting.figures import paired_forest_plot, png_bytes, precision_bar_chart
from medslice.reporting.formatting import humanize
from medslice.reporting.headline import (
    BASELINE_COLUMN,
    DCBENCH_METRIC,
    Headline,
    compute_headline,
    headline_long,
)
from medslice.reporting.paired import (
    CROSS_FITTED_NOTE,
    PAIRED_NOTE,
    CrossFittedRow,
    PairedRow,
    cross_fitted_rows,
    lead_sentences,
    paired_rows,
)
from medslice.reporting.planted import PlantedFailure
from medslice.reporting.provenance import (
    PARAMETERS_KEY,
    display_value,
    is_synthetic,
    provenance_items,
)
from medslice.reporting.slicers import SLICER_NOTE, SlicerRow
from medslice.reporting.views import (
    FigureView,
    metric_table,
    planted_view,
    png_data_uri,
    scenario_views,
)

TEMPLATE_NAME = "audit_report.html.j2"
TITLE = "medslice audit report"
SHOW_VARIANTS = ("best", "all")
FOREST_CAPTION = (
    "Paired difference in paper precision@10, each multimodal variant minus image-only, per scenario: "
    "mean over the shared bootstraps with its 95% CI (classifiers, then audit draws); filled markers have "
    "a Holm-adjusted p below 0.05; the dashed line is no difference."
)


@dataclass(frozen=True)
class PairedView:
    """The report's lead: comparison sentences, compact table, forest plot and the cross-fitted best."""

    note: str
    sentences: tuple[tuple[str, str], ...]
    rows: tuple[PairedRow, ...]
    figure: FigureView | None
    cross_fitted_note: str
    cross_fitted: tuple[CrossFittedRow, ...]


def paired_view(
    paired: pd.DataFrame | None, cross_fitted: pd.DataFrame | None, chart: Figure | None = None
) -> PairedView | None:
    """The lead section's view, or None when there is nothing to compare (no tables, or empty ones).

    ``chart`` is the forest plot of ``paired`` (drawn here when not given).
    """
    has_pairs = paired is not None and not paired.empty
    has_best = cross_fitted is not None and not cross_fitted.empty
    if not has_pairs and not has_best:
        return None
    figure = None
    if has_pairs:
        figure = FigureView(
            "figure-paired",
            FOREST_CAPTION,
            png_data_uri(png_bytes(chart or paired_forest_plot(paired)), "the paired forest plot"),
        )
    return PairedView(
        note=PAIRED_NOTE,
        sentences=tuple(lead_sentences(paired)) if has_pairs else (),
        rows=tuple(paired_rows(paired)) if has_pairs else (),
        figure=figure,
        cross_fitted_note=CROSS_FITTED_NOTE,
        cross_fitted=tuple(cross_fitted_rows(cross_fitted)) if has_best else (),
    )


def _environment() -> Environment:
    """The Jinja environment: packaged templates, autoescaping, and loud undefined names."""
    return Environment(
        loader=PackageLoader("medslice.reporting", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_audit_report(
    summary: pd.DataFrame,
    cards: Sequence[SliceCard],
    provenance: Mapping[str, Any],
    *,
    headline: Headline | None = None,
    precision_chart: Figure | None = None,
    paired_chart: Figure | None = None,
    show_variants: str = "best",
    max_terms: int = 5,
    max_enrichment_rows: int = 5,
    planted: Sequence[PlantedFailure] = (),
    no_slice_reasons: Mapping[str, str] | None = None,
    shown_notes: Mapping[str, str] | None = None,
    notices: Sequence[str] = (),
    paired: pd.DataFrame | None = None,
    cross_fitted: pd.DataFrame | None = None,
    slicers: Sequence[SlicerRow] = (),
    data_notice: str | None = None,
    parameters_from_rebuild: bool = False,
) -> str:
    """Render the audit report as one self-contained HTML document and return it as a string.

    Parameters
    ----------
    summary : pd.DataFrame
        The output of :func:`medslice.evaluation.summarize_metrics`. The headline uses
        method ``domino`` with metric ``paper_precision_at_10`` (and ``precision_at_10`` for
        the dcbench table) and method ``baseline`` with metric ``attribute_fraction``.
    cards : Sequence[SliceCard]
        Slice cards of any scenarios and variants.
    provenance : Mapping[str, Any]
        What produced the run. ``encoder``, ``data_version``, ``seed``,
        ``medslice_version`` (default: the installed version) and ``timestamp`` are shown
        first; ``parameters`` (a mapping) goes in a collapsible JSON block; other keys are
        listed as given. A ``data_version`` mentioning "synthetic" (or ``synthetic: True``)
        adds a banner. Nothing here reads the clock: pass the timestamp in.
    headline : Headline or None, default=None
        The headline of ``summary`` (:func:`~medslice.reporting.headline.compute_headline`),
        computed once per report; its columns order every table. Computed here when not given.
    precision_chart : Figure or None, default=None
        The headline's bar chart, drawn once per report (here when not given).
    paired_chart : Figure or None, default=None
        The forest plot of ``paired``, drawn once per report (here when not given).
    show_variants : str, default="best"
        ``"best"`` shows, per scenario, the cards of the best variant by paper
        precision@10 (or every card given when that variant has none); ``"all"`` shows every
        card, the best variant first.
    max_terms : int, default=5
        Tokens and phrases shown per card.
    max_enrichment_rows : int, default=5
        Enrichment rows shown per card.
    planted : Sequence[PlantedFailure], default=()
        The injected failures behind the run (:func:`medslice.reporting.planted.planted_failures`),
        shown as a table after the headline; empty for a user's own predictions.
    no_slice_reasons : Mapping[str, str] or None, default=None
        Why a scenario has no slices (e.g. the classifier made no error), by scenario;
        such scenarios are listed in the slices section with the reason.
    shown_notes : Mapping[str, str] or None, default=None
        A note shown above a scenario's cards, by scenario, e.g. that they come from a
        later bootstrap because the first one had no slices.
    notices : Sequence[str], default=()
        Warnings shown under the title, before the headline, e.g. that the variants were
        sliced with different settings.
    paired : pd.DataFrame or None, default=None
        The output of :func:`medslice.evaluation.paired.paired_comparisons`; with rows, the
        report leads with the comparisons (a sentence per scenario, a compact table and a forest
        plot) before the headline.
    cross_fitted : pd.DataFrame or None, default=None
        The output of :func:`medslice.evaluation.paired.cross_fitted_best`, shown in the
        lead beside the in-sample best variant.
    slicers : Sequence[SlicerRow], default=()
        Rows of :func:`medslice.reporting.slicers.slicer_rows`: every slicer's best variant on
        the same bootstraps, shown after the headline (nothing when empty).
    data_notice : str or None, default=None
        What the reader must know about sharing the report, shown first under the title
        as an alert, e.g. that it holds credentialed patient images
        (:data:`medslice.reporting.data_protection.CREDENTIALED_NOTICE`).
    parameters_from_rebuild : bool, default=False
        The report was rebuilt in another run than its results': the
        parameters shown are the rebuilding run's.

    Returns
    -------
    str
        The HTML text. Same inputs give the same text, byte for byte.
    """
    if show_variants not in SHOW_VARIANTS:
        raise BadValueError(f"show_variants must be one of {SHOW_VARIANTS}, got {show_variants!r}.")
    if not isinstance(provenance, Mapping):
        raise BadTypeError(f"provenance must be a mapping, got {type(provenance).__name__}.")
    for position, card in enumerate(cards):
        if not isinstance(card, SliceCard):
            raise BadTypeError(f"cards[{position}] must be a SliceCard, got {type(card).__name__}.")
    for position, failure in enumerate(planted):
        if not isinstance(failure, PlantedFailure):
            raise BadTypeError(f"planted[{position}] must be a PlantedFailure, got {type(failure).__name__}.")
    for name, value in (("max_terms", max_terms), ("max_enrichment_rows", max_enrichment_rows)):
        if int(value) < 0:
            raise BadValueError(f"{name} must be non-negative, got {value!r}.")

    unscored = [failure for failure in planted if failure.n_accepted == 0]
    unscored_note = (
        " Not scored, because no bootstrap showed the planted failure: "
        + ", ".join(f"{humanize(f.scenario)} (0 of {f.n_bootstraps} accepted)" for f in unscored)
        + "; see Planted failures."
        if unscored
        else ""
    )
    if headline is None:
        headline = compute_headline(summary)
    variants = [name for name in headline.columns if name != BASELINE_COLUMN]
    paper = metric_table(
        headline.long,
        headline.columns,
        anchor="headline",
        heading="Headline: paper precision@10",
        note=(
            "Mean over bootstrap runs with its 95% confidence interval. The best variant per "
            "scenario is bold and highlighted; the dashed-border column is the baseline." + unscored_note
        ),
        ideal_scores=headline.ideal_scores,
    )
    dcbench = metric_table(
        headline_long(summary, DCBENCH_METRIC, baseline_metric=None, variants=variants),
        variants,
        anchor="dcbench",
        heading="Detection: dcbench precision@10",
        note=(
            "Share of the 10 highest-membership cases that belong to the planted slice, for the "
            "slice that matches it best (by average precision)."
        ),
        ideal_scores=None,
    )
    best = dict(headline.best)
    scenario_names = list(best)
    scenario_names += [s for s in dict.fromkeys(c.scenario for c in cards) if s not in best]
    scenario_names += [s for s in (no_slice_reasons or {}) if s not in scenario_names]
    chart = precision_chart or precision_bar_chart(headline)
    figure_views = [
        FigureView(
            "figure-precision",
            "Paper precision@10 per scenario and variant; whiskers are 95% CIs, the dashed line "
            "is the baseline, the outlined bar the best variant.",
            png_data_uri(png_bytes(chart), "the precision bar chart"),
        )
    ]

    full_provenance = {"medslice_version": medslice.__version__, **dict(provenance)}
    parameters = provenance.get(PARAMETERS_KEY)
    context = {
        "title": TITLE,
        "tables": (paper, dcbench),
        "figures": tuple(figure_views),
        "scenarios": scenario_views(
            scenario_names,
            best,
            cards,
            show_variants=show_variants,
            max_terms=max_terms,
            max_enrichment_rows=max_enrichment_rows,
            no_slice_reasons=no_slice_reasons or {},
            shown_notes=shown_notes or {},
        ),
        "show_variants": show_variants,
        "planted": tuple(planted_view(failure) for failure in planted),
        "provenance": provenance_items(full_provenance),
        "parameters_json": (
            json.dumps(parameters, sort_keys=True, indent=2, default=_as_json, ensure_ascii=False)
            if parameters is not None
            else None
        ),
        # A report rebuilt alone shows this run's parameters beside an earlier run's results.
        "parameters_from_rebuild": bool(parameters) and parameters_from_rebuild,
        "synthetic": is_synthetic(provenance),
        "notices": tuple(str(notice) for notice in notices),
        "data_notice": None if data_notice is None else str(data_notice),
        "paired": paired_view(paired, cross_fitted, paired_chart),
        "slicers": tuple(slicers),
        "slicer_note": SLICER_NOTE,
        "timestamp": display_value(provenance.get("timestamp")),
        "data_version": display_value(provenance.get("data_version")),
    }
    return _environment().get_template(TEMPLATE_NAME).render(**context)


def _as_json(value: Any) -> Any:
    """Typed settings (Kedro builds them in ``parameters``) as their mappings; anything else as text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)
