"""DominoSlicer on planted slices: recovery, determinism, soft/hard and multi-class inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from medslice.slicing import DominoSlicer

from .planted import planted_audit_set, precision_at_k

SMALL = {"n_mixture_components": 8, "n_slices": 3, "n_pca_components": None, "random_state": 0}


@pytest.fixture(scope="module")
def audit():
    return planted_audit_set(n_samples=400, n_dims=8, slice_size=30, seed=0)


def test_recovers_planted_slice_in_top_slice(audit):
    slicer = DominoSlicer(**SMALL).fit(audit.embeddings, audit.targets, audit.predictions)
    # EM stops when the mean log-normaliser settles, well before max_iter on well-separated data
    assert slicer.converged_ and slicer.n_iter_ < slicer.max_iter
    membership = slicer.predict_proba(audit.embeddings, audit.targets, audit.predictions)
    assert membership.shape == (400, 3)
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0
    # The top slice is the false-positive component: all targets 0, all predictions 1.
    top = slicer.slice_indices_[0]
    np.testing.assert_allclose(slicer.y_probs_[top], [1.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(slicer.y_hat_probs_[top], [0.0, 1.0], atol=1e-3)


def test_default_pca_path_recovers_slice_in_wide_embeddings():
    audit = planted_audit_set(n_samples=400, n_dims=40, slice_size=30, seed=3)
    slicer = DominoSlicer(n_slices=3, n_mixture_components=8, n_pca_components=16, random_state=0)
    membership = slicer.fit(audit.embeddings, audit.targets, audit.predictions).predict_proba(
        audit.embeddings, audit.targets, audit.predictions
    )
    assert slicer.pca_ is not None and slicer.pca_.n_components_ == 16
    assert slicer.means_.shape == (8, 16)
    assert precision_at_k(membership, audit.in_slice).max() == 1.0


def test_predict_proba_is_unnormalised_subset_of_posterior(audit):
    slicer = DominoSlicer(**SMALL).fit(audit.embeddings, audit.targets, audit.predictions)
    proba = slicer.predict_proba(audit.embeddings, audit.targets, audit.predictions)
    assert np.all(proba >= 0) and np.all(proba.sum(axis=1) <= 1 + 1e-9)
    assert np.any(proba.sum(axis=1) < 0.5)  # the rest of the mass sits on unselected components
    hard = slicer.predict(audit.embeddings, audit.targets, audit.predictions)
    # members are the samples above 0.5, as every metric counts them: some belong to no slice
    assert hard.dtype.kind == "i"
    np.testing.assert_array_equal(hard, (proba > 0.5).astype(int))
    assert np.any(hard.sum(axis=1) == 0) and np.all(hard.sum(axis=1) <= 1)


def test_same_random_state_gives_identical_results(audit):
    args = (audit.embeddings, audit.targets, audit.predictions)
    params = {**SMALL, "init_params": "random", "random_state": 7}
    first = DominoSlicer(**params).fit(*args)
    second = clone(first).fit(*args)
    np.testing.assert_array_equal(first.means_, second.means_)
    np.testing.assert_array_equal(first.predict_proba(*args), second.predict_proba(*args))
    other = DominoSlicer(**{**params, "random_state": 8}).fit(*args)
    assert not np.array_equal(first.means_, other.means_)


def test_soft_and_hard_predictions(audit):
    args = (audit.embeddings, audit.targets)
    hard_1d = DominoSlicer(**SMALL).fit(*args, audit.predictions)
    one_hot = np.eye(2)[audit.predictions]
    hard_2d = DominoSlicer(**SMALL).fit(*args, one_hot)
    np.testing.assert_allclose(hard_1d.means_, hard_2d.means_)
    # Confident but soft probabilities take the separate soft-likelihood path and still find the slice.
    soft = np.where(audit.predictions == 1, 0.9, 0.1)
    soft_slicer = DominoSlicer(**SMALL).fit(*args, soft)
    membership = soft_slicer.predict_proba(*args, soft)
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0
    assert not np.allclose(soft_slicer.y_hat_probs_, hard_1d.y_hat_probs_)


def test_multiclass_slice_recovery():
    audit = planted_audit_set(n_samples=450, n_dims=8, slice_size=30, n_classes=3, seed=2)
    args = (audit.embeddings, audit.targets, np.eye(3)[audit.predictions])
    slicer = DominoSlicer(**{**SMALL, "n_mixture_components": 10})
    membership = slicer.fit(*args).predict_proba(*args)
    assert slicer.y_probs_.shape == (10, 3)
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0
    top = slicer.slice_indices_[0]
    assert slicer.y_probs_[top].argmax() == 0 and slicer.y_hat_probs_[top].argmax() == 2


def test_float32_matches_float64(audit):
    args = (audit.embeddings, audit.targets, audit.predictions)
    exact = DominoSlicer(**SMALL).fit(*args)
    fast = DominoSlicer(**SMALL, dtype="float32").fit(*args)
    np.testing.assert_array_equal(exact.slice_indices_, fast.slice_indices_)
    np.testing.assert_allclose(fast.predict_proba(*args), exact.predict_proba(*args), atol=1e-3)


def test_full_covariance_recovers_slice(audit):
    slicer = DominoSlicer(**SMALL, covariance_type="full")
    args = (audit.embeddings, audit.targets, audit.predictions)
    membership = slicer.fit(*args).predict_proba(*args)
    assert slicer.covariances_.shape == (8, 8, 8)
    assert precision_at_k(membership, audit.in_slice)[0] == 1.0


def test_components_rank_by_the_absolute_value_of_the_largest_class_difference():
    # docs/reference.md §2: max over classes first, absolute value after. With three classes the two orders
    # disagree: component 0's differences (+0.1, -0.6, +0.5) give |0.5|, component 1's (+0.3, -0.2, -0.1)
    # give |0.3|, component 2's (-0.05, -0.05, +0.1) give |0.1|; abs-then-max would put component 0 at 0.6.
    slicer = DominoSlicer(n_slices=2, n_mixture_components=3)
    slicer.y_probs_ = np.array([[0.3, 0.6, 0.1], [0.2, 0.5, 0.3], [0.35, 0.35, 0.3]])
    differences = np.array([[0.1, -0.6, 0.5], [0.3, -0.2, -0.1], [-0.05, -0.05, 0.1]])
    slicer.y_hat_probs_ = slicer.y_probs_ + differences
    assert slicer._rank_components().tolist() == [0, 1, 2]
    differences[1] = [0.55, -0.2, -0.35]  # now component 1 leads with 0.55 > 0.5
    slicer.y_hat_probs_ = slicer.y_probs_ + differences
    assert slicer._rank_components().tolist() == [1, 0, 2]
