"""What the report says when a slicer finds nothing, and which enrichment rows a card shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.explain.enrichment import AttributeEnrichment
from medslice.reporting import SliceCard, render_audit_report
from medslice.reporting.audit import no_slice_reason
from medslice.reporting.headline import NOTHING_TO_SCORE, headline_markdown

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
    assert NOTHING_TO_SCORE in headline_markdown(empty)


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
