"""The HTML report: self-contained, deterministic, escaped, and showing the right cards."""

from __future__ import annotations

import base64
import io
import math
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medslice.reporting import SliceCard, png_bytes, precision_bar_chart, render_audit_report
from medslice.reporting.headline import compute_headline
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

from .html_inspection import cards_in, parse
from .report_inputs import (
    SCRIPT_TOKEN,
    as_summary,
    build_cards,
    build_enrichment,
    build_montage,
    build_provenance,
    build_summary,
    summary_row,
)


@pytest.fixture(scope="module")
def report_html(realistic_summary, report_cards, provenance) -> str:  # type: ignore[no-untyped-def]
    """The report built from the shared inputs."""
    return render_audit_report(realistic_summary, report_cards, provenance)


def test_report_is_self_contained(report_html: str) -> None:
    assert "http://" not in report_html
    assert "https://" not in report_html
    elements = parse(report_html).elements
    assert not [tag for tag, _ in elements if tag in {"script", "link", "iframe", "object"}]
    references = [
        value
        for _, attrs in elements
        for name, value in attrs.items()
        if name in {"src", "href", "srcset", "action", "poster"}
    ]
    assert references, "the report should at least link its own sections and inline its images"
    for value in references:
        assert value is not None and (value.startswith(("data:image/png;base64,", "#"))), value
    assert "url(" not in report_html and "@import" not in report_html


def test_inlined_images_decode_and_the_montage_is_the_given_png(report_html: str, montage_png: bytes) -> None:
    sources = [
        attrs["src"] for tag, attrs in parse(report_html).elements if tag == "img" and attrs.get("src")
    ]
    payloads = [base64.b64decode(str(src).split(",", 1)[1]) for src in sources]
    # The bar chart, and one montage for each of the two cards that have one.
    assert len(payloads) == 3
    assert payloads.count(montage_png) == 2
    for payload in payloads:
        assert Image.open(io.BytesIO(payload)).format == "PNG"


def test_internal_links_point_at_existing_ids(report_html: str) -> None:
    elements = parse(report_html).elements
    ids = [attrs["id"] for _, attrs in elements if attrs.get("id")]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    for _, attrs in elements:
        href = attrs.get("href")
        if href and href.startswith("#"):
            assert href[1:] in ids, href


def test_render_is_deterministic_from_freshly_built_inputs(report_html: str) -> None:
    summary = build_summary()
    again = render_audit_report(
        summary, build_cards(summary, build_montage(), build_enrichment()), build_provenance()
    )
    assert again == report_html


def test_cards_show_the_best_variant_and_say_when_a_scenario_has_none(
    realistic_summary: pd.DataFrame, report_cards: list[SliceCard], report_html: str
) -> None:
    shown = cards_in(report_html)
    assert (
        shown
        == [(c.scenario, c.variant, str(c.slice_index)) for c in report_cards][2:]
        + [(c.scenario, c.variant, str(c.slice_index)) for c in report_cards][:2]
    )  # scenarios follow the summary's order: noisy_label, rare_slice, spurious_correlation
    assert "No slices were found for this scenario" in report_html
    # A card of a variant that is not the best is hidden by default and shown with "all".
    other = next(v for v in ("image", "metadata") if v != report_cards[0].variant)
    extra = SliceCard("spurious_correlation", other, 9, 5, 0.2, "false positives", 0.05, 0)
    cards = [*report_cards, extra]
    assert ("spurious_correlation", other, "9") not in cards_in(
        render_audit_report(realistic_summary, cards, {})
    )
    everything = cards_in(render_audit_report(realistic_summary, cards, {}, show_variants="all"))
    assert ("spurious_correlation", other, "9") in everything
    assert len(everything) == len(cards)


