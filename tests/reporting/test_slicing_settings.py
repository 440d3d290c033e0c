"""The report names what made each variant's slices, and warns when the variants were sliced differently."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.pipelines.slice_discovery.nodes import discover_slices
from medslice.reporting import render_audit_report
from medslice.reporting.slicing_settings import describe_slicing_settings
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.per_bootstrap import fuse_bootstraps

from .html_inspection import parse

DOMINO = {"slicer": {"method": "domino", "n_slices": 3}, "seed": 42}


def test_alike_slicings_are_described_once_without_a_notice() -> None:
    text, notice = describe_slicing_settings({"s.image": DOMINO, "s.report": DOMINO})
    assert notice is None
    assert text == '{"seed": 42, "slicer": {"method": "domino", "n_slices": 3}}'
    assert describe_slicing_settings({}) == ("not recorded", None)


def test_an_odd_slicing_is_named_with_the_settings_it_differs_in() -> None:
    odd = {"slicer": {"method": "domino", "n_slices": 5}, "seed": 42}
    text, notice = describe_slicing_settings({"s.image": DOMINO, "s.report": DOMINO, "s.image_report": odd})
    assert text.endswith("(for 2 of 3 slicings; see the notice above)")
    assert notice is not None
    assert "2 of 3 share the settings under Provenance" in notice
    assert "s.image_report: slicer.n_slices = 5 (others: 3)" in notice
    assert "seed" not in notice.split("s.image_report:")[1].split(".")[0]  # only what differs is named


def test_the_notice_is_shown_under_the_title() -> None:
    empty = pd.DataFrame(
        columns=["scenario", "variant", "method", "metric", "mean", "ci_low", "ci_high", "n"]
    )
    html = render_audit_report(empty, [], {}, notices=["Not every variant was sliced alike."])
    text = " ".join(" ".join(parse(html).text).split())
    assert "Not every variant was sliced alike." in text
    assert ("div", "note") in [(tag, attrs.get("role")) for tag, attrs in parse(html).elements]


def test_discover_slices_records_the_settings_it_used() -> None:
    rng = np.random.default_rng(0)
    n = 40
    target = rng.integers(0, 2, n)
    predictions = pd.DataFrame(
        {
            "dicom_id": [f"d{i}" for i in range(n)],
            "bootstrap": 0,
            "target": target,
            "pred": np.where(rng.random(n) < 0.3, 1 - target, target),
        }
    )
    fused = fuse_bootstraps(predictions, {"image": rng.normal(size=(n, 8))}, max_components=4)
    slicer = {"method": "domino", "n_slices": 2, "n_mixture_components": 4, "n_pca_components": 4}
    _, _, settings = discover_slices(fused, predictions, CheckpointStore(None), slicer, 7)
    assert settings == {"slicer": slicer, "seed": 7}
