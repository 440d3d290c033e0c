"""The slicer comparison of summary.md and the report: every slicer's best variant on the same bootstraps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from medslice.reporting.formatting import format_estimate, format_number, humanize
from medslice.slicing.comparison import RULE_SLICERS

SLICER_NAMES = {
    "domino": "Domino",
    "error_cluster": "error clustering",
    "spotlight": "Spotlight",
    "sliceline": "SliceLine rules",
}


def commonest_rules(rules: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Per (scenario, method) of ``rules`` (a ``scenario`` column added to ``slice_rules``), the first rule
    found most often over the bootstraps, as ``"view = lateral (27 of 30 bootstraps)"``."""
    found: dict[tuple[str, str], str] = {}
    if rules.empty:
        return found
    first = rules[rules["slice"] == 0]
    for (scenario, method), group in first.groupby(["scenario", "method"], sort=True):
        counts = group.drop_duplicates("bootstrap")["rule"].value_counts(sort=True)
        top = counts.sort_values(ascending=False, kind="stable")
        text, count = str(top.index[0]), int(top.iloc[0])
        found[(str(scenario), str(method))] = f"{text} ({count} of {group['bootstrap'].nunique()} bootstraps)"
    return found


SLICER_NOTE = (
    "Each slicer's best variant by mean paper precision@10 (mean [95% CI]) and its efficiency (paper P@10 "
    "over the ideal error slice, per bootstrap). Every slicer is fitted on the same fused embeddings and "
    "bootstraps; each best variant is chosen and scored on the same bootstraps. The SliceLine rules read "
    "the metadata columns, not the embeddings, so they are alike in every variant."
)


@dataclass(frozen=True)
class SlicerRow:
    """One row of the report's slicer comparison, formatted."""

    scenario: str
    slicer: str
    variant: str
    estimate: str
    efficiency: str
    rule: str


def slicer_rows(best: pd.DataFrame, rules: Mapping[tuple[str, str], str] | None = None) -> list[SlicerRow]:
    """The comparison's rows (empty when fewer than two slicers were scored)."""
    if best.empty or best["method"].nunique() < 2:
        return []
    rules = dict(rules or {})
    return [
        SlicerRow(
            scenario=humanize(str(row.scenario)),
            slicer=SLICER_NAMES.get(str(row.method), str(row.method)),
            # A rule reads the metadata columns, not the variant's embeddings: every variant ties.
            variant="any" if str(row.method) in RULE_SLICERS else humanize(str(row.variant)),
            estimate=format_estimate(row.paper_precision_at_10, row.ci_low, row.ci_high, n=int(row.n)),
            efficiency=format_number(row.efficiency),
            rule=rules.get((str(row.scenario), str(row.method)), ""),
        )
        for row in best.itertuples(index=False)
    ]


def slicer_comparison_markdown(best: pd.DataFrame, rules: Mapping[tuple[str, str], str] | None = None) -> str:
    """A markdown section: per scenario, each slicer's best variant, its paper P@10 and its efficiency.

    ``best`` is :func:`medslice.evaluation.slicers.best_variant_per_slicer`; ``rules`` gives the rule
    slicers' commonest first rule (:func:`commonest_rules`). Empty when there is nothing to compare.
    """
    return slicer_rows_markdown(slicer_rows(best, rules))


def slicer_rows_markdown(rows: Sequence[SlicerRow]) -> str:
    """The markdown section of :func:`slicer_comparison_markdown`, from its rows."""
    if not rows:
        return ""
    lines = [
        "## Slicers compared on the same bootstraps",
        "",
        SLICER_NOTE,
        "",
        "| scenario | slicer | best variant | paper P@10 | efficiency | commonest first rule |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row.scenario, row.slicer, row.variant, row.estimate, row.efficiency, row.rule]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
