"""The audit's scoring driver on a hand-built audit: class filter, accepted draws, any-slice hits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.evaluation.audit import baseline_metrics, evaluate_slices

# 40 audit cases: the planted slice is target 0 with the attribute (a spurious correlation's false
# positives), rows 0-9. Rows 10-19 are attribute-carrying positives, classified right.
TARGET = np.r_[np.zeros(10), np.ones(10), np.zeros(10), np.ones(10)].astype(int)
ATTRIBUTE = np.r_[np.ones(20), np.zeros(20)].astype(bool)
PRED = np.r_[np.ones(10), np.ones(10), np.zeros(10), np.zeros(10)].astype(int)  # errors: 0-9, 30-39


def _predictions() -> pd.DataFrame:
    frames = []
    for bootstrap, accepted in ((0, True), (1, False)):
        frames.append(
            pd.DataFrame(
                {
                    "dicom_id": [f"d{i:02d}" for i in range(40)],
                    "bootstrap": bootstrap,
                    "target": TARGET,
                    "pred": PRED,
                    "attribute": ATTRIBUTE,
                    "in_slice": (TARGET == 0) & ATTRIBUTE,
                    "accepted": accepted,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _slices() -> pd.DataFrame:
    # slice_0 holds the planted false positives at 0.9; slice_1 holds the attribute-carrying positives at
    # 1.0, which would score higher if the class filter looked at the wrong class.
    slice_0 = np.r_[np.full(10, 0.9), np.zeros(30)]
    slice_1 = np.r_[np.zeros(10), np.ones(10), np.zeros(20)]
    frames = [
        pd.DataFrame(
            {
                "dicom_id": [f"d{i:02d}" for i in range(40)],
                "bootstrap": b,
                "slice_0": slice_0,
                "slice_1": slice_1,
            }
        )
        for b in (0, 1)
    ]
    return pd.concat(frames, ignore_index=True)


def _explanations(slice_0_tokens: list[str], slice_1_tokens: list[str]) -> pd.DataFrame:
    rows = [
        {"bootstrap": b, "slice": s, "kind": kind, "source": source, "rank": rank, "term": term}
        for b in (0, 1)
        for s, tokens in ((0, slice_0_tokens), (1, slice_1_tokens))
        for kind, source in (("token", "combined"), ("phrase", "clip"))
        for rank, term in enumerate(tokens)
    ]
    return pd.DataFrame(rows)


def _metrics(explanations: pd.DataFrame) -> dict[str, float]:
    table = evaluate_slices(
        _slices(), _predictions(), explanations, scenario="s", variant="image", synonyms=["tube"]
    )
    assert set(table["bootstrap"]) == {0}  # the draw that did not show its failure is not scored
    return dict(zip(table["metric"], table["value"], strict=True))


def test_the_planted_slice_is_scored_with_its_own_class_filter() -> None:
    metrics = _metrics(_explanations(["effusion"], ["effusion"]))
    # slice_0 is the only slice whose members are mostly of the planted class (0): 10 x 0.9 / 10
    assert metrics["paper_precision_at_10"] == pytest.approx(0.9)
    assert metrics["precision_at_10"] == pytest.approx(1.0)
    assert metrics["average_precision"] == pytest.approx(1.0)
    assert metrics["precision_at_25"] == pytest.approx(10 / 25)


def test_an_explanation_hit_in_any_slice_counts() -> None:
    assert _metrics(_explanations(["effusion", "opacity"], ["chest tube"]))["token_hit"] == 1.0
    assert _metrics(_explanations(["effusion", "opacity"], ["chest tube"]))["phrase_hit"] == 1.0
    assert _metrics(_explanations(["effusion"], ["opacity"]))["token_hit"] == 0.0


def test_the_best_slice_hit_asks_the_slice_that_scored() -> None:
    # slice_0 scores (it holds the planted false positives); a hit in slice_1 only is an any-slice hit.
    elsewhere = _metrics(_explanations(["effusion", "opacity"], ["chest tube"]))
    assert elsewhere["token_hit"] == 1.0 and elsewhere["token_hit_best"] == 0.0
    assert elsewhere["phrase_hit"] == 1.0 and elsewhere["phrase_hit_best"] == 0.0
    scored = _metrics(_explanations(["chest tube"], ["effusion"]))
    assert scored["token_hit_best"] == 1.0 and scored["phrase_hit_best"] == 1.0


def test_the_baseline_is_the_attribute_share_of_the_accepted_draws_errors() -> None:
    table = baseline_metrics(_predictions(), scenario="s")
    assert table["bootstrap"].tolist() == [0]
    assert table["value"].tolist() == [pytest.approx(0.5)]  # errors: 10 with the attribute, 10 without
