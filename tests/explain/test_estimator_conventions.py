"""The explainers and the attribute baseline follow scikit-learn's estimator conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from medslice.explain import AttributeEnrichment, PhraseRankingExplainer, TfidfContrastExplainer
from medslice.slicing import AttributeBaseline

ESTIMATORS = [
    TfidfContrastExplainer(top_k=3, max_features=50),
    PhraseRankingExplainer(None, top_k=2, min_df=1),
    AttributeEnrichment(alpha=0.01),
    AttributeBaseline(),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_parameters_are_stored_as_given_and_clone_copies_them(estimator: object) -> None:
    params = estimator.get_params()
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == params
    if params:
        name = sorted(params)[-1]
        assert copy.set_params(**{name: params[name]}) is copy


def test_fit_returns_self_and_fitted_attributes_end_in_underscore() -> None:
    explainer = TfidfContrastExplainer(top_k=np.int64(2))  # numpy integers are integers
    assert explainer.fit(["pleural effusion", "chest tube", "normal heart"]) is explainer
    assert {"vectorizer_", "vocabulary_", "matrix_"} <= set(vars(explainer))
    enrichment = AttributeEnrichment()
    assert enrichment.fit() is enrichment
    with pytest.raises(ValueError, match="alpha must lie in"):
        AttributeEnrichment(alpha=1.5).fit()


def test_enrichment_refuses_a_single_column_name_given_as_a_string() -> None:
    attributes = pd.DataFrame({"view": ["frontal", "lateral", "frontal", "lateral"]})
    with pytest.raises(TypeError, match="list of column names"):
        AttributeEnrichment().explain(attributes, [1, 1, 0, 0], columns="view")


def test_phrase_ranking_refuses_values_that_would_rank_as_nan() -> None:
    bank = PhraseRankingExplainer.from_candidates(["tube", "line"], np.eye(2), top_k=1)
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    assert bank.explain(embeddings, [0.9, 0.1, 0.2])["phrase"].tolist() == ["tube"]
    with pytest.raises(ValueError, match="embeddings contains NaN"):
        bank.explain(np.where(np.eye(3, 2) == 1, np.nan, 0.0), [0.9, 0.1, 0.2])
    with pytest.raises(ValueError, match="slice_membership contains NaN"):
        bank.explain(embeddings, [0.9, np.nan, 0.2])
    with pytest.raises(ValueError, match="candidate_embeddings contains NaN"):
        PhraseRankingExplainer.from_candidates(["tube", "line"], [[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="repeat phrase"):
        PhraseRankingExplainer.from_candidates(["tube", "tube"], np.eye(2))
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        PhraseRankingExplainer.from_candidates(["tube", "line"], np.eye(2), top_k=0)
