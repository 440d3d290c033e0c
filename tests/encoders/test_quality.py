"""Retrieval recall@k and linear-probe AUROC on embeddings with known structure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from medslice.encoders.quality import evaluate_encoder, recall_at_k


def _normalise(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def structured() -> dict:
    rng = np.random.default_rng(0)
    n, d = 200, 32
    label = rng.integers(0, 2, n)
    images = rng.normal(size=(n, d))
    images[:, 0] += 3.0 * label  # the label is linearly readable from the images
    texts = images + rng.normal(scale=0.3, size=(n, d))  # each report resembles its image
    return {"images": _normalise(images), "texts": _normalise(texts), "label": label, "rng": rng}


def test_paired_texts_are_retrieved(structured: dict) -> None:
    assert recall_at_k(structured["images"], structured["texts"], 10) > 0.9


def test_unrelated_texts_are_retrieved_at_chance(structured: dict) -> None:
    shuffled = structured["rng"].permutation(len(structured["texts"]))
    recall = recall_at_k(structured["images"], structured["texts"][shuffled], 10)
    assert recall < 0.15  # chance is 10/200 = 0.05


def test_identical_reports_do_not_count_against_each_other() -> None:
    # Two views of one study share a report: both images should count as hits at k=1.
    images = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    tied = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    assert recall_at_k(images, tied, 1) == pytest.approx(1.0)
    untied = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 0, 1]], dtype=np.float32)
    assert recall_at_k(images, untied, 1) == pytest.approx(2 / 3)


def test_evaluate_encoder_report(structured: dict) -> None:
    labels = pd.DataFrame(
        {
            "finding": structured["label"],
            "noise": structured["rng"].integers(0, 2, len(structured["label"])),
            "rare": np.r_[np.ones(2), np.zeros(198)],
        }
    )
    labels.loc[:9, "finding"] = np.nan  # unknown labels are left out of that probe only
    report = evaluate_encoder(structured["images"], structured["texts"], labels)
    assert report["chance_recall_at_10"] == pytest.approx(10 / 200)
    assert report["recall_at_10"] > 5 * report["chance_recall_at_10"]
    assert report["auroc"]["finding"] > 0.95
    assert 0.3 < report["auroc"]["noise"] < 0.7
    assert report["auroc"]["rare"] is None
    json.dumps(report)  # the pipeline saves it as JSON


def test_evaluate_encoder_rejects_nan_rows(structured: dict) -> None:
    images = structured["images"].copy()
    images[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        evaluate_encoder(images, structured["texts"], pd.DataFrame({"a": structured["label"]}))
