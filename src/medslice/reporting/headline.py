"""The headline numbers: precision@10 per scenario and modality variant, the best cell, the baseline.

Everything here reads the summary table of :func:`medslice.evaluation.summarize_metrics` (columns
``scenario, variant, method, metric, mean, ci_low, ci_high, n``) and never recomputes a metric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from medslice.errors import BadTypeError, BadValueError
from medslice.evaluation import SUMMARY_COLUMNS
from medslice.evaluation.tables import DESIGN_COLUMNS
from medslice.reporting.formatting import MISSING, format_estimate, format_number

IMAGE_ONLY_VARIANT = "image"
BASELINE_COLUMN = "baseline"
PAPER_METRIC = "paper_precision_at_10"
DCBENCH_METRIC = "precision_at_10"
DISCOVERY_METHOD = "domino"
BASELINE_METHOD = "baseline"
BASELINE_METRIC = "attribute_fraction"
IDEAL_ERROR_SLICE_METHOD = "ideal_error_slice"
# Means are compared as the reader sees them, at the report's two decimals: 0.1998 against 0.20 is a tie,
# not a win, and so are means that differ only in their last bits (0.1 + 0.2 is not 0.3).
COMPARED_DECIMALS = 2
NOTHING_TO_SCORE = (
    "No scores: nothing in this run has a planted truth to score against (a user's own predictions are "
    "audited, not scored). The discovered slices and their explanations are in the audit report."
)


def as_shown(value: float) -> float:
    """``value`` rounded as the report prints it, the precision at which variants are compared."""
    return float(f"{value:.{COMPARED_DECIMALS}f}")


HEADLINE_COLUMNS: tuple[str, ...] = (
    "scenario",
    "variant",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "is_baseline",
    "is_best",
)


def variant_modalities(variant: str) -> tuple[str, ...]:
    """The modalities a variant fuses: ``image_report`` -> ``("image", "report")``."""
    return tuple(part for part in re.split(r"[_+]", variant) if part)


def is_multimodal(variant: str) -> bool:
    """True when a variant fuses two or more modalities."""
    return len(variant_modalities(variant)) > 1


def validate_summary(summary: pd.DataFrame, name: str = "summary") -> None:
    """Raise a clear error unless ``summary`` looks like the output of ``summarize_metrics``."""
    if not isinstance(summary, pd.DataFrame):
        raise BadTypeError(f"{name} must be a pandas DataFrame, got {type(summary).__name__}.")
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns and c not in DESIGN_COLUMNS]
    if missing:
        raise BadValueError(
            f"{name} lacks column(s) {missing}; build it with medslice.evaluation.summarize_metrics()."
        )


def _first_appearance(values: pd.Series) -> list[str]:
    """Distinct values in the order they first appear (the caller's order, not alphabetical)."""
    return list(dict.fromkeys(str(value) for value in values))


def headline_columns(
    summary: pd.DataFrame,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    baseline_metric: str | None = BASELINE_METRIC,
    *,
    variants: Sequence[str] | None = None,
) -> list[str]:
    """The headline's value columns: the variants, then ``baseline`` when ``baseline_metric`` is set.

    ``variants`` are the run's declared variants (``slice_discovery.variants``, in declaration order);
    without them, the variants the summary holds for ``method``/``metric``, in order of first appearance.
    """
    validate_summary(summary)
    if variants is None:
        rows = summary[(summary["method"] == method) & (summary["metric"] == metric)]
        columns = _first_appearance(rows["variant"])
    else:
        columns = [str(variant) for variant in variants]
    if BASELINE_COLUMN in columns:
        raise BadValueError(f"variants must not contain the reserved name {BASELINE_COLUMN!r}.")
    return [*columns, BASELINE_COLUMN] if baseline_metric is not None else columns


def headline_long(
    summary: pd.DataFrame,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    baseline_metric: str | None = BASELINE_METRIC,
    *,
    baseline_method: str = BASELINE_METHOD,
    variants: Sequence[str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the headline as a tidy frame: one row per scenario and column of the headline table.

    Columns: ``scenario, variant, mean, ci_low, ci_high, n, is_baseline, is_best``. The variant
    columns are those of :func:`headline_columns`, then a ``baseline`` row when ``baseline_metric`` is
    given. Rows are the summary's scenarios (any method or metric) in order of first appearance,
    unless ``scenarios`` names them. Absent cells have NaN values and ``n == 0``. ``is_best`` marks
    the highest mean among a scenario's variants (every one of them on a tie as printed, at two
    decimals; never the baseline).

    The baseline does not depend on the variant; if the summary records it under several variants,
    the first row wins.
    """
    validate_summary(summary)
    rows = summary[(summary["method"] == method) & (summary["metric"] == metric)]
    duplicated = rows.duplicated(["scenario", "variant"], keep=False)
    if duplicated.any():
        pairs = sorted(set(zip(rows["scenario"][duplicated], rows["variant"][duplicated], strict=True)))
        raise BadValueError(
            f"summary has several rows for method={method!r}, metric={metric!r} at "
            f"(scenario, variant) {pairs}; summarise each group once."
        )
    columns = headline_columns(summary, metric, method, baseline_metric=None, variants=variants)
    baseline_rows = (
        summary[(summary["method"] == baseline_method) & (summary["metric"] == baseline_metric)]
        if baseline_metric is not None
        else summary.iloc[0:0]
    )
    scenario_order = (
        [str(scenario) for scenario in scenarios]
        if scenarios is not None
        else _first_appearance(summary["scenario"])
    )

    by_cell = {(str(r.scenario), str(r.variant)): r for r in rows.itertuples(index=False)}
    baseline_by_scenario: dict[str, object] = {}
    for record in baseline_rows.itertuples(index=False):
        baseline_by_scenario.setdefault(str(record.scenario), record)

    records = []
    for scenario in scenario_order:
        cells = [(variant, by_cell.get((scenario, variant)), False) for variant in columns]
        if baseline_metric is not None:
            cells.append((BASELINE_COLUMN, baseline_by_scenario.get(scenario), True))
        for variant, record, is_baseline in cells:
            records.append(
                {
                    "scenario": scenario,
                    "variant": variant,
                    "mean": float(record.mean) if record is not None else math.nan,
                    "ci_low": float(record.ci_low) if record is not None else math.nan,
                    "ci_high": float(record.ci_high) if record is not None else math.nan,
                    "n": int(record.n) if record is not None else 0,
                    "is_baseline": is_baseline,
                }
            )
    long = pd.DataFrame(records, columns=list(HEADLINE_COLUMNS[:-1]))
    long["n"] = long["n"].astype(np.int64)
    long["is_baseline"] = long["is_baseline"].astype(bool)
    candidates = long["mean"].where(~long["is_baseline"]).map(as_shown, na_action="ignore")
    best_mean = candidates.groupby(long["scenario"], sort=False).transform("max")
    long["is_best"] = (candidates >= best_mean) & candidates.notna()
    return long


def best_variants(
    summary: pd.DataFrame,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    *,
    variants: Sequence[str] | None = None,
) -> dict[str, str | None]:
    """Map each scenario to its best variant by mean ``metric`` (first in column order on a tie).

    A scenario whose variants all lack a value maps to ``None``. The Kedro node uses this to build
    slice cards only for the variants the report shows.
    """
    long = headline_long(summary, metric, method, baseline_metric=None, variants=variants)
    best: dict[str, str | None] = {}
    for scenario, group in long.groupby("scenario", sort=False):
        winners = group.loc[group["is_best"], "variant"]
        best[str(scenario)] = str(winners.iloc[0]) if len(winners) else None
    return best


@dataclass(frozen=True)
class Headline:
    """The headline of one report, computed once: paper precision@10 per scenario and declared variant.

    Attributes
    ----------
    long : pd.DataFrame
        :func:`headline_long` of the paper metric, with the baseline rows.
    columns : tuple[str, ...]
        The value columns: the variants in declaration order, then ``baseline``.
    best : Mapping[str, str | None]
        Each scenario's best variant (first in column order on a tie; None without a value).
    ideal_scores : Mapping[str, float]
        Each scenario's ideal error slice (:func:`ideal_error_slice_scores`).
    """

    long: pd.DataFrame
    columns: tuple[str, ...]
    best: Mapping[str, str | None]
    ideal_scores: Mapping[str, float]


def compute_headline(summary: pd.DataFrame, variants: Sequence[str] | None = None) -> Headline:
    """The paper precision@10 headline of ``summary``, its columns in the order of ``variants``."""
    long = headline_long(summary, variants=variants)
    best: dict[str, str | None] = {}
    for scenario, group in long[~long["is_baseline"]].groupby("scenario", sort=False):
        winners = group.loc[group["is_best"], "variant"]
        best[str(scenario)] = str(winners.iloc[0]) if len(winners) else None
    columns = headline_columns(summary, variants=variants)
    return Headline(long, tuple(columns), best, ideal_error_slice_scores(summary))


def headline_table(
    summary: pd.DataFrame,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    baseline_metric: str | None = BASELINE_METRIC,
    *,
    variants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the headline as a display table: one row per scenario, one column per variant.

    Cells are strings ``"0.82 [0.70, 0.95]"`` (mean and 95% CI, ``"—"`` when absent), followed by a
    ``baseline`` column (when ``baseline_metric`` is given) and a ``best_variant`` column (``""``
    when no variant has a value). The index is named ``scenario``.
    """
    long = headline_long(summary, metric, method, baseline_metric, variants=variants)
    long["cell"] = [
        format_estimate(mean, low, high, n=int(n))
        for mean, low, high, n in zip(long["mean"], long["ci_low"], long["ci_high"], long["n"], strict=True)
    ]
    column_order = headline_columns(summary, metric, method, baseline_metric, variants=variants)
    table = long.pivot(index="scenario", columns="variant", values="cell")
    table = table.reindex(index=list(dict.fromkeys(long["scenario"])), columns=column_order)
    table.columns.name = None
    best = long[long["is_best"]].drop_duplicates("scenario").set_index("scenario")["variant"]
    table["best_variant"] = [str(best.get(scenario, "")) for scenario in table.index]
    return table


@dataclass(frozen=True)
class MultimodalComparison:
    """How the multimodal variants of one scenario fare against the image-only variant."""

    scenario: str
    image_only: float
    beats: tuple[tuple[str, float], ...]
    does_not_beat: tuple[tuple[str, float], ...]
    baseline: float
    ideal_error_slice: float = math.nan

    def sentence(self, label: Callable[[str], str] = str) -> str:
        """One plain-text sentence stating where multimodal variants beat image-only.

        ``label`` renders variant names (e.g. :func:`~medslice.reporting.formatting.humanize`).
        """
        if math.isnan(self.image_only):
            return "no image-only result, so multimodal variants cannot be compared with it."
        if not self.beats and not self.does_not_beat:
            return f"image-only {format_number(self.image_only)}; no multimodal variant has a result."
        parts = [f"image-only {format_number(self.image_only)}"]
        listed = ", ".join(f"{label(name)} {format_number(value)}" for name, value in self.beats)
        parts.append(f"beaten by {listed}" if self.beats else "no multimodal variant beats it")
        if self.does_not_beat:
            listed = ", ".join(f"{label(name)} {format_number(value)}" for name, value in self.does_not_beat)
            parts.append(f"not beaten by {listed}")
        if not math.isnan(self.baseline):
            parts.append(f"baseline {format_number(self.baseline)}")
        if not math.isnan(self.ideal_error_slice):
            parts.append(f"ideal error slice {format_number(self.ideal_error_slice)}")
        return "; ".join(parts) + "."


def ideal_error_slice_scores(summary: pd.DataFrame, metric: str = PAPER_METRIC) -> dict[str, float]:
    """Each scenario's mean ``metric`` of the ideal error slice (method ``ideal_error_slice``)."""
    validate_summary(summary)
    rows = summary[(summary["method"] == IDEAL_ERROR_SLICE_METHOD) & (summary["metric"] == metric)]
    ideal_scores: dict[str, float] = {}
    for record in rows.itertuples(index=False):
        ideal_scores.setdefault(str(record.scenario), float(record.mean))
    return ideal_scores


def multimodal_comparisons(
    long: pd.DataFrame, ideal_scores: Mapping[str, float] | None = None
) -> list[MultimodalComparison]:
    """Compare each scenario's multimodal variants with image-only, from :func:`headline_long`.

    A variant "beats" image-only when its mean is higher as printed (:func:`as_shown`); variants
    without a value are left out. Both lists are ordered from the highest mean down. ``ideal_scores``
    (from :func:`ideal_error_slice_scores`) adds each scenario's ideal error slice to its sentence.
    """
    ideal_scores = ideal_scores or {}
    comparisons = []
    for scenario, group in long.groupby("scenario", sort=False):
        means = dict(zip(group["variant"], group["mean"], strict=True))
        image_only = float(means.get(IMAGE_ONLY_VARIANT, math.nan))
        baseline = float(means.get(BASELINE_COLUMN, math.nan))
        multimodal = sorted(
            (
                (str(variant), float(mean))
                for variant, mean, is_baseline in zip(
                    group["variant"], group["mean"], group["is_baseline"], strict=True
                )
                if not is_baseline and is_multimodal(str(variant)) and not math.isnan(mean)
            ),
            key=lambda item: -item[1],
        )
        image_shown = as_shown(image_only)
        beats = tuple(item for item in multimodal if as_shown(item[1]) > image_shown)
        rest = tuple(item for item in multimodal if not as_shown(item[1]) > image_shown)
        comparisons.append(
            MultimodalComparison(
                str(scenario),
                image_only,
                beats if not math.isnan(image_only) else (),
                rest if not math.isnan(image_only) else (),
                baseline,
                ideal_scores.get(str(scenario), math.nan),
            )
        )
    return comparisons


def _markdown_escape(text: str) -> str:
    """Escape the characters that would break a markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|")


def headline_markdown(headline: Headline, *, unscored: Mapping[str, str] | None = None) -> str:
    """Return the headline as a markdown table (best cell in bold) and one line per scenario.

    The lines state, per scenario, which multimodal variants beat image-only and which do not. Meant
    for the console and ``summary.md``. ``unscored`` maps scenarios that ran but have no scores to why
    (e.g. no bootstrap showed the planted failure); each gets a line, so that none drops out unsaid.
    """
    long, columns = headline.long, headline.columns
    lines = [
        f"{_markdown_escape(PAPER_METRIC)} ({_markdown_escape(DISCOVERY_METHOD)}): mean [95% CI] over "
        "bootstraps; the best variant per scenario is in bold.",
        "",
        "| scenario | " + " | ".join(_markdown_escape(column) for column in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for scenario, group in long.groupby("scenario", sort=False):
        cells = []
        for mean, low, high, n, best in zip(
            group["mean"], group["ci_low"], group["ci_high"], group["n"], group["is_best"], strict=True
        ):
            text = format_estimate(mean, low, high, n=int(n))
            cells.append(f"**{text}**" if best and text != MISSING else text)
        lines.append(f"| {_markdown_escape(str(scenario))} | " + " | ".join(cells) + " |")
    lines.append("")
    if long.empty:
        lines.append(NOTHING_TO_SCORE)
    for comparison in multimodal_comparisons(long, headline.ideal_scores):
        lines.append(f"- **{_markdown_escape(comparison.scenario)}**: {comparison.sentence()}")
    scored = set(long["scenario"].astype(str))
    for scenario, reason in (unscored or {}).items():
        if scenario not in scored:
            lines.append(f"- **{_markdown_escape(scenario)}**: not scored: {reason}.")
    return "\n".join(lines) + "\n"
