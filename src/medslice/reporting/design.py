"""The design behind each scenario's numbers: classifiers, audit draws, and the bootstraps of each cell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from medslice.evaluation.tables import INTERVAL_DRAWS
from medslice.reporting.headline import DISCOVERY_METHOD, PAPER_METRIC
from medslice.reporting.planted import planted_failures

DESIGN_NOTE = (
    "Design: each scenario trains several classifiers and audits each on independent audit sets; a "
    "bootstrap is one audit set of one classifier. The 95% intervals resample the classifiers, then each "
    "one's audit draws, so the draws of one classifier never count as independent classifiers."
)
ONE_CLASSIFIER_NOTE = (
    "With one accepted classifier the interval covers its audit draws only: it says how much the audit set "
    "moves the score, not how another trained classifier would fail."
)


def _cells(summary: pd.DataFrame, scenario: str) -> str:
    """``"30"`` or ``"28-30"``: the bootstraps each variant's paper precision@10 rests on."""
    rows = summary[
        (summary["scenario"] == scenario)
        & (summary["method"] == DISCOVERY_METHOD)
        & (summary["metric"] == PAPER_METRIC)
    ]
    if rows.empty:
        return "0"
    low, high = int(rows["n"].min()), int(rows["n"].max())
    return str(low) if low == high else f"{low}-{high}"


def design_markdown(summary: pd.DataFrame, qa_by_scenario: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown: per scenario, its design, the accepted classifiers and bootstraps, bootstraps per cell."""
    lines = [
        DESIGN_NOTE,
        "",
        "| scenario | design | accepted classifiers | accepted bootstraps | bootstraps per cell "
        "| interval over |",
        "|---|---|---|---|---|---|",
    ]
    one_classifier = False
    for failure in planted_failures(qa_by_scenario):
        interval = "classifiers, then audit draws"
        if failure.n_accepted_classifiers == 1:
            interval, one_classifier = INTERVAL_DRAWS, True
        lines.append(
            f"| {failure.scenario} | {failure.design} | {failure.n_accepted_classifiers} / "
            f"{failure.n_classifiers} | {failure.n_accepted} / {failure.n_bootstraps} | "
            f"{_cells(summary, failure.scenario)} | {interval} |"
        )
    if one_classifier:
        lines += ["", ONE_CLASSIFIER_NOTE]
    return "\n".join(lines) + "\n"
