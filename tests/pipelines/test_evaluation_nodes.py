"""The evaluation nodes and write_summary: a scenario whose planted failure never took is named in the
summary, not dropped; the paired comparisons lead the summary and leave the rest of it as it was."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import yaml

from medslice.evaluation import tidy_metrics
from medslice.pipelines.evaluation.nodes import combine_metrics, compare_variants, summarize_slicers
from medslice.pipelines.reporting.nodes import write_summary
from medslice.reporting import headline_markdown
from medslice.reporting.design import design_markdown
from medslice.reporting.formatting import format_signed
from medslice.reporting.headline import compute_headline
from medslice.reporting.paired import paired_markdown
from medslice.reporting.summary import PAIRED_CHART_FILE
from tests.evaluation.paired_inputs import planted_metrics
from tests.reporting.report_inputs import as_summary, report_artifacts, summary_row
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

CATALOG = Path(__file__).resolve().parents[2] / "conf" / "base" / "catalog" / "08_reporting.yml"


def _headline(summary: pd.DataFrame) -> str:
    return headline_markdown(compute_headline(summary, MODALITY_VARIANTS))


def _qa(n_accepted: int) -> dict[str, float]:
    return {
        "n_bootstraps": 3,
        "n_accepted": n_accepted,
        "total_retries": 9,
        "mean_check_gap": 0.02,
        "min_gap": 0.1,
    }


def test_the_summary_names_a_scenario_without_accepted_bootstraps() -> None:
    summary = as_summary([summary_row("rare_slice", "image", 0.9)])
    paired, best = compare_variants(tidy_metrics([]), seed=0)
    slicer_tables = summarize_slicers(tidy_metrics([]), 0, scenarios=(), variants=())
    qa = {"rare_slice": _qa(3), "elderly_women_rare": _qa(0)}
    artifacts = report_artifacts(
        summary, paired=paired, cross_fitted=best, slicer_tables=slicer_tables, injection_qa=qa
    )
    markdown, figure, forest = write_summary(artifacts)
    plt.close(figure)
    plt.close(forest)
    assert (
        "- **elderly_women_rare**: not scored: the failure did not take in any bootstrap: the metrics have "
        "nothing to score (0 of 3 bootstraps accepted)." in markdown.splitlines()
    )
    assert "rare_slice**: not scored" not in markdown
    # nothing to compare: the summary starts with the headline and ends with the design, as before
    assert markdown.startswith(_headline(summary).split("\n- **")[0])
    assert markdown.endswith("\n" + design_markdown(summary, qa))
    assert "Paired comparisons" not in markdown


def test_the_summary_leads_with_the_paired_comparisons_and_keeps_the_headline_below() -> None:
    metrics, summary = combine_metrics(
        3, planted_metrics({"spurious_correlation": {"image_metadata": 0.3}, "rare_slice": {}}, seed=1)
    )
    paired, best = compare_variants(metrics, seed=3)
    assert len(paired) == 2 * (4 + 7) and len(best) == 2
    slicer_tables = summarize_slicers(metrics, 3, scenarios=(), variants=())
    artifacts = report_artifacts(summary, paired=paired, cross_fitted=best, slicer_tables=slicer_tables)
    markdown, figure, forest = write_summary(artifacts)
    plt.close(figure)
    lead = paired_markdown(paired, best, figure_path=PAIRED_CHART_FILE)
    assert markdown == lead + "\n" + _headline(summary)
    assert markdown.splitlines()[2].startswith("- **rare_slice**: ")
    planted = paired[(paired["scenario"] == "spurious_correlation") & (paired["variant"] == "image_metadata")]
    difference = format_signed(planted["mean_difference"].iloc[0])
    assert f"- **spurious_correlation**: image+metadata beats image-only by {difference} [" in markdown
    # the forest plot is drawn from the same table, one panel per scenario
    assert [axes.get_title(loc="left") for axes in forest.axes] == ["rare slice", "spurious correlation"]
    plt.close(forest)


def test_the_summary_links_the_forest_plot_where_the_catalog_writes_it() -> None:
    catalog = yaml.safe_load(CATALOG.read_text())
    for prefix in ("", "{audit}."):  # the planted audit's files, and every named audit's (`user`)
        summary_path = Path(catalog[f"{prefix}audit_summary"]["filepath"])
        chart_path = Path(catalog[f"{prefix}paired_chart"]["filepath"])
        assert chart_path == summary_path.parent / PAIRED_CHART_FILE


def test_the_compared_slicers_follow_the_headline_with_their_commonest_rule() -> None:
    metrics, summary = combine_metrics(3, planted_metrics({"rare_slice": {}}, seed=1))
    paired, best = compare_variants(metrics, seed=3)
    main = metrics[metrics["method"] == "domino"]
    # A rule slicer that scores the main slicer's values minus 0.1 on the same bootstraps.
    compared = main.assign(method="sliceline", value=(main["value"] - 0.1).clip(lower=0))
    rules = pd.DataFrame(
        {
            "method": "sliceline",
            "bootstrap": [0, 1, 2],
            "slice": 0,
            "rule": ["view = lateral", "view = lateral", "gender = F"],
            "size": 20,
            "error_rate": 0.6,
        }
    )
    tables = summarize_slicers(
        metrics,
        3,
        compared[compared["variant"] == "image"],
        compared[compared["variant"] == "image_metadata"],
        rules,
        scenarios=("rare_slice",),
        variants=("image", "image_metadata"),
    )
    assert set(tables[0]["method"]) == {"domino", "sliceline"} and set(tables[1]["scenario"]) == {
        "rare_slice"
    }
    artifacts = report_artifacts(summary, paired=paired, cross_fitted=best, slicer_tables=tables)
    markdown, figure, forest = write_summary(artifacts)
    plt.close(figure)
    plt.close(forest)
    headline_end = markdown.index(_headline(summary)) + len(_headline(summary))
    section = markdown[headline_end:]
    assert section.startswith("\n## Slicers compared on the same bootstraps")
    assert "| rare slice | SliceLine rules |" in section and "view = lateral (2 of 3 bootstraps)" in section