def test_headline_marks_best_cells_with_the_best_class(report_html: str) -> None:
    elements = parse(report_html).elements
    best_cells = [
        attrs for tag, attrs in elements if tag == "td" and "best" in (attrs.get("class") or "").split()
    ]
    # One best cell per scenario in each of the two tables (no ties in these inputs).
    assert len(best_cells) == 6
    assert report_html.count("<strong>") == 6


def test_user_text_is_escaped_and_urls_appear_only_where_given(
    realistic_summary: pd.DataFrame, report_cards: list[SliceCard]
) -> None:
    provenance = {"encoder": "https://example.org/weights", "timestamp": "t0"}
    html = render_audit_report(realistic_summary, report_cards, provenance)
    assert SCRIPT_TOKEN not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("https://") == 1
    assert "http://" not in html


def test_missing_values_render_as_dashes_and_empty_inputs_still_render() -> None:
    summary = as_summary(
        [summary_row("A", "image", math.nan), summary_row("A", "report", 0.4, half_width=0.05)]
    )
    html = render_audit_report(summary, [], {"timestamp": "t0"})
    text = "".join(parse(html).text)
    assert not re.search(r"\bnan\b", text, flags=re.IGNORECASE)
    assert "0.40" in text and "—" in text
    empty = render_audit_report(as_summary([]), [], {})
    assert "No results for this metric." in empty
    assert "No scenarios to show." in empty


def test_provenance_and_parameters_are_shown(report_html: str, provenance: dict[str, object]) -> None:
    text = "".join(parse(report_html).text)
    for key in ("encoder", "data_version", "timestamp"):
        assert str(provenance[key]) in text
    assert '"n_mixture_components": 20' in text
    assert "<details>" in report_html
    assert "0.1.0" in text  # medslice version default
    assert "Synthetic data." in text
    assert "the run that rebuilt this report" not in text


def test_a_rebuilt_report_says_whose_parameters_it_shows(
    realistic_summary: pd.DataFrame, report_cards: list, provenance: dict[str, object]
) -> None:
    html = render_audit_report(realistic_summary, report_cards, provenance, parameters_from_rebuild=True)
    text = "".join(parse(html).text)
    assert "the parameters of the run that rebuilt this report" in text


def test_bad_inputs_are_refused_with_the_argument_named(realistic_summary: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="show_variants"):
        render_audit_report(realistic_summary, [], {}, show_variants="some")
    with pytest.raises(TypeError, match=r"cards\[0\]"):
        render_audit_report(realistic_summary, ["card"], {})  # type: ignore[list-item]
    with pytest.raises(ValueError, match="error_rate"):
        SliceCard("a", "image", 0, 3, 1.5, "false positives", 0.1, 0)
    with pytest.raises(ValueError, match="montage_png"):
        SliceCard("a", "image", 0, 3, 0.5, "false positives", 0.1, 0, montage_png=b"JFIF")
    with pytest.raises(ValueError, match="enrichment lacks"):
        SliceCard("a", "image", 0, 3, 0.5, "fp", 0.1, 0, enrichment=pd.DataFrame({"x": [1]}))


def test_bar_chart_draws_the_summary_means(realistic_summary: pd.DataFrame) -> None:
    figure = precision_bar_chart(compute_headline(realistic_summary, MODALITY_VARIANTS))
    axes = figure.axes[0]
    containers = axes.containers
    bars = [c for c in containers if hasattr(c, "patches")]
    assert len(bars) == 7
    paper = realistic_summary[realistic_summary["metric"] == "paper_precision_at_10"]
    scenarios = list(dict.fromkeys(realistic_summary["scenario"]))
    image_means = paper[paper["variant"] == "image"].set_index("scenario")["mean"]
    heights = [patch.get_height() for patch in bars[0].patches]
    np.testing.assert_allclose(heights, image_means.reindex(scenarios).to_numpy())
    assert png_bytes(figure) == png_bytes(
        precision_bar_chart(compute_headline(realistic_summary, MODALITY_VARIANTS))
    )
