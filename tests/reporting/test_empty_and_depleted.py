"""What the report says when a slicer finds nothing, and which enrichment rows a card shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from medslice.explain.enrichment import AttributeEnrichment
from medslice.reporting import SliceCard, render_audit_report
from medslice.reporting.artifacts import VariantTables
from medslice.reporting.audit import ENRICHMENT_FIELDS, build_report, no_slice_reason
from medslice.reporting.headline import (
    NOTHING_TO_SCORE,
    compute_headline,
    headline_markdown,
)
from medslice.slicing.summary import summarize_slices
from tests.reporting.report_inputs import report_artifacts
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

from .html_inspection import parse

_EMPTY_SUMMARY = pd.DataFrame(
    columns=["scenario", "variant", "method", "metric", "mean", "ci_low", "ci_high", "n"]
)


def _predictions(target: list[int], pred: list[int], bootstrap: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dicom_id": [f"d{i}" for i in range(len(target))],
            "bootstrap": bootstrap,
            "target": target,
            "pred": pred,
        }
    )


def test_no_slice_reason_names_what_the_shown_bootstrap_lacks() -> None:
    assert "no sample is misclassified" in no_slice_reason(_predictions([0, 1, 1, 0], [0, 1, 1, 0]))
    assert "single class" in no_slice_reason(_predictions([1, 1, 1], [1, 0, 1]))
    assert "ranked no component" in no_slice_reason(_predictions([0, 1, 1, 0], [1, 1, 0, 0]))
    # the first bootstrap is shown: its reason counts, not a later one's
    both = pd.concat([_predictions([0, 1], [0, 1], 0), _predictions([0, 1], [1, 1], 1)])
    assert "no sample is misclassified" in no_slice_reason(both)


def test_a_user_run_without_slices_says_why_in_the_report_and_the_summary() -> None:
    empty = _EMPTY_SUMMARY
    reason = "no sample is misclassified, so there is no error slice to report"
    html = render_audit_report(empty, [], {}, no_slice_reasons={"user": reason})
    text = " ".join(" ".join(parse(html).text).split())
    assert f"No slices were found for this scenario: {reason}." in text
    assert "No scenarios to show" not in html
    assert NOTHING_TO_SCORE in headline_markdown(compute_headline(empty, MODALITY_VARIANTS))


def test_cards_list_over_represented_values_only() -> None:
    rng = np.random.default_rng(0)
    in_slice = np.arange(100) < 30
    devices = np.where(in_slice, rng.random(100) < 0.9, rng.random(100) < 0.1).astype(int)
    enrichment = AttributeEnrichment().explain(pd.DataFrame({"support_devices": devices}), in_slice)
    assert set(enrichment["value"].astype(str)) == {"0", "1"}  # the two-sided test flags both values
    card = SliceCard("s", "image", 0, 30, 0.5, "false positives", 0.2, 0, enrichment=enrichment)
    html = render_audit_report(_EMPTY_SUMMARY, [card], {})
    text = " ".join(" ".join(parse(html).text).split())
    assert "support devices = 1" in text
    assert "support devices = 0" not in text


def test_cards_without_a_headline_name_the_variant_they_show() -> None:
    card = SliceCard("user", "image_report_metadata", 0, 12, 0.5, "false negatives", 0.3, 1)
    text = " ".join(" ".join(parse(render_audit_report(_EMPTY_SUMMARY, [card], {})).text).split())
    assert "nothing planted to score" in text
    assert "showing the cards of image report metadata" in text


def test_a_first_bootstrap_without_slices_does_not_hide_a_later_ones(tmp_path: Path) -> None:
    ids = [f"d{i}" for i in range(6)]
    for name in ids:
        Image.fromarray(np.full((16, 16), 128, dtype=np.uint8)).save(tmp_path / f"{name}.jpg")
    cohort = pd.DataFrame({"dicom_id": ids, "image_path": [f"{name}.jpg" for name in ids]})
    predictions = pd.concat(
        [
            _predictions([1] * 6, [1, 0, 1, 1, 1, 1], bootstrap=0),  # a single class: nothing to slice
            _predictions([0, 1, 0, 1, 0, 1], [1, 1, 1, 0, 0, 1], bootstrap=1),
        ],
        ignore_index=True,
    ).assign(accepted=True)
    slices = predictions[["dicom_id", "bootstrap"]].assign(
        slice_0=np.r_[np.full(6, np.nan), [0.9, 0.1, 0.8, 0.2, 0.1, 0.1]]
    )
    summary = summarize_slices(
        slices.loc[6:, ["slice_0"]].to_numpy(), np.array([0, 1, 0, 1, 0, 1]), np.array([1, 1, 1, 0, 0, 1])
    ).assign(bootstrap=1)
    explanations = pd.DataFrame(
        columns=["bootstrap", "slice", "kind", "source", "term", "score", "rank", *ENRICHMENT_FIELDS]
    )
    artifacts = report_artifacts(
        _EMPTY_SUMMARY,
        scenarios=["user"],
        variants=["image"],
        predictions={"user": predictions},
        tables={("user", "image"): VariantTables(slices, summary, {}, explanations)},
        cohort=cohort,
        image_root=str(tmp_path),
    )
    html = build_report(artifacts)
    text = " ".join(" ".join(parse(html).text).split())
    assert "No slices were found" not in text
    assert "Bootstrap 0 has no slices" in text and "single class" in text
    assert "these are the slices of bootstrap 1, the first with slices" in text
    assert 'data-slice="0"' in html


def test_tiny_slices_and_slices_that_do_not_fail_carry_a_caution() -> None:
    tiny = SliceCard("s", "image", 0, 2, 1.0, "false positives", 0.6, 0)
    better = SliceCard("s", "image", 1, 40, 0.05, "false positives", -0.07, 0)
    failing = SliceCard("s", "image", 2, 40, 0.6, "false positives", 0.4, 0)
    html = render_audit_report(_EMPTY_SUMMARY, [tiny, better, failing], {})
    articles = html.split('<article class="slice-card"')[1:]
    cautions = [
        [" ".join(p.split("</p>")[0].split()) for p in article.split('<p class="caution">')[1:]]
        for article in articles
    ]
    assert cautions[0] == ["Only 2 member(s): its rates rest on very few cases."]
    assert cautions[1] == [
        "Not a failure slice: the classifier is at least as accurate here as on the rest of the audit set."
    ]
    assert cautions[2] == []
