"""The paired comparisons lead the summary and the report: sentences, tables and the forest plot."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

from medslice.evaluation import summarize_metrics, tidy_metrics
from medslice.evaluation.paired import VS_IMAGE, cross_fitted_best, paired_comparisons
from medslice.reporting import headline_markdown, render_audit_report
from medslice.reporting.figures import paired_forest_plot, png_bytes
from medslice.reporting.formatting import format_interval, format_number, format_signed
from medslice.reporting.headline import compute_headline
from medslice.reporting.paired import (
    CROSS_FITTED_NOTE,
    comparison_sentence,
    format_holm,
    lead_sentences,
    paired_markdown,
)
from tests.evaluation.paired_inputs import planted_metrics
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

from .html_inspection import parse


@pytest.fixture(scope="module")
def metrics() -> pd.DataFrame:
    return planted_metrics({"spurious_correlation": {"image_metadata": 0.3}, "rare_slice": {}}, seed=1)


@pytest.fixture(scope="module")
def paired(metrics: pd.DataFrame) -> pd.DataFrame:
    return paired_comparisons(metrics, seed=42, n_resamples=500)


@pytest.fixture(scope="module")
def best(metrics: pd.DataFrame) -> pd.DataFrame:
    return cross_fitted_best(metrics, seed=42)


def _planted_row(paired: pd.DataFrame) -> pd.Series:
    rows = paired[
        (paired["scenario"] == "spurious_correlation")
        & (paired["comparison"] == VS_IMAGE)
        & (paired["variant"] == "image_metadata")
    ]
    return rows.iloc[0]


def _expected_sentence(row: pd.Series) -> str:
    interval = format_interval(row["ci_low"], row["ci_high"])
    return (
        f"image+metadata beats image-only by {format_signed(row['mean_difference'])} {interval}, "
        f"Holm p {format_holm(row['holm_p'])}"
    )


def test_the_lead_names_the_planted_winner_with_its_numbers(paired: pd.DataFrame) -> None:
    sentences = dict(lead_sentences(paired))
    assert list(sentences) == ["rare_slice", "spurious_correlation"]
    row = _planted_row(paired)
    assert row["holm_p"] < 0.001  # so the p reads "< 0.001"
    assert sentences["spurious_correlation"].startswith(_expected_sentence(row) + ";")
    assert "against the baseline" in sentences["spurious_correlation"]
    # Without a planted effect no variant is called a winner, and the strongest is still reported.
    assert sentences["rare_slice"].startswith(
        "no multimodal variant differs from image-only at Holm p < 0.05"
    )


def test_a_small_p_with_an_interval_covering_zero_is_not_called_a_win() -> None:
    row = {
        "scenario": "s",
        "comparison": VS_IMAGE,
        "variant": "image_report",
        "reference": "image",
        "n_bootstraps": 30,
        "n_classifiers": 3,
        "mean_difference": 0.04,
        "ci_low": -0.01,
        "ci_high": 0.09,
        "wilcoxon_p": 0.004,
        "holm_p": 0.012,
    }
    sentence = comparison_sentence(pd.DataFrame([row]))
    assert "beats" not in sentence
    assert sentence.startswith("image+report differs from image-only by +0.04 [-0.01, 0.09], Holm p = 0.01")
    assert "covers 0" in sentence
    worse = comparison_sentence(
        pd.DataFrame([{**row, "mean_difference": -0.2, "ci_low": -0.3, "ci_high": -0.1}])
    )
    assert worse.startswith("image+report scores below image-only: -0.20 [-0.30, -0.10], Holm p = 0.01.")


def test_summary_markdown_leads_with_sentences_then_tables_then_the_figure(
    paired: pd.DataFrame, best: pd.DataFrame
) -> None:
    markdown = paired_markdown(paired, best, figure_path="paired_differences.png")
    lines = markdown.splitlines()
    bullet = next(i for i, line in enumerate(lines) if line.startswith("- **spurious_correlation**"))
    table = lines.index("| scenario | variant | vs image-only | Holm p | vs baseline | Holm p |")
    caveat = lines.index(CROSS_FITTED_NOTE)
    figure = lines.index(
        "![Paired differences in paper precision@10 against image-only](paired_differences.png)"
    )
    assert bullet < table < caveat < figure
    assert "selection-biased" in CROSS_FITTED_NOTE
    # one table row per scenario and variant, with the planted comparison's numbers
    assert sum(line.startswith("| spurious_correlation | ") for line in lines[table:caveat]) == 7
    row = _planted_row(paired)
    assert any(
        line.startswith("| spurious_correlation | image+metadata | ")
        and f"{format_signed(row['mean_difference'])} {format_interval(row['ci_low'], row['ci_high'])}"
        in line
        for line in lines
    )
    for record in best.itertuples(index=False):
        assert (
            f"| {record.scenario} | {record.best_variant_in_sample.replace('_', '+')} | "
            f"{format_number(record.in_sample_p10)} | {format_number(record.cross_fitted_p10)} | "
            f"{record.n_bootstraps} |"
        ) in lines


def test_nothing_to_compare_adds_nothing() -> None:
    empty = tidy_metrics([])
    assert paired_markdown(paired_comparisons(empty), cross_fitted_best(empty)) == ""


def test_one_classifier_says_the_cross_fitted_score_needs_two() -> None:
    metrics = planted_metrics({"s": {"report": 0.2}}, n_classifiers=1, seed=0)
    markdown = paired_markdown(paired_comparisons(metrics, n_resamples=100), cross_fitted_best(metrics))
    assert "| s | report | " in markdown and "needs two classifiers" in markdown
    assert "one accepted classifier, so the intervals cover its audit draws only." in markdown
    assert "one accepted classifier" not in paired_markdown(
        paired_comparisons(planted_metrics({"s": {}}, n_classifiers=2, seed=0), n_resamples=100),
        cross_fitted_best(metrics),
    )


def test_forest_plot_draws_each_difference_with_a_zero_line(paired: pd.DataFrame) -> None:
    figure = paired_forest_plot(paired)
    panels = [axes for axes in figure.axes if axes.get_yticklabels()]
    assert [axes.get_title(loc="left") for axes in panels] == ["rare slice", "spurious correlation"]
    for axes, scenario in zip(panels, ("rare_slice", "spurious_correlation"), strict=True):
        rows = paired[(paired["scenario"] == scenario) & (paired["comparison"] == VS_IMAGE)]
        points = next(c for c in axes.collections if isinstance(c, PathCollection)).get_offsets()
        np.testing.assert_allclose(points[:, 0], rows["mean_difference"].to_numpy())
        labels = [label.get_text() for label in axes.get_yticklabels()]
        assert labels == [v.replace("_", "+") for v in rows["variant"]]
        zero_lines = [line for line in axes.get_lines() if list(line.get_xdata()) == [0, 0]]
        assert zero_lines
    assert png_bytes(figure) == png_bytes(paired_forest_plot(paired))
    empty = paired_forest_plot(paired.iloc[0:0])
    assert "No paired comparisons to show" in [text.get_text() for text in empty.axes[0].texts]


def test_report_leads_with_the_comparison_and_embeds_the_forest_plot(
    metrics: pd.DataFrame, paired: pd.DataFrame, best: pd.DataFrame
) -> None:
    summary = summarize_metrics(metrics, n_resamples=100)
    html = render_audit_report(summary, [], {"timestamp": "t0"}, paired=paired, cross_fitted=best)
    text = " ".join(" ".join(parse(html).text).split())
    assert _expected_sentence(_planted_row(paired)) in text
    assert "selection-biased" in text
    assert html.index('id="paired"') < html.index('id="headline"')
    assert '<a href="#paired">' in html
    figures = [attrs for tag, attrs in parse(html).elements if tag == "figure"]
    assert figures[0]["id"] == "figure-paired"
    sources = [attrs["src"] for tag, attrs in parse(html).elements if tag == "img"]
    forest = base64.b64decode(str(sources[0]).split(",", 1)[1])
    assert forest == png_bytes(paired_forest_plot(paired))
    assert Image.open(io.BytesIO(forest)).format == "PNG"
    # Without the tables the report is what it was: no lead, no extra figure.
    plain = render_audit_report(summary, [], {"timestamp": "t0"})
    assert 'id="paired"' not in plain and "figure-paired" not in plain
    empty = tidy_metrics([])
    assert (
        render_audit_report(
            summary,
            [],
            {"timestamp": "t0"},
            paired=paired_comparisons(empty),
            cross_fitted=cross_fitted_best(empty),
        )
        == plain
    )
    assert headline_markdown(compute_headline(summary, MODALITY_VARIANTS)) in paired_markdown(
        paired, best
    ) + "\n" + headline_markdown(compute_headline(summary, MODALITY_VARIANTS))
