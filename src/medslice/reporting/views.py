"""View models: the report's tables, figures and cards with every number already formatted.

The template only lays these out; all formatting and selection decisions live here, in Python.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from medslice.errors import BadValueError
from medslice.reporting.cards import PNG_SIGNATURE, SliceCard, slug
from medslice.reporting.formatting import (
    MISSING,
    format_interval,
    format_number,
    format_p_value,
    format_signed,
    humanize,
    is_missing_number,
)
from medslice.reporting.headline import BASELINE_COLUMN, is_multimodal, multimodal_comparisons
from medslice.reporting.planted import PlantedFailure

VARIANT_TIPS: dict[str, str] = {
    "image": "Slices found from image embeddings alone.",
    "report": "Slices found from report embeddings alone.",
    "metadata": "Slices found from the metadata sentence alone.",
}
BASELINE_TIP = (
    "Fraction of misclassified audit cases that carry the planted attribute: the precision of "
    "simply flagging every error. A slice finder earns its keep by beating it."
)


@dataclass(frozen=True)
class CellView:
    """One table cell, formatted."""

    mean: str
    interval: str
    n: int
    css_class: str
    best: bool


@dataclass(frozen=True)
class RowView:
    """One scenario row of a metric table."""

    scenario: str
    cells: tuple[CellView, ...]


@dataclass(frozen=True)
class ColumnView:
    """One value column of a metric table, with its tooltip."""

    name: str
    label: str
    tip: str
    css_class: str


@dataclass(frozen=True)
class TableView:
    """A scenario x variant table with its explanation."""

    anchor: str
    heading: str
    note: str
    columns: tuple[ColumnView, ...]
    rows: tuple[RowView, ...]
    comparisons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FigureView:
    """One inlined figure with its caption."""

    anchor: str
    caption: str
    data_uri: str


@dataclass(frozen=True)
class TermView:
    """A token or phrase with its formatted score."""

    text: str
    score: str


@dataclass(frozen=True)
class EnrichmentRowView:
    """One enriched attribute value of a card, formatted."""

    attribute: str
    slice_prevalence: str
    reference_prevalence: str
    lift: str
    q_value: str
    p_value: str
    significant: bool


@dataclass(frozen=True)
class CardView:
    """A :class:`SliceCard` with every number already formatted for display."""

    anchor: str
    scenario: str
    variant: str
    slice_index: int
    size: str
    error_rate: str
    error_type: str
    accuracy_gap: str
    majority_class: str
    tokens: tuple[TermView, ...]
    phrases: tuple[TermView, ...]
    enrichment: tuple[EnrichmentRowView, ...]
    montage_uri: str | None
    hypotheses: tuple[str, ...]
    cautions: tuple[str, ...] = ()


# Below this many members a slice's rates rest on a handful of cases.
SMALL_SLICE = 10


def card_cautions(card: SliceCard) -> tuple[str, ...]:
    """What a reader should know before taking a card as a finding: a tiny slice, or no failure at all."""
    cautions = []
    if card.size < SMALL_SLICE:
        cautions.append(f"Only {card.size} member(s): its rates rest on very few cases.")
    if not card.accuracy_gap > 0:
        cautions.append(
            "Not a failure slice: the classifier is at least as accurate here as on the rest of the "
            "audit set."
        )
    return tuple(cautions)


@dataclass(frozen=True)
class ScenarioView:
    """One scenario of the slices section: its cards grouped by variant, or why there are none."""

    anchor: str
    name: str
    label: str
    best_variant: str | None
    message: str | None
    groups: tuple[tuple[str, bool, tuple[CardView, ...]], ...] = field(default=())


@dataclass(frozen=True)
class PlantedView:
    """One row of the planted-failures table."""

    scenario: str
    anchor: str
    accepted: str
    retries: str
    check_gap: str
    within_class_gap: str
    ideal_error_slice: str
    css_class: str
    verdict: str


def planted_view(failure: PlantedFailure) -> PlantedView:
    """Format one scenario's planted failure for the report."""
    specific = failure.slice_specific
    css_class = "unknown" if specific is None else ("specific" if specific else "unspecific")
    if failure.n_accepted == 0:
        css_class = "unspecific"
    return PlantedView(
        scenario=failure.scenario,
        anchor=slug(f"scenario-{failure.scenario}"),
        accepted=f"{failure.n_accepted} / {failure.n_bootstraps}"
        + (f" ({failure.n_accepted_classifiers} / {failure.design})" if failure.n_classifiers else ""),
        retries=str(failure.total_retries),
        check_gap=format_signed(failure.mean_check_gap),
        within_class_gap=format_signed(failure.mean_within_class_gap),
        ideal_error_slice=format_number(failure.ideal_error_slice_precision),
        css_class=css_class,
        verdict=failure.verdict,
    )


