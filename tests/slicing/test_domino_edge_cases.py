"""DominoSlicer's degenerate inputs and input validation: clear outcomes, messages naming arguments."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from medslice.slicing import DominoSlicer, SliceDiscoveryWarning, summarize_slices

SMALL = {"n_mixture_components": 4, "n_slices": 2, "n_pca_components": None, "random_state": 0}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(60, 3))
    targets = rng.integers(0, 2, 60)
    preds = targets.copy()
    preds[:6] = 1 - preds[:6]
    return z, targets, preds


def test_no_misclassified_case_gives_zero_slices_and_a_warning(data):
    z, targets, _ = data
    with pytest.warns(SliceDiscoveryWarning, match="no sample is misclassified"):
        slicer = DominoSlicer(**SMALL).fit(z, targets, targets)
    assert slicer.n_slices_ == 0 and slicer.slice_indices_.size == 0
    assert any("misclassified" in message for message in slicer.warnings_)
    assert slicer.means_.shape == (4, 3)  # the mixture itself is still fitted
    assert slicer.predict_proba(z, targets, targets).shape == (60, 0)
    assert slicer.predict(z, targets, targets).shape == (60, 0)
    assert summarize_slices(slicer.predict_proba(z, targets, targets), targets, targets).empty


def test_single_class_targets_gives_zero_slices_and_a_warning(data):
    z, _, preds = data
    targets = np.zeros(60, dtype=int)
    with pytest.warns(SliceDiscoveryWarning, match="single class"):
        slicer = DominoSlicer(**SMALL).fit(z, targets, preds)
    assert slicer.n_slices_ == 0 and len(slicer.warnings_) == 1


def test_warnings_are_reset_between_fits(data):
    z, targets, preds = data
    slicer = DominoSlicer(**SMALL)
    with pytest.warns(SliceDiscoveryWarning):
        slicer.fit(z, targets, targets)
    slicer.fit(z, targets, preds)
    assert slicer.warnings_ == [] and slicer.n_slices_ == 2


def test_fewer_samples_than_components_names_both_numbers(data):
    z, targets, preds = data
    with pytest.raises(ValueError, match=r"10 samples, fewer than n_mixture_components \(20\)"):
        DominoSlicer(n_pca_components=None).fit(z[:10], targets[:10], preds[:10])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda z, t, p: (np.where(np.arange(180).reshape(60, 3) % 61 == 0, np.nan, z), t, p),
            "embeddings contains 3 NaN or infinite values",
        ),
        (lambda z, t, p: (z[:, 0], t, p), "embeddings must be a 2-D array"),
        (lambda z, t, p: (z.astype(str), t, p), "embeddings must hold real numbers"),
        (lambda z, t, p: (z, t[:59], p), "targets has 59 rows but embeddings has 60"),
        (lambda z, t, p: (z, t, p[:50]), "pred_probs has 50 rows but embeddings has 60"),
        (lambda z, t, p: (z, t + 0.5, p), "targets must be integer class labels"),
        (lambda z, t, p: (z, t * 2, p), r"targets must be class labels in \[0, 2\)"),
        (lambda z, t, p: (z, t, p * 1.5), r"pred_probs must lie in \[0, 1\]"),
        (lambda z, t, p: (z, t, np.full((60, 2), 0.7)), "pred_probs rows must sum to 1; 60 rows"),
        (lambda z, t, p: (z, np.full((60, 2), 0.5), p), "targets given as a 2-D array must be one-hot"),
        (
            lambda z, t, p: (z, t, np.where(np.arange(60) == 3, np.inf, p)),
            "pred_probs contains 1 NaN or infinite values",
        ),
    ],
)
def test_input_validation_names_the_argument(data, mutate, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DominoSlicer(**SMALL).fit(*mutate(*data))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_slices": 5}, r"n_slices \(5\) cannot exceed n_mixture_components \(4\)"),
        ({"init_params": "spectral"}, "init_params must be one of"),
        ({"covariance_type": "tied"}, "covariance_type must be one of"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"y_log_likelihood_weight": -1.0}, "y_log_likelihood_weight must be a finite number"),
        ({"init_params": np.ones((5, 4))}, r"shape \(n_samples, n_mixture_components\) = \(60, 4\)"),
    ],
)
def test_parameter_validation(data, params, message):
    with pytest.raises(ValueError, match=message):
        DominoSlicer(**{**SMALL, **params}).fit(*data)


def test_predict_needs_fit_and_matching_width(data):
    z, targets, preds = data
    with pytest.raises(NotFittedError):
        DominoSlicer().predict_proba(z, targets, preds)
    slicer = DominoSlicer(**SMALL).fit(z, targets, preds)
    with pytest.raises(ValueError, match="embeddings has 2 features but the slicer was fitted on 3"):
        slicer.predict_proba(z[:, :2], targets, preds)
    with pytest.raises(ValueError, match="pred_probs implies 3 classes"):
        slicer.predict_proba(z, targets, np.eye(3)[targets])
