"""explain_slices on a hand-built audit: the paper's reference group, Domino's modal-label reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from medslice.explain.audit import explain_slices
from medslice.explain.tfidf_contrast import DEFAULT_TOKEN_PATTERN

# 18 cases of one bootstrap. Rows 0-5: the slice, true class 0, all misclassified. Rows 6-11: class 0,
# classified right: the paper's reference group. Rows 12-17: class 1, predicted 1, whose reports share
# the slice's words; a reference of "everyone outside the slice" would take them in.
IDS = [f"d{i:02d}" for i in range(18)]
TARGET = np.r_[np.zeros(12), np.ones(6)].astype(int)
PRED = np.r_[np.ones(6), np.zeros(6), np.ones(6)].astype(int)
REPORTS = (
    ["chest tube in place"] * 6
    + ["lungs are clear, heart size normal"] * 6
    + ["chest tube in place, effusion"] * 6
)


def _explain(**kwargs: object) -> pd.DataFrame:
    slices = pd.DataFrame({"dicom_id": IDS, "bootstrap": 0, "slice_0": np.r_[np.full(6, 0.95), np.zeros(12)]})
    predictions = pd.DataFrame({"dicom_id": IDS, "bootstrap": 0, "target": TARGET, "pred": PRED})
    attributes = pd.DataFrame({"view": ["frontal"] * 6 + ["lateral"] * 12}, index=IDS)
    texts = {"report": pd.Series(REPORTS, index=IDS), "metadata": pd.Series(["chest x-ray"] * 18, index=IDS)}
    return explain_slices(slices, predictions, attributes, texts, top_k=5, **kwargs)


def test_tokens_contrast_the_slice_with_the_correct_cases_of_its_majority_class() -> None:
    tokens = _explain().query("kind == 'token' and source == 'report'").sort_values("rank")
    matrix = TfidfVectorizer(
        ngram_range=(1, 4), max_features=1000, stop_words="english", token_pattern=DEFAULT_TOKEN_PATTERN
    ).fit(REPORTS)
    weights = matrix.transform(REPORTS).toarray()
    vocabulary = matrix.get_feature_names_out()
    expected = np.abs(weights[:6].mean(axis=0) - weights[6:12].mean(axis=0))  # reference: rows 6-11
    by_token = dict(zip(vocabulary, expected, strict=True))
    assert len(tokens) == 5
    for row in tokens.itertuples():
        assert row.score == pytest.approx(by_token[row.term])
    assert row.score >= np.sort(expected)[-5] - 1e-12  # the five kept are the five largest


def test_phrases_use_the_mean_of_the_slices_modal_true_class_as_reference() -> None:
    embeddings = np.r_[np.tile([1.0, 0.0], (6, 1)), np.tile([0.0, 1.0], (6, 1)), np.tile([1.0, 0.0], (6, 1))]
    phrases = _explain(
        phrase_bank=(["chest tube", "clear lungs"], np.eye(2)), shared_space_embeddings=embeddings
    )
    ranked = phrases.query("kind == 'phrase'").sort_values("rank")
    # prototype (1, 0) minus the class-0 mean (0.5, 0.5); the predicted-class-1 mean would be (1, 0), a tie
    assert ranked["term"].tolist() == ["chest tube", "clear lungs"]
    assert ranked["score"].tolist() == [pytest.approx(0.5), pytest.approx(-0.5)]


def test_enrichment_reports_the_over_represented_view() -> None:
    attribute_rows = _explain().query("kind == 'attribute'")
    frontal = attribute_rows[attribute_rows["term"] == "view=frontal"].iloc[0]
    assert frontal["slice_prevalence"] == 1.0 and frontal["reference_prevalence"] == 0.0
