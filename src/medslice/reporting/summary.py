"""``summary.md``: the paired comparisons, the headline, the slicers compared and the design, as markdown."""

from __future__ import annotations

from medslice.reporting.artifacts import ReportArtifacts
from medslice.reporting.design import design_markdown
from medslice.reporting.headline import headline_markdown
from medslice.reporting.paired import paired_markdown
from medslice.reporting.planted import planted_failures
from medslice.reporting.slicers import slicer_rows_markdown

# The forest plot's file name (catalog `paired_chart`), linked from summary.md, which lies in the same folder.
PAIRED_CHART_FILE = "paired_differences.png"


def summary_markdown(artifacts: ReportArtifacts) -> str:
    """The summary: it leads with the paired comparisons (a sentence per scenario, a compact table, the
    cross-fitted best variant and a link to the forest plot), then the headline table, then the slicers
    compared on the same bootstraps (each one's best variant, P@10, efficiency and commonest rule). With
    the injection QA, it ends with the design: each scenario's classifiers and audit draws, the accepted
    ones, and the bootstraps each cell rests on.

    The injection QA also lets the summary name the scenarios that ran but have nothing to score, because
    no bootstrap showed the planted failure.
    """
    qa = artifacts.injection_qa
    unscored = {
        failure.scenario: f"{failure.verdict} (0 of {failure.n_bootstraps} bootstraps accepted)"
        for failure in planted_failures(qa)
        if failure.n_accepted == 0
    }
    lead = paired_markdown(
        artifacts.paired_comparisons, artifacts.cross_fitted_best, figure_path=PAIRED_CHART_FILE
    )
    markdown = (lead + "\n" if lead else "") + headline_markdown(artifacts.headline, unscored=unscored)
    slicers = slicer_rows_markdown(artifacts.slicers)
    if slicers:
        markdown += "\n" + slicers
    if qa:
        markdown += "\n" + design_markdown(artifacts.metrics_summary, qa)
    return markdown
