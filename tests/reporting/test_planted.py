"""The planted-failures table: read from injection QA, judged by the within-class gap, rendered."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from medslice.reporting import headline_markdown, ideal_error_slice_scores, render_audit_report
from medslice.reporting.headline import compute_headline
from medslice.reporting.planted import planted_failures
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

from .html_inspection import parse


def _qa(**overrides: object) -> dict:
    qa = {
        "n_bootstraps": 3,
        "n_accepted": 3,
        "total_retries": 1,
        "mean_check_gap": 0.28,
        "mean_check_within_class_gap": 0.03,
        "min_gap": 0.1,
        "bootstraps": [],
    }
    qa.update(overrides)
    return qa


def test_failures_are_read_in_order_and_judged_by_the_within_class_gap() -> None:
    rows = planted_failures(
        {"noisy_label": _qa(), "spurious_correlation": _qa(mean_check_within_class_gap=0.47)}
    )
    assert [r.scenario for r in rows] == ["noisy_label", "spurious_correlation"]
    noisy, spurious = rows
    assert noisy.mean_check_gap == pytest.approx(0.28)
    assert noisy.slice_specific is False and "not slice-specific" in noisy.verdict
    assert spurious.slice_specific is True and spurious.verdict.startswith("slice-specific")


def test_a_failure_that_never_took_says_so() -> None:
    (row,) = planted_failures({"elderly": _qa(n_accepted=0, mean_check_within_class_gap=0.3)})
    assert "did not take" in row.verdict


def test_qa_without_the_within_class_gap_is_shown_as_not_measured() -> None:
    qa = _qa()
    del qa["mean_check_within_class_gap"]
    (row,) = planted_failures({"old_run": qa})
    assert math.isnan(row.mean_within_class_gap)
    assert row.slice_specific is None and "not recorded" in row.verdict


def test_a_mapping_that_is_not_injection_qa_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'rare_slice'.*n_accepted"):
        planted_failures({"rare_slice": {"n_bootstraps": 3}})


def test_the_report_shows_one_row_per_planted_failure(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict
) -> None:
    planted = planted_failures(
        {"noisy_label": _qa(), "spurious_correlation": _qa(mean_check_within_class_gap=0.47)}
    )
    html = render_audit_report(realistic_summary, report_cards, provenance, planted=planted)
    elements = parse(html).elements
    assert ("section", "planted") in [(tag, attrs.get("id")) for tag, attrs in elements]
    rows = [attrs for tag, attrs in elements if tag == "tr" and attrs.get("data-scenario")]
    planted_rows = [r for r in rows if (r.get("class") or "").startswith("planted-")]
    assert [(r["data-scenario"], r["class"]) for r in planted_rows] == [
        ("noisy_label", "planted-unspecific"),
        ("spurious_correlation", "planted-specific"),
    ]
    assert "+0.28" in html and "+0.03" in html and "3 / 3" in html
    assert 'href="#planted"' in html


def test_without_planted_failures_the_section_is_left_out(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict
) -> None:
    html = render_audit_report(realistic_summary, report_cards, provenance)
    assert 'id="planted"' not in html and 'href="#planted"' not in html


def test_planted_rows_must_be_planted_failures(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict
) -> None:
    with pytest.raises(TypeError, match=r"planted\[0\] must be a PlantedFailure"):
        render_audit_report(realistic_summary, report_cards, provenance, planted=[{"scenario": "x"}])


def test_the_ideal_error_slice_precision_is_read_from_the_summary_and_shown(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict
) -> None:
    ideal_row = {
        "scenario": "noisy_label",
        "variant": "all",
        "method": "ideal_error_slice",
        "metric": "paper_precision_at_10",
        "mean": 0.8667,
        "ci_low": 0.6,
        "ci_high": 1.0,
        "n": 3,
    }
    summary = pd.concat([realistic_summary, pd.DataFrame([ideal_row])], ignore_index=True)
    ideal_scores = ideal_error_slice_scores(summary)
    assert ideal_scores == {"noisy_label": pytest.approx(0.8667)}
    noisy, spurious = planted_failures(
        {"noisy_label": _qa(), "spurious_correlation": _qa(mean_check_within_class_gap=0.47)}, ideal_scores
    )
    assert noisy.ideal_error_slice_precision == pytest.approx(0.8667)
    assert math.isnan(spurious.ideal_error_slice_precision)
    html = render_audit_report(summary, report_cards, provenance, planted=[noisy, spurious])
    assert "ideal error slice" in html and ">0.87<" in html
    assert "ideal error slice 0.87" in headline_markdown(compute_headline(summary, MODALITY_VARIANTS))


def test_a_scenario_with_no_accepted_bootstrap_is_named_under_the_headline(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict
) -> None:
    planted = planted_failures({"elderly_women_rare": _qa(n_accepted=0), "noisy_label": _qa()})
    html = render_audit_report(realistic_summary, report_cards, provenance, planted=planted)
    text = " ".join(" ".join(parse(html).text).split())
    assert (
        "Not scored, because no bootstrap showed the planted failure: elderly women rare (0 of 3 accepted)"
        in text
    )
    everything_took = render_audit_report(
        realistic_summary, report_cards, provenance, planted=planted_failures({"noisy_label": _qa()})
    )
    assert "Not scored" not in everything_took
