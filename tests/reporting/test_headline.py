"""The headline tables: best cells, missing cells, baseline, markdown and multimodal comparisons."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from medslice.reporting import (
    best_variants,
    headline_long,
    headline_markdown,
    headline_table,
    multimodal_comparisons,
)
from medslice.reporting.headline import compute_headline
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

from .report_inputs import as_summary, summary_row

A_MEANS = (0.50, 0.40, 0.30, 0.82, 0.45, 0.60, 0.81)


def _hand_made() -> pd.DataFrame:
    """A: image_report wins; B: a tie, and a baseline above every variant; C: only a baseline."""
    rows = [summary_row("A", v, m) for v, m in zip(MODALITY_VARIANTS, A_MEANS, strict=True)]
    rows += [
        summary_row("B", "image", 0.70),
        summary_row("B", "report_metadata", 0.70),
        summary_row("B", "image_report", 0.20),
        summary_row("A", "none", 0.35, method="baseline", metric="attribute_fraction"),
        summary_row("B", "none", 0.95, method="baseline", metric="attribute_fraction"),
        summary_row("C", "none", 0.10, method="baseline", metric="attribute_fraction"),
        # Rows of another metric must not leak into the paper headline.
        summary_row("A", "image", 0.99, metric="precision_at_10"),
    ]
    return as_summary(rows)


def test_best_cell_is_the_highest_variant_mean_and_ties_mark_every_winner() -> None:
    long = headline_long(_hand_made())
    best = long[long["is_best"]]
    assert sorted(zip(best["scenario"], best["variant"], strict=True)) == [
        ("A", "image_report"),
        ("B", "image"),
        ("B", "report_metadata"),
    ]
    # The baseline is never "best", even where it is the highest number (B).
    assert not long.loc[long["is_baseline"], "is_best"].any()
    assert best_variants(_hand_made()) == {"A": "image_report", "B": "image", "C": None}


def test_headline_table_formats_cells_and_names_the_best_variant() -> None:
    table = headline_table(_hand_made())
    assert list(table.index) == ["A", "B", "C"]
    assert list(table.columns) == [*MODALITY_VARIANTS, "baseline", "best_variant"]
    assert table.loc["A", "image_report"] == "0.82 [0.72, 0.92]"
    assert table.loc["A", "image"] == "0.50 [0.40, 0.60]"  # not the dcbench 0.99
    assert table.loc["B", "metadata"] == "—"
    assert table.loc["B", "baseline"] == "0.95 [0.85, 1.05]"
    assert list(table["best_variant"]) == ["image_report", "image", ""]
    assert (table.loc["C", list(MODALITY_VARIANTS)] == "—").all()


def test_missing_interval_shows_only_the_mean_and_nan_shows_a_dash() -> None:
    rows = [summary_row("A", "image", 0.5), summary_row("A", "report", math.nan)]
    rows[0]["ci_low"] = math.nan
    table = headline_table(as_summary(rows), baseline_metric=None)
    assert table.loc["A", "image"] == "0.50"
    assert table.loc["A", "report"] == "—"
    assert table.loc["A", "best_variant"] == "image"


def test_the_declared_variants_order_the_columns_else_the_summarys_own() -> None:
    summary = as_summary([summary_row("A", "image", 0.4), summary_row("A", "image_text_v2", 0.6)])
    table = headline_table(summary, baseline_metric=None)  # no declared variants: the summary's, in order
    assert list(table.columns) == ["image", "image_text_v2", "best_variant"]
    chosen = headline_table(summary, baseline_metric=None, variants=["image"])
    assert list(chosen.columns) == ["image", "best_variant"]
    assert chosen.loc["A", "best_variant"] == "image"


def test_invalid_summaries_are_refused_with_clear_messages() -> None:
    duplicated = as_summary([summary_row("A", "image", 0.4), summary_row("A", "image", 0.5)])
    with pytest.raises(ValueError, match=r"several rows.*\('A', 'image'\)"):
        headline_long(duplicated)
    with pytest.raises(ValueError, match="lacks column"):
        headline_long(pd.DataFrame({"scenario": ["A"]}))
    with pytest.raises(TypeError, match="summary must be a pandas DataFrame"):
        headline_long([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reserved name 'baseline'"):
        headline_long(_hand_made(), variants=["image", "baseline"])


def test_markdown_bolds_exactly_the_best_cells_and_states_the_comparisons() -> None:
    markdown = headline_markdown(compute_headline(_hand_made(), MODALITY_VARIANTS))
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| scenario"))
    assert header == "| scenario | " + " | ".join([*MODALITY_VARIANTS, "baseline"]) + " |"
    rows = {line.split(" | ")[0][2:]: line for line in lines if re.match(r"\| [ABC] \|", line)}
    assert re.findall(r"\*\*([^*]+)\*\*", rows["A"]) == ["0.82 [0.72, 0.92]"]
    assert re.findall(r"\*\*([^*]+)\*\*", rows["B"]) == ["0.70 [0.60, 0.80]"] * 2
    assert "**" not in rows["C"]
    assert rows["C"].count("—") == 7
    # In A, image-only is 0.50: three multimodal variants beat it, image_metadata does not.
    line_a = next(line for line in lines if line.startswith("- **A**"))
    assert "beaten by image_report 0.82, image_report_metadata 0.81, report_metadata 0.60;" in line_a
    assert "not beaten by image_metadata 0.45; baseline 0.35." in line_a
    line_b = next(line for line in lines if line.startswith("- **B**"))
    assert "no multimodal variant beats it" in line_b
    assert "not beaten by report_metadata 0.70, image_report 0.20" in line_b
    line_c = next(line for line in lines if line.startswith("- **C**"))
    assert "no image-only result" in line_c


def test_comparisons_agree_with_the_summary(realistic_summary: pd.DataFrame) -> None:
    long = headline_long(realistic_summary)
    domino = realistic_summary[realistic_summary["metric"] == "paper_precision_at_10"]
    for comparison in multimodal_comparisons(long):
        rows = domino[domino["scenario"] == comparison.scenario].set_index("variant")["mean"]
        expected = {v for v in rows.index if "_" in v and rows[v] > rows["image"]}
        assert {name for name, _ in comparison.beats} == expected
        assert {name for name, _ in comparison.does_not_beat} == {
            v for v in rows.index if "_" in v
        } - expected
        assert comparison.image_only == pytest.approx(rows["image"])


def test_an_empty_summary_gives_empty_tables_with_every_column() -> None:
    empty = as_summary([])
    table = headline_table(empty, variants=MODALITY_VARIANTS)
    assert table.empty
    assert list(table.columns) == [*MODALITY_VARIANTS, "baseline", "best_variant"]
    header = "| scenario | " + " | ".join([*MODALITY_VARIANTS, "baseline"]) + " |"
    assert header in headline_markdown(compute_headline(empty, MODALITY_VARIANTS)).splitlines()
    assert best_variants(empty) == {}


def test_means_equal_but_for_rounding_bits_are_a_tie_not_a_win() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; a mean summed in another order can differ so.
    uneven = 0.1 + 0.2
    assert uneven != 0.3
    summary = as_summary(
        [
            summary_row("D", "image", 0.3),
            summary_row("D", "report_metadata", uneven),
            summary_row("D", "image_report", 0.2),
        ]
    )
    long = headline_long(summary)
    winners = set(long.loc[long["is_best"], "variant"])
    assert winners == {"image", "report_metadata"}
    (comparison,) = multimodal_comparisons(long)
    assert comparison.beats == ()
    assert [name for name, _ in comparison.does_not_beat] == ["report_metadata", "image_report"]


def test_means_that_print_alike_are_compared_as_printed() -> None:
    # 0.1998 prints as 0.20: saying 0.20 "beats" 0.20 would contradict the table beside it.
    summary = as_summary(
        [
            summary_row("E", "image", 0.199821),
            summary_row("E", "image_report", 0.2),
            summary_row("E", "report_metadata", 0.21),
        ]
    )
    long = headline_long(summary)
    assert set(long.loc[long["is_best"], "variant"]) == {"report_metadata"}
    (comparison,) = multimodal_comparisons(long)
    assert [name for name, _ in comparison.beats] == ["report_metadata"]
    assert [name for name, _ in comparison.does_not_beat] == ["image_report"]
    tied = as_summary([summary_row("F", "image", 0.199821), summary_row("F", "image_report", 0.2)])
    assert set(headline_long(tied).loc[lambda t: t["is_best"], "variant"]) == {"image", "image_report"}


def test_a_mean_over_one_run_says_so_instead_of_a_point_interval() -> None:
    summary = as_summary(
        [summary_row("G", "image", 0.2, half_width=0.0, n=1), summary_row("G", "report", 0.4, n=3)]
    )
    row = next(
        line
        for line in headline_markdown(compute_headline(summary, MODALITY_VARIANTS)).splitlines()
        if line.startswith("| G |")
    )
    assert "0.20 (one run)" in row
    assert "[0.20, 0.20]" not in row
    assert "**0.40 [0.30, 0.50]**" in row


def test_the_notebook_table_says_one_run_as_the_summary_does() -> None:
    summary = as_summary(
        [summary_row("G", "image", 0.2, half_width=0.0, n=1), summary_row("G", "report", 0.4)]
    )
    table = headline_table(summary)
    assert table.loc["G", "image"] == "0.20 (one run)"
    assert table.loc["G", "report"] == "0.40 [0.30, 0.50]"


def test_a_scenario_that_ran_without_scores_gets_a_line() -> None:
    summary = as_summary([summary_row("A", "image", 0.5)])
    reason = "the failure did not take in any bootstrap (0 of 2 bootstraps accepted)"
    lines = headline_markdown(
        compute_headline(summary, MODALITY_VARIANTS), unscored={"B": reason, "A": "ignored: A has scores"}
    ).splitlines()
    assert f"- **B**: not scored: {reason}." in lines
    assert not any(line.startswith("- **A**: not scored") for line in lines)
