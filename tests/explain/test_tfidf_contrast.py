"""Contrastive TF-IDF on a corpus whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.explain import (
    TfidfContrastExplainer,
    concatenate_texts,
    contrast_by_source,
    reference_mask,
)
from medslice.explain._masks import as_mask

SLICE_TEXTS = [
    "Pacemaker leads terminate in the right ventricle. Heart size is normal.",
    "Left chest wall pacemaker in place. Lungs are clear.",
    "Dual lead pacemaker unchanged. Mild atelectasis at the bases.",
]
REFERENCE_TEXTS = [
    "Lungs are clear. Heart size is normal. No pleural effusion.",
    "Heart size is normal. Lungs are clear without consolidation.",
    "No acute cardiopulmonary process. Lungs are clear.",
]
OTHER_TEXTS = ["Moderate right pleural effusion with basal consolidation."]
TEXTS = SLICE_TEXTS + REFERENCE_TEXTS + OTHER_TEXTS
SLICE = np.array([True] * 3 + [False] * 4)
REFERENCE = np.array([False] * 3 + [True] * 3 + [False])


def test_planted_token_ranks_first_and_scores_match_the_definition() -> None:
    explainer = TfidfContrastExplainer(top_k=5).fit(TEXTS)
    table = explainer.explain(None, SLICE, REFERENCE)

    assert list(table.columns) == ["token", "score", "slice_mean", "reference_mean"]
    assert len(table) == 5
    assert table["token"].iloc[0] == "pacemaker"
    # Every reported number must follow from the TF-IDF matrix by the paper's formula.
    dense = explainer.matrix_.toarray()
    vocabulary = list(explainer.vocabulary_)
    for row in table.itertuples():
        column = vocabulary.index(row.token)
        slice_mean = dense[SLICE, column].mean()
        reference_mean = dense[REFERENCE, column].mean()
        assert row.slice_mean == pytest.approx(slice_mean)
        assert row.reference_mean == pytest.approx(reference_mean)
        assert row.score == pytest.approx(abs(slice_mean - reference_mean))
    # The top k really are the k largest differences.
    all_scores = np.abs(dense[SLICE].mean(axis=0) - dense[REFERENCE].mean(axis=0))
    assert table["score"].min() == pytest.approx(np.sort(all_scores)[-5])
    assert table["score"].is_monotonic_decreasing


def test_paper_defaults_drop_stop_words_and_short_tokens() -> None:
    explainer = TfidfContrastExplainer().fit(TEXTS + ["a x b ok is the"])
    vocabulary = set(explainer.vocabulary_)
    assert "pacemaker" in vocabulary
    assert "heart size normal" in vocabulary  # n-grams span removed stop words, as in scikit-learn
    assert not vocabulary & {"the", "is", "x", "a"}


def test_texts_matrix_and_fitted_matrix_agree() -> None:
    explainer = TfidfContrastExplainer(top_k=3).fit(TEXTS)
    from_fit = explainer.explain(None, SLICE, REFERENCE)
    from_texts = explainer.explain(TEXTS, SLICE, REFERENCE)
    from_dense = explainer.explain(explainer.matrix_.toarray(), SLICE, REFERENCE)
    pd.testing.assert_frame_equal(from_fit, from_texts)
    pd.testing.assert_frame_equal(from_fit, from_dense)


def test_membership_probabilities_are_thresholded_at_one_half() -> None:
    explainer = TfidfContrastExplainer(top_k=3).fit(TEXTS)
    probabilities = np.where(SLICE, 0.9, 0.2)
    pd.testing.assert_frame_equal(
        explainer.explain(None, probabilities, REFERENCE), explainer.explain(None, SLICE, REFERENCE)
    )
    # exactly 0.5 is not a member: a member needs more than half of the probability
    at_the_threshold = np.where(SLICE, 0.9, np.where(REFERENCE, 0.2, 0.5))
    pd.testing.assert_frame_equal(
        explainer.explain(None, at_the_threshold, REFERENCE), explainer.explain(None, SLICE, REFERENCE)
    )
    assert not as_mask(np.array([0.5, 0.5000001]), "m")[0] and as_mask(np.array([0.5, 0.5000001]), "m")[1]


def test_reference_mask_is_correct_majority_class() -> None:
    targets = np.array([0, 0, 1, 0, 0, 1, 0])
    preds = np.array([1, 1, 1, 0, 1, 1, 0])
    slice_mask = np.array([1, 1, 1, 0, 0, 0, 0])  # majority true class 0
    expected = np.array([False, False, False, True, False, False, True])
    np.testing.assert_array_equal(reference_mask(targets, preds, slice_mask), expected)
    # A correctly classified member of the majority class belongs to the reference unless excluded.
    preds_member_correct = np.array([0, 1, 1, 0, 1, 1, 0])
    assert reference_mask(targets, preds_member_correct, slice_mask)[0]
    assert not reference_mask(targets, preds_member_correct, slice_mask, exclude_slice=True)[0]
    # Majority is by true class: here class 1 wins inside the slice although class 0 is global.
    slice_of_ones = np.array([0, 0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(
        reference_mask(targets, preds, slice_of_ones), (targets == 1) & (preds == 1)
    )
    # probabilities of class 1 are read as p >= 0.5 decisions, like the slicers read them
    probabilities = np.where(preds == 1, 0.8, 0.3)
    np.testing.assert_array_equal(reference_mask(targets, probabilities, slice_mask), expected)


def test_concatenate_texts_keeps_metadata_when_report_is_missing() -> None:
    joined = concatenate_texts(["chest tube", None, float("nan")], ["portable", "erect", "lateral"])
    assert joined == ["chest tube portable", "erect", "lateral"]
    with pytest.raises(ValueError, match="same length"):
        concatenate_texts(["a"], ["b", "c"])


def test_contrast_by_source_runs_one_vocabulary_per_source() -> None:
    metadata = ["portable recumbent"] * 3 + ["erect upright"] * 4
    table = contrast_by_source({"report": TEXTS, "metadata": metadata}, SLICE, REFERENCE, top_k=2)
    assert list(table["source"]) == ["report", "report", "metadata", "metadata"]
    assert set(table.loc[table["source"] == "metadata", "token"]) <= {
        "portable",
        "recumbent",
        "portable recumbent",
        "erect",
        "upright",
        "erect upright",
    }


def test_invalid_inputs_are_named() -> None:
    explainer = TfidfContrastExplainer()
    with pytest.raises(RuntimeError, match="not fitted"):
        explainer.explain(TEXTS, SLICE, REFERENCE)
    with pytest.raises(TypeError, match="single string"):
        explainer.fit("one string")
    explainer.fit(TEXTS)
    with pytest.raises(ValueError, match="slice_mask has 3 entries"):
        explainer.explain(None, SLICE[:3], REFERENCE)
    with pytest.raises(ValueError, match="selects no samples"):
        explainer.explain(None, np.zeros(7, bool), REFERENCE)
    with pytest.warns(UserWarning, match="zero reference"):
        table = explainer.explain(None, SLICE, np.zeros(7, bool))
    assert (table["reference_mean"] == 0).all()


def test_tokens_that_weigh_the_same_in_slice_and_reference_are_not_listed() -> None:
    explainer = TfidfContrastExplainer(top_k=5).fit(TEXTS)
    assert explainer.explain(None, SLICE, SLICE).empty  # a slice that is its own reference group
    # slice {A, B} against reference {A, C}: tokens of A alone weigh the same on both sides
    texts = [TEXTS[0], TEXTS[3], TEXTS[0], TEXTS[6]]
    twins = TfidfContrastExplainer(top_k=50).fit(texts)
    table = twins.explain(None, np.array([True, True, False, False]), np.array([False, False, True, True]))
    assert len(table) > 0 and (table["score"] > 0).all()
    assert "pacemaker" in twins.vocabulary_ and "pacemaker" not in set(table["token"])
