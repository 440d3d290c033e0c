"""Tokens carry the sign of their TF-IDF difference, and the stricter hit counts only those the slice has."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.evaluation.audit import evaluate_slices
from medslice.explain.audit import explain_slices
from medslice.reporting.audit import _terms

LATERAL = "Lateral radiograph of the chest. Heart size is normal."
FRONTAL = "PA radiograph of the chest. Heart size is normal."


def _audit() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.Series], pd.DataFrame]:
    ids = [f"d{i}" for i in range(30)]
    lateral = np.arange(30) < 10
    predictions = pd.DataFrame(
        {
            "dicom_id": ids,
            "bootstrap": 0,
            "target": 1,
            "pred": np.where(lateral, 0, 1),  # the lateral cases are missed
            "in_slice": ~lateral,  # the planted slice is the frontal positives
            "attribute": ~lateral,
            "accepted": True,
        }
    )
    predictions.loc[25:, "target"] = 0  # a second class, correctly classified
    predictions.loc[25:, ["in_slice", "attribute"]] = False
    slices = predictions[["dicom_id", "bootstrap"]].assign(slice_0=np.where(lateral, 0.95, 0.05))
    texts = {"report": pd.Series(np.where(lateral, LATERAL, FRONTAL), index=ids)}
    attributes = pd.DataFrame({"view": np.where(lateral, "lateral", "frontal")}, index=ids)
    return slices, predictions, texts, attributes


def test_a_slice_of_laterals_is_topped_by_a_term_it_lacks_and_only_the_loose_hit_counts_it() -> None:
    slices, predictions, texts, attributes = _audit()
    explanations = explain_slices(slices, predictions, attributes, texts)
    tokens = explanations[(explanations["kind"] == "token") & (explanations["source"] == "combined")]
    assert (tokens["difference"].abs() - tokens["score"]).abs().max() < 1e-12
    lacks = tokens.loc[tokens["difference"] < 0, "term"].tolist()
    assert "pa" in lacks or "pa radiograph" in lacks
    metrics = evaluate_slices(
        slices,
        predictions,
        explanations,
        scenario="noisy_label",
        variant="report",
        synonyms=["pa", "frontal"],
    )
    values = dict(zip(metrics["metric"], metrics["value"], strict=True))
    assert values["token_hit"] == 1.0  # "pa" is among the top five, by |difference|
    assert values["token_hit_over"] == 0.0  # but the slice lacks it
    # the report card shows the sign
    shown = dict(_terms(explanations[explanations["slice"] == 0], "token", "combined"))
    assert shown[lacks[0]] < 0
