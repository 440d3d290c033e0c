"""The paired comparisons that lead the summary and the report: one sentence per scenario, compact tables.

Everything here reads the tables of :func:`medslice.evaluation.paired.paired_comparisons` and
:func:`medslice.evaluation.paired.cross_fitted_best` and never recomputes a statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from medslice.errors import BadTypeError, BadValueError
from medslice.evaluation.paired import (
    CROSS_FITTED_COLUMNS,
    PAIRED_COLUMNS,
    VS_BASELINE,
    VS_IMAGE,
    variant_modalities,
    variant_sort_key,
)
from medslice.reporting.formatting import MISSING, format_interval, format_number, format_signed

# A comparison is called a difference when its Holm-adjusted p is below this.
ALPHA = 0.05
PAIRED_NOTE = (
    "Paired comparisons of paper precision@10: each variant minus image-only, and minus the baseline, on "
    "the bootstraps both were scored on. Mean difference [95% CI: classifiers, then their audit draws, "
    "resampled]; Wilcoxon signed-rank p, Holm-adjusted over the variants of one scenario and comparison. "
    "The p-values treat every bootstrap as independent and the intervals do not: where they disagree, "
    "go by the interval."
)
CROSS_FITTED_NOTE = (
    "The in-sample best variant is chosen and scored on the same bootstraps, so its score is "
    "selection-biased (optimistic). The cross-fitted score chooses the best variant on one half of the "
    "classifiers, scores it on the other half, both ways, and averages the two held-out scores."
)
ONE_CLASSIFIER = "needs two classifiers"
ONE_CLASSIFIER_NOTE = "one accepted classifier, so the intervals cover its audit draws only"


def variant_label(variant: str) -> str:
    """A variant as a reader names it: ``image_metadata`` -> ``image+metadata``."""
    return "+".join(variant_modalities(variant)) or variant


def reference_label(reference: str) -> str:
    """The reference side of a comparison: ``image`` -> ``image-only``."""
    return "image-only" if reference == "image" else f"the {reference}"


def format_holm(value: object) -> str:
    """A p-value as the lead prints it: ``0.04``, ``0.002``, ``< 0.001``; ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if number < 0.001:
        return "< 0.001"
    return f"{number:.3f}" if number < 0.01 else f"{number:.2f}"


def _p_clause(value: object) -> str:
    text = format_holm(value)
    return f"Holm p {text}" if text.startswith("<") else f"Holm p = {text}"


def format_difference(row: pd.Series | dict[str, object]) -> str:
    """``+0.32 [0.18, 0.45]``: a mean paired difference and its interval."""
    interval = format_interval(row["ci_low"], row["ci_high"], n=int(str(row["n_bootstraps"])))
    text = format_signed(row["mean_difference"])
    return text if interval == MISSING else f"{text} {interval}"


