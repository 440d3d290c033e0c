"""The explanation's fast paths give exactly what the straightforward computations give (decision 32)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from medslice.explain import AttributeEnrichment, PhraseRankingExplainer, TfidfContrastExplainer
from medslice.explain import audit as explain_audit
from medslice.explain.enrichment import CategoryCodes, fisher_exact_two_sided


def _tables() -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(7)
    tables = [
        (a, s - a, c, r - c) for s in range(6) for r in range(6) for a in range(s + 1) for c in range(r + 1)
    ]
    for _ in range(1500):
        n_slice = int(rng.integers(1, 150))
        n_reference = 300 - n_slice
        total = int(rng.integers(0, 301))
        a = int(rng.integers(max(0, total - n_reference), min(n_slice, total) + 1))
        tables.append((a, n_slice - a, total - a, n_reference - total + a))
    return tables


def test_fisher_two_sided_equals_scipy_bit_for_bit() -> None:
    for a, b, c, d in _tables():
        expected = min(1.0, float(fisher_exact([[a, b], [c, d]]).pvalue))
        assert fisher_exact_two_sided(a, b, c, d) == expected, (a, b, c, d)
    with pytest.raises(ValueError, match="nonnegative"):
        fisher_exact_two_sided.__wrapped__(-1, 2, 3, 4)


def _attributes(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "view": rng.choice(["frontal", "lateral", None], n),
            "finding": rng.choice([0.0, 1.0, np.nan], n).astype("float32"),
            "age": pd.array(rng.choice([50, 60, 70], n), dtype="Int64"),
            "mixed": pd.Series(rng.choice([1, "1", 2.0, True, "x"], n), dtype=object),
        }
    )


@pytest.mark.parametrize("seed", range(6))
def test_category_codes_give_the_frame_s_table(seed: int) -> None:
    frame = _attributes(120, seed)
    members = np.random.default_rng(seed).uniform(size=120) < 0.3
    enrichment = AttributeEnrichment()
    expected = enrichment.explain(frame, members)
    codes = CategoryCodes.from_frame(frame)
    pd.testing.assert_frame_equal(enrichment.explain(codes, members), expected, check_exact=True)
    pd.testing.assert_frame_equal(
        enrichment.explain(codes, members, columns=["view"]),
        enrichment.explain(frame, members, columns=["view"]),
        check_exact=True,
    )
    rows = enrichment.enrichment_columns(codes, members, ~members)
    assert rows["value"] == expected["value"].tolist()
    assert rows["q_value"] == expected["q_value"].tolist()
    with pytest.raises(KeyError, match="no column"):
        codes.select(["absent"])


def test_contrast_arrays_match_the_explain_table() -> None:
    texts = ["chest tube in place", "lungs clear", "chest tube and line", "no effusion", "tube tip low"] * 4
    explainer = TfidfContrastExplainer(top_k=4).fit(texts)
    members = np.array([i % 5 in (0, 2) for i in range(20)])
    reference = ~members
    table = explainer.explain(None, members, reference)
    tokens, scores, slice_means, reference_means = explainer.contrast(None, members, reference)
    assert tokens.tolist() == table["token"].tolist()
    assert scores.tolist() == table["score"].tolist()
    assert (slice_means - reference_means).tolist() == (
        table["slice_mean"] - table["reference_mean"]
    ).tolist()
    # ties in score go to the alphabetically earlier token, as sorting by the strings does
    matrix = explainer.matrix_
    score = np.abs(matrix[members].mean(axis=0).A1 - matrix[reference].mean(axis=0).A1)
    order = np.lexsort((explainer.vocabulary_, -score))
    assert tokens.tolist() == explainer.vocabulary_[order][: len(tokens)].astype(str).tolist()


def test_phrase_rank_arrays_match_the_explain_table_and_ties_go_alphabetically() -> None:
    phrases = ["zeta", "alpha", "mid", "beta"]
    embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # three phrases tie
    explainer = PhraseRankingExplainer.from_candidates(phrases, embeddings, top_k=3)
    samples = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
    membership = np.array([0.9, 0.9, 0.9, 0.0, 0.0, 0.0])
    table = explainer.explain(samples, membership)
    ranked, scores = explainer.rank(samples, membership)
    assert ranked.tolist() == table["phrase"].tolist() == ["alpha", "beta", "zeta"]
    assert scores.tolist() == table["score"].tolist()


def test_tfidf_fits_are_reused_for_the_same_texts_and_change_nothing() -> None:
    explain_audit._fit_cache.clear()
    texts = {"report": ["chest tube in place", "lungs clear", "tube tip low"] * 3, "metadata": ["x ray"] * 9}
    first = explain_audit._fitted_explainers(texts, top_k=3)
    again = explain_audit._fitted_explainers({k: list(v) for k, v in texts.items()}, top_k=3)
    assert again["report"] is first["report"]
    fresh = TfidfContrastExplainer(top_k=3).fit(texts["report"])
    assert (first["report"].matrix_ != fresh.matrix_).nnz == 0
    assert first["report"].vocabulary_.tolist() == fresh.vocabulary_.tolist()
    # other texts, or another top_k, are another fit
    assert explain_audit._fitted_explainers(texts, top_k=2)["report"] is not first["report"]
    assert "metadata" in first  # "x ray" keeps "ray"
    empty = explain_audit._fitted_explainers({"report": ["a", "b"]}, top_k=3)
    assert empty == {}  # no token of two letters: nothing to say, cached as such
    assert explain_audit._fitted_explainers({"report": ["a", "b"]}, top_k=3) == {}