def png_data_uri(data: bytes, name: str) -> str:
    """Inline PNG bytes as a data URI, refusing anything that is not a PNG."""
    if not isinstance(data, (bytes, bytearray)) or not bytes(data).startswith(PNG_SIGNATURE):
        raise BadValueError(f"{name} must be PNG bytes (it lacks the PNG signature).")
    return "data:image/png;base64," + base64.b64encode(bytes(data)).decode("ascii")


def _variant_tip(variant: str) -> str:
    """A one-line tooltip explaining a variant column."""
    if variant in VARIANT_TIPS:
        return VARIANT_TIPS[variant]
    if is_multimodal(variant):
        return f"Slices found from fused {humanize(variant).replace(' ', ' + ')} embeddings."
    return f"Slices found with the {humanize(variant)} variant."


def metric_table(
    long: pd.DataFrame,
    names: Sequence[str],
    *,
    anchor: str,
    heading: str,
    note: str,
    ideal_scores: Mapping[str, float] | None,
) -> TableView:
    """One scenario x variant table view from a :func:`~medslice.reporting.headline.headline_long` frame.

    ``names`` are its value columns; with ``ideal_scores`` the table states the multimodal comparisons.
    """
    columns = tuple(
        ColumnView(
            name,
            humanize(name),
            BASELINE_TIP if name == BASELINE_COLUMN else _variant_tip(name),
            "baseline" if name == BASELINE_COLUMN else "variant",
        )
        for name in names
    )
    rows = []
    for scenario, group in long.groupby("scenario", sort=False):
        cells = []
        for record in group.itertuples(index=False):
            classes = ["num"]
            if record.is_baseline:
                classes.append("baseline")
            if record.is_best:
                classes.append("best")
            if is_missing_number(record.mean):
                classes.append("missing")
            cells.append(
                CellView(
                    mean=format_number(record.mean),
                    interval=format_interval(record.ci_low, record.ci_high, n=int(record.n)),
                    n=int(record.n),
                    css_class=" ".join(classes),
                    best=bool(record.is_best),
                )
            )
        rows.append(RowView(str(scenario), tuple(cells)))
    comparisons = (
        tuple((c.scenario, c.sentence(humanize)) for c in multimodal_comparisons(long, ideal_scores))
        if ideal_scores is not None
        else ()
    )
    return TableView(anchor, heading, note, columns, tuple(rows), comparisons)


def _terms(terms: Sequence[tuple[str, float]]) -> tuple[TermView, ...]:
    return tuple(TermView(text, format_number(score, 3)) for text, score in terms)


