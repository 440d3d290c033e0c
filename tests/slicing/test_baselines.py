"""ErrorClusterSlicer, SpotlightSlicer and AttributeBaseline."""

from __future__ import annotations

import numpy as np
import pytest

from medslice.slicing import (
    AttributeBaseline,
    ErrorClusterSlicer,
    SliceDiscoveryWarning,
    SpotlightSlicer,
)
from medslice.slicing.spotlight import kernel_weights, spotlight_objective

from .planted import planted_audit_set, precision_at_k


@pytest.fixture(scope="module")
def audit():
    return planted_audit_set(n_samples=400, n_dims=8, slice_size=30, seed=0)


def test_error_cluster_ranks_planted_cluster_first(audit):
    slicer = ErrorClusterSlicer(n_slices=2, n_components=4, n_pca_components=None, random_state=0).fit(
        audit.embeddings, audit.targets, audit.predictions
    )
    membership = slicer.predict_proba(audit.embeddings)
    assert membership.shape == (400, 2) and slicer.n_slices_ == 2
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0
    scores = slicer.cluster_scores_[slicer.slice_indices_]
    assert scores[0] >= scores[1]
    np.testing.assert_allclose(slicer.cluster_scores_, slicer.cluster_sizes_ * slicer.cluster_error_rates_)
    # The planted cluster is all errors, so its error rate is far above the 5% background.
    assert slicer.cluster_error_rates_[slicer.slice_indices_[0]] > 0.8
    hard = slicer.predict(audit.embeddings)
    np.testing.assert_array_equal(hard, (membership > 0.5).astype(int))


def test_error_cluster_with_few_errors_fits_fewer_components(audit):
    predictions = audit.targets.copy()
    predictions[:2] = 1 - predictions[:2]
    with pytest.warns(SliceDiscoveryWarning, match="only 2 misclassified cases for 5 components"):
        slicer = ErrorClusterSlicer(n_slices=5, n_pca_components=None, random_state=0).fit(
            audit.embeddings, audit.targets, predictions
        )
    assert slicer.n_slices_ == 2 and slicer.predict_proba(audit.embeddings).shape == (400, 2)


def test_error_cluster_with_one_error_reports_zero_slices(audit):
    predictions = audit.targets.copy()
    predictions[0] = 1 - predictions[0]
    with pytest.warns(SliceDiscoveryWarning, match="only 1 misclassified case; a mixture needs"):
        slicer = ErrorClusterSlicer(n_pca_components=None).fit(audit.embeddings, audit.targets, predictions)
    assert slicer.n_slices_ == 0 and slicer.predict_proba(audit.embeddings).shape == (400, 0)


def test_error_cluster_without_errors_reports_zero_slices(audit):
    with pytest.warns(SliceDiscoveryWarning, match="no sample is misclassified"):
        slicer = ErrorClusterSlicer(n_pca_components=None).fit(audit.embeddings, audit.targets, audit.targets)
    assert slicer.mixture_ is None and slicer.predict_proba(audit.embeddings).shape == (400, 0)


@pytest.mark.parametrize("precision", ["spherical", "diag"])
def test_spotlight_finds_planted_slice(audit, precision):
    slicer = SpotlightSlicer(
        n_slices=2, spotlight_size=20, precision=precision, num_steps=300, n_pca_components=None
    ).fit(audit.embeddings, audit.targets, audit.predictions)
    membership = slicer.predict_proba(audit.embeddings)
    assert membership.shape == (400, 2)
    assert np.all((membership >= 0) & (membership <= 1))
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0
    # The size barrier holds: the first spotlight keeps at least about its minimum weight.
    assert slicer.total_weights_[0] >= 19.0
    # Unnormalised weights: the spotlight centre has weight near 1, so thresholding finds members
    # (normalised weights, which sum to 1, would never pass 0.5 here).
    members = slicer.predict(audit.embeddings)[:, 0].astype(bool)
    assert members.any() and audit.in_slice[members].all()
    np.testing.assert_array_equal(slicer.predict(audit.embeddings), membership > 0.5)


