"""Shared-space phrase ranking (Domino describe) on constructed embeddings."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from medslice.explain import METADATA_PHRASES, PhraseRankingExplainer, mine_phrases

DIM = 16
PLANTED = "chest tube"


class DirectionEncoder:
    """Maps the planted phrase to axis 0 and any other phrase to a fixed vector orthogonal to it."""

    def __init__(self) -> None:
        self.calls = 0

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            if text == PLANTED:
                vector = np.eye(DIM)[0]
            else:
                rng = np.random.default_rng(zlib.crc32(text.encode()))
                vector = rng.normal(size=DIM)
                vector[0] = 0.0
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows)


CORPUS = [
    "Right chest tube in place. No pneumothorax.",
    "Left chest tube unchanged. No pneumothorax is seen.",
    "Heart size is normal. No pleural effusion.",
    "Heart size is normal. Lungs are clear.",
]


def test_mining_keeps_frequent_content_phrases_only() -> None:
    phrases = mine_phrases(CORPUS, min_df=2)
    # Phrases are contiguous text (unlike TF-IDF n-grams), so the encoder sees natural language.
    assert {"chest tube", "no pneumothorax", "heart size", "heart size is normal"} <= set(phrases)
    assert "heart size normal" not in phrases
    assert "right chest tube" not in phrases  # only one document
    assert all(not set(p.split()) <= {"is", "the", "in", "no"} for p in phrases)
    assert not any(p.endswith(" is") or p.startswith("is ") for p in phrases)
    assert phrases == mine_phrases(CORPUS, min_df=2)  # deterministic order


def test_planted_phrase_ranks_first_and_score_is_the_domino_formula() -> None:
    rng = np.random.default_rng(0)
    n = 40
    targets = np.array([1] * 10 + [0] * 30)
    membership = np.zeros(n)
    membership[:8] = 0.9  # members, all of class 1, the whole set's minority class
    membership[8:12] = 0.4  # not members: probability must exceed 0.5
    embeddings = rng.normal(scale=0.1, size=(n, DIM))
    embeddings[:8, 0] += 1.0  # the slice sits along the planted phrase's direction

    encoder = DirectionEncoder()
    explainer = PhraseRankingExplainer(encoder, top_k=3).fit(CORPUS)
    table = explainer.explain(embeddings, membership, targets)

    assert encoder.calls == 1  # candidates are embedded once, at fit
    assert set(METADATA_PHRASES) <= set(explainer.candidates_)
    assert list(table.columns) == ["phrase", "score"]
    assert table["phrase"].iloc[0] == PLANTED
    prototype = embeddings[:8].mean(axis=0)
    reference = embeddings[targets == 1].mean(axis=0)  # the slice's modal class, not the set's
    expected = explainer.candidate_embeddings_ @ (prototype - reference)
    assert table["score"].iloc[0] == pytest.approx(expected.max())
    assert table["score"].is_monotonic_decreasing


def test_reference_without_targets_is_the_global_mean() -> None:
    rng = np.random.default_rng(1)
    embeddings = rng.normal(size=(10, DIM))
    membership = np.r_[np.ones(3), np.zeros(7)]
    explainer = PhraseRankingExplainer(DirectionEncoder(), top_k=1, extra_phrases=[PLANTED])
    explainer.fit([])
    table = explainer.explain(embeddings, membership)
    direction = embeddings[:3].mean(axis=0) - embeddings.mean(axis=0)
    assert table["score"].iloc[0] == pytest.approx((explainer.candidate_embeddings_ @ direction).max())


def test_errors_name_the_problem() -> None:
    explainer = PhraseRankingExplainer(DirectionEncoder()).fit(CORPUS)
    with pytest.raises(ValueError, match="dimension 3"):
        explainer.explain(np.zeros((4, 3)), np.ones(4), None)
    with pytest.raises(ValueError, match="probability > 0.5"):
        explainer.explain(np.zeros((4, DIM)), np.full(4, 0.5), None)
    with pytest.raises(TypeError, match="encode_texts"):
        PhraseRankingExplainer(object()).fit(CORPUS)  # type: ignore[arg-type]


def test_a_slice_that_is_its_own_reference_group_gets_no_phrases() -> None:
    rng = np.random.default_rng(2)
    embeddings = rng.normal(size=(8, DIM))
    targets = np.r_[np.ones(4), np.zeros(4)].astype(int)
    explainer = PhraseRankingExplainer(DirectionEncoder(), top_k=3, extra_phrases=[PLANTED]).fit(CORPUS)
    # the slice is exactly the positives, so the reference (samples of its modal label) is the slice
    with pytest.warns(UserWarning, match="equals its reference group's; no phrase describes it"):
        table = explainer.explain(embeddings, targets.astype(float), targets)
    assert table.empty and list(table.columns) == ["phrase", "score"]
    # one member fewer and the direction is real again
    membership = targets.astype(float)
    membership[0] = 0.0
    assert len(explainer.explain(embeddings, membership, targets)) == 3