def _enrichment_rows(enrichment: pd.DataFrame, limit: int) -> tuple[EnrichmentRowView, ...]:
    """Format the first ``limit`` over-represented rows (lift > 1), in the caller's order.

    The two-sided test also flags values the slice lacks; for a yes/no column that is the mirror of the
    enriched row, so the card, titled "enriched attributes", leaves them to the explanations table.
    """
    rows = []
    enriched = enrichment
    if len(enrichment):
        enriched = enrichment[pd.to_numeric(enrichment["lift"], errors="coerce") > 1]
    for record in enriched.head(limit).to_dict("records"):
        lift = record.get("lift", math.nan)
        rows.append(
            EnrichmentRowView(
                attribute=f"{humanize(str(record['column']))} = {record['value']}",
                slice_prevalence=format_number(record.get("slice_prevalence")),
                reference_prevalence=format_number(record.get("reference_prevalence")),
                lift=format_number(lift),
                q_value=format_p_value(record.get("q_value")),
                p_value=format_p_value(record.get("p_value")),
                significant=bool(record.get("significant", False)),
            )
        )
    return tuple(rows)


def _card_view(card: SliceCard, max_terms: int, max_enrichment_rows: int) -> CardView:
    """Format one card for the template."""
    return CardView(
        anchor=card.anchor,
        scenario=card.scenario,
        variant=card.variant,
        slice_index=card.slice_index,
        size=str(card.size),
        error_rate=format_number(card.error_rate),
        error_type=card.error_type or MISSING,
        accuracy_gap=format_signed(card.accuracy_gap),
        majority_class=MISSING if card.majority_class is None else str(card.majority_class),
        tokens=_terms(list(card.tokens)[:max_terms]),
        phrases=_terms(list(card.phrases)[:max_terms]),
        enrichment=_enrichment_rows(card.enrichment, max_enrichment_rows),
        montage_uri=(
            png_data_uri(card.montage_png, f"montage_png of {card.anchor}")
            if card.montage_png is not None
            else None
        ),
        hypotheses=tuple(card.hypotheses),
        cautions=card_cautions(card),
    )


def scenario_views(
    scenarios: Sequence[str],
    best: Mapping[str, str | None],
    cards: Sequence[SliceCard],
    *,
    show_variants: str,
    max_terms: int,
    max_enrichment_rows: int,
    no_slice_reasons: Mapping[str, str] | None = None,
    shown_notes: Mapping[str, str] | None = None,
) -> tuple[ScenarioView, ...]:
    """Group cards by scenario and variant; pick the best variant's cards unless all are wanted."""
    views = []
    for scenario in scenarios:
        best_variant = best.get(scenario)
        own = sorted(
            (card for card in cards if card.scenario == scenario),
            key=lambda card: card.slice_index,
        )
        variants = list(dict.fromkeys(card.variant for card in own))
        # The best variant leads; others follow in the order the caller gave them.
        if best_variant in variants:
            variants.remove(best_variant)
            variants.insert(0, best_variant)
        message = None
        if show_variants == "best" and best_variant is not None and best_variant in variants:
            variants = [best_variant]
        elif show_variants == "best" and own:
            message = (
                f"The best variant ({humanize(best_variant)}) has no slice cards; showing the cards provided."
                if best_variant is not None
                else "No variant has a headline value (nothing planted to score), so none ranks best; "
                f"showing the cards of {', '.join(humanize(v) for v in variants)}."
            )
        if not own:
            which = f" with the best variant, {humanize(best_variant)}" if best_variant else ""
            message = f"No slices were found for this scenario{which}."
            reason = (no_slice_reasons or {}).get(scenario)
            if reason:
                message = f"{message[:-1]}: {reason}."
        note = (shown_notes or {}).get(scenario)
        if own and note:
            message = f"{note} {message}" if message else note
        groups = tuple(
            (
                variant,
                variant == best_variant,
                tuple(
                    _card_view(card, max_terms, max_enrichment_rows)
                    for card in own
                    if card.variant == variant
                ),
            )
            for variant in variants
        )
        views.append(
            ScenarioView(
                anchor=slug(f"scenario-{scenario}"),
                name=scenario,
                label=humanize(scenario),
                best_variant=best_variant,
                message=message,
                groups=groups,
            )
        )
    return tuple(views)