def test_spotlight_is_deterministic_and_moves_away_from_earlier_spotlights(audit):
    args = (audit.embeddings, audit.targets, audit.predictions)
    params = {"n_slices": 2, "spotlight_size": 0.05, "num_steps": 200, "n_pca_components": None}
    first = SpotlightSlicer(**params).fit(*args)
    again = SpotlightSlicer(**params).fit(*args)
    np.testing.assert_array_equal(first.means_, again.means_)
    # Losses under the first spotlight are discounted, so the second one looks elsewhere.
    assert first.weighted_losses_[1] < first.weighted_losses_[0]
    assert np.linalg.norm(first.means_[1] - first.means_[0]) > 1.0


def test_spotlight_validates_size(audit):
    with pytest.raises(ValueError, match="spotlight_size must give between 0 and 400"):
        SpotlightSlicer(spotlight_size=500, n_pca_components=None).fit(
            audit.embeddings, audit.targets, audit.predictions
        )


def test_attribute_baseline_hand_computed_case():
    targets = np.array([0, 0, 1, 1, 0, 1])
    preds = np.array([1, 0, 0, 1, 1, 1])  # errors at 0, 2 and 4
    attribute = np.array([1, 0, 0, 1, 1, 0])  # carried by errors 0 and 4
    assert AttributeBaseline().score(attribute, targets, preds) == pytest.approx(2 / 3)
    soft = np.array([0.9, 0.2, 0.4, 0.7, 0.6, 0.8])  # same decisions at threshold 0.5
    assert AttributeBaseline().score(attribute.astype(bool), targets, soft) == pytest.approx(2 / 3)


def test_attribute_baseline_edge_cases():
    with pytest.warns(SliceDiscoveryWarning, match="no sample is misclassified"):
        assert np.isnan(AttributeBaseline().score(np.ones(3), np.array([0, 1, 0]), [0, 1, 0]))
    with pytest.raises(ValueError, match="attribute must be boolean or 0/1"):
        AttributeBaseline().score(np.array([0, 2, 1]), np.array([0, 1, 0]), [1, 1, 0])
    with pytest.raises(ValueError, match="targets has 2 rows but attribute has 3"):
        AttributeBaseline().score(np.array([0, 1, 1]), np.array([0, 1]), [1, 1, 0])


@pytest.mark.parametrize(("n_precisions", "barrier_active"), [(1, True), (8, True), (8, False)])
def test_spotlight_gradient_matches_finite_differences(audit, n_precisions, barrier_active):
    rng = np.random.default_rng(0)
    x = audit.embeddings / audit.embeddings.std()
    losses = rng.random(400)
    params = np.concatenate([0.3 * rng.normal(size=8), np.log(rng.uniform(0.05, 0.3, n_precisions))])
    # With the whole set as reach the barrier is active; a tiny floor switches it off.
    settings = {
        "min_weight": 100.0 if barrier_active else 1.0,
        "barrier_reach": 300.0 if barrier_active else 1.0,
        "barrier_scale": 1.0,
    }
    objective, gradient = spotlight_objective(x, losses, params, **settings)
    total = kernel_weights(x, params[:8], np.broadcast_to(np.exp(params[8:]), (8,))).sum()
    assert (total < settings["min_weight"] + settings["barrier_reach"]) == barrier_active
    step = 1e-6
    numeric = np.empty_like(params)
    for i in range(params.size):
        shift = np.zeros_like(params)
        shift[i] = step
        upper = spotlight_objective(x, losses, params + shift, **settings)[0]
        lower = spotlight_objective(x, losses, params - shift, **settings)[0]
        numeric[i] = (upper - lower) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)
    assert np.isfinite(objective)


def test_error_cluster_is_reproducible_with_its_random_state(audit):
    args = (audit.embeddings, audit.targets, audit.predictions)
    settings = {"n_slices": 2, "n_components": 6, "n_pca_components": None}
    first = ErrorClusterSlicer(**settings, random_state=3).fit(*args).predict_proba(audit.embeddings)
    again = ErrorClusterSlicer(**settings, random_state=3).fit(*args).predict_proba(audit.embeddings)
    np.testing.assert_array_equal(first, again)
    others = [
        ErrorClusterSlicer(**settings, random_state=seed).fit(*args).predict_proba(audit.embeddings)
        for seed in (4, 5, 6)
    ]
    assert any(not np.allclose(first, other) for other in others)