def _check(table: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise BadTypeError(f"{name} must be a pandas DataFrame, got {type(table).__name__}.")
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise BadValueError(f"{name} lacks column(s) {missing}; build it with medslice.evaluation.paired.")


def strongest(rows: pd.DataFrame) -> pd.Series | None:
    """Pick the strongest comparison of a family.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of :func:`medslice.evaluation.paired.paired_comparisons`, usually one scenario and comparison.

    Returns
    -------
    pandas.Series or None
        The row with the smallest Holm p, then the largest absolute difference, then the first variant
        in the report's order; None without rows.
    """
    if rows.empty:
        return None
    keyed = rows.assign(
        _p=rows["holm_p"].fillna(np.inf),
        _size=-rows["mean_difference"].abs().fillna(-np.inf),
        _order=[variant_sort_key(str(v)) for v in rows["variant"]],
    )
    ordered = keyed.sort_values(["_p", "_size", "_order"], kind="stable")
    return rows.loc[ordered.index[0]]


def _is_established(row: pd.Series) -> bool:
    """Holm p below alpha and an interval on one side of zero, the side of the mean."""
    if not row["holm_p"] < ALPHA:
        return False
    return bool(row["ci_low"] > 0) if row["mean_difference"] > 0 else bool(row["ci_high"] < 0)


def comparison_sentence(rows: pd.DataFrame) -> str:
    """State how a scenario's multimodal variants compare with image-only, from the strongest row.

    Parameters
    ----------
    rows : pandas.DataFrame
        The scenario's ``"vs image"`` rows of :func:`medslice.evaluation.paired.paired_comparisons`.

    Returns
    -------
    str
        ``image+metadata beats image-only by +0.32 [0.18, 0.45], Holm p = 0.002.`` (or ``scores below
        image-only``) when the Holm p is below :data:`ALPHA` and the interval lies on the mean's side of
        zero; otherwise a sentence that no variant is shown to differ, or that the p-value and the
        interval disagree, with the strongest row's numbers.
    """
    row = strongest(rows)
    if row is None:
        return "no multimodal variant could be paired with image-only."
    name, reference = variant_label(str(row["variant"])), reference_label(str(row["reference"]))
    numbers = f"{format_difference(row)}, {_p_clause(row['holm_p'])}"
    if _is_established(row) and row["mean_difference"] > 0:
        return f"{name} beats {reference} by {numbers}."
    if _is_established(row):
        return f"{name} scores below {reference}: {numbers}."
    if row["holm_p"] < ALPHA:
        return (
            f"{name} differs from {reference} by {numbers}, but its interval, which resamples the "
            "classifiers, covers 0."
        )
    return (
        f"no multimodal variant differs from {reference} at Holm p < {ALPHA:g}; the strongest is {name}, "
        f"{numbers}."
    )


def baseline_clause(rows: pd.DataFrame) -> str:
    """Count the variants established above (and below) the baseline.

    Parameters
    ----------
    rows : pandas.DataFrame
        The scenario's ``"vs baseline"`` rows.

    Returns
    -------
    str
        ``against the baseline, 6 of 7 variants score higher (...)``, counting rows with a Holm p below
        :data:`ALPHA` and an interval clear of 0; ``""`` without rows.
    """
    if rows.empty:
        return ""
    established = [row for _, row in rows.iterrows() if _is_established(row)]
    above = sum(1 for row in established if row["mean_difference"] > 0)
    below = len(established) - above
    text = f"against the baseline, {above} of {len(rows)} variants score higher"
    if below:
        text += f" and {below} lower"
    return text + f" (Holm p < {ALPHA:g}, interval clear of 0)"


def lead_sentences(paired: pd.DataFrame) -> list[tuple[str, str]]:
    """One sentence per scenario: its strongest comparison with image-only, then the baseline count.

    Parameters
    ----------
    paired : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.paired_comparisons`.

    Returns
    -------
    list of (str, str)
        ``(scenario, sentence)`` in the table's scenario order (:func:`comparison_sentence` joined with
        :func:`baseline_clause`, and a note when the scenario rests on one classifier, whose intervals cover
        its audit draws only).
    """
    _check(paired, PAIRED_COLUMNS, "paired_comparisons")
    sentences = []
    for scenario in dict.fromkeys(paired["scenario"].astype(str)):
        mine = paired[paired["scenario"] == scenario]
        vs_image = mine[mine["comparison"] == VS_IMAGE]
        clause = baseline_clause(mine[mine["comparison"] == VS_BASELINE])
        if vs_image.empty:
            sentences.append((scenario, clause[:1].upper() + clause[1:] + "."))
            continue
        sentence = comparison_sentence(vs_image)
        if clause:
            sentence = f"{sentence[:-1]}; {clause}."
        if (mine["n_classifiers"] <= 1).all():
            sentence = f"{sentence[:-1]}; {ONE_CLASSIFIER_NOTE}."
        sentences.append((scenario, sentence))
    return sentences


@dataclass(frozen=True)
class PairedRow:
    """One scenario x variant row of the compact table, formatted."""

    scenario: str
    variant: str
    vs_image: str
    vs_image_p: str
    vs_baseline: str
    vs_baseline_p: str


@dataclass(frozen=True)
class CrossFittedRow:
    """One scenario's in-sample and cross-fitted best variant, formatted."""

    scenario: str
    best_variant: str
    in_sample: str
    cross_fitted: str
    n_bootstraps: str


def paired_rows(paired: pd.DataFrame) -> list[PairedRow]:
    """Format the compact table: per scenario and variant, its differences from image-only and the baseline.

    Parameters
    ----------
    paired : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.paired_comparisons`.

    Returns
    -------
    list of PairedRow
        Scenarios in the table's order, variants in the report's; ``—`` where a comparison has no row
        (image-only against itself).
    """
    _check(paired, PAIRED_COLUMNS, "paired_comparisons")
    rows = []
    for scenario in dict.fromkeys(paired["scenario"].astype(str)):
        mine = paired[paired["scenario"] == scenario]
        for variant in sorted(dict.fromkeys(mine["variant"].astype(str)), key=variant_sort_key):
            cells = {}
            for comparison in (VS_IMAGE, VS_BASELINE):
                found = mine[(mine["variant"] == variant) & (mine["comparison"] == comparison)]
                row = found.iloc[0] if len(found) else None
                cells[comparison] = (
                    (format_difference(row), format_holm(row["holm_p"]))
                    if row is not None
                    else (MISSING,) * 2
                )
            rows.append(PairedRow(scenario, variant_label(variant), *cells[VS_IMAGE], *cells[VS_BASELINE]))
    return rows


def cross_fitted_rows(cross_fitted: pd.DataFrame) -> list[CrossFittedRow]:
    """Format the in-sample and cross-fitted best variant per scenario.

    Parameters
    ----------
    cross_fitted : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.cross_fitted_best`.

    Returns
    -------
    list of CrossFittedRow
        One per row; the cross-fitted score reads ``needs two classifiers`` where it is NaN.
    """
    _check(cross_fitted, CROSS_FITTED_COLUMNS, "cross_fitted_best")
    return [
        CrossFittedRow(
            str(record.scenario),
            variant_label(str(record.best_variant_in_sample)),
            format_number(record.in_sample_p10),
            ONE_CLASSIFIER
            if math.isnan(float(record.cross_fitted_p10))
            else format_number(record.cross_fitted_p10),
            str(int(record.n_bootstraps)),
        )
        for record in cross_fitted.itertuples(index=False)
    ]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def paired_markdown(
    paired: pd.DataFrame, cross_fitted: pd.DataFrame, *, figure_path: str | None = None
) -> str:
    """The lead of ``summary.md``: a sentence per scenario, the compact table, the cross-fitted best.

    Parameters
    ----------
    paired : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.paired_comparisons`.
    cross_fitted : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.cross_fitted_best`.
    figure_path : str, optional
        Where the forest plot lies relative to the markdown file; it is linked after the tables.

    Returns
    -------
    str
        Markdown ending in a newline, or ``""`` when both tables are empty (nothing was scored), so
        that a summary without scores reads as before.
    """
    _check(paired, PAIRED_COLUMNS, "paired_comparisons")
    _check(cross_fitted, CROSS_FITTED_COLUMNS, "cross_fitted_best")
    if paired.empty and cross_fitted.empty:
        return ""
    lines = [PAIRED_NOTE, ""]
    for scenario, sentence in lead_sentences(paired):
        lines.append(f"- **{_escape(scenario)}**: {sentence}")
    if not paired.empty:
        lines += [
            "",
            "| scenario | variant | vs image-only | Holm p | vs baseline | Holm p |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_escape(r.scenario)} | {_escape(r.variant)} | {r.vs_image} | {r.vs_image_p} | "
            f"{r.vs_baseline} | {r.vs_baseline_p} |"
            for r in paired_rows(paired)
        ]
    if not cross_fitted.empty:
        lines += [
            "",
            CROSS_FITTED_NOTE,
            "",
            "| scenario | best variant (in sample) | in-sample P@10 (selection-biased) | cross-fitted P@10 "
            "| bootstraps |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {_escape(r.scenario)} | {_escape(r.best_variant)} | {r.in_sample} | {r.cross_fitted} | "
            f"{r.n_bootstraps} |"
            for r in cross_fitted_rows(cross_fitted)
        ]
    if figure_path is not None and not paired.empty:
        lines += ["", f"![Paired differences in paper precision@10 against image-only]({figure_path})"]
    return "\n".join(lines) + "\n"
