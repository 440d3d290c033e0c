"""DominoSlicer's n_init: EM from several initialisations drawn from one random state, the best kept."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from medslice.slicing import DominoSlicer, domino
from medslice.slicing.error_aware_mixture import EMResult, prepare_data, run_em
from medslice.slicing.initialization import initial_responsibilities
from medslice.slicing.per_bootstrap import (
    build_slicer,
    check_slicer_settings,
    discover_per_bootstrap,
    fuse_bootstraps,
)
from medslice.slicing.projection import fit_pca, project
from medslice.slicing.validation import labels_and_predictions

from .planted import planted_audit_set

# Random initialisation on wide embeddings: starts end in visibly different local optima.
SETTINGS = {
    "n_slices": 3,
    "n_mixture_components": 8,
    "n_pca_components": 16,
    "init_params": "random",
}


@pytest.fixture(scope="module")
def audit():
    planted = planted_audit_set(n_samples=400, n_dims=40, slice_size=30, seed=3)
    return planted.embeddings, planted.targets, planted.predictions


def single_fit_by_hand(
    embeddings: np.ndarray, targets: np.ndarray, preds: np.ndarray, seed: int, init_params: str
) -> EMResult:
    """The one-initialisation fit spelled out: PCA, centring, one initialisation, one EM run."""
    random_state = check_random_state(seed)
    y, y_hat = labels_and_predictions(targets, preds, embeddings.shape[0])
    reduced = project(fit_pca(embeddings, 16, random_state), embeddings)
    data = prepare_data(reduced - reduced.mean(axis=0), y, y_hat, "diag", np.dtype("float64"))
    init = initial_responsibilities(init_params, data.z, y, y_hat, n_components=8, random_state=random_state)
    return run_em(data, init, gamma=10.0, gamma_hat=10.0, max_iter=100, tol=1e-3, reg_covar=1e-6)


@pytest.mark.parametrize("init_params", ["kmeans", "random", "confusion"])
def test_one_init_is_the_single_em_run_bit_for_bit(audit, init_params):
    slicer = DominoSlicer(**{**SETTINGS, "init_params": init_params, "random_state": 11}).fit(*audit)
    by_hand = single_fit_by_hand(*audit, seed=11, init_params=init_params)
    assert slicer.n_init == 1 and slicer.best_init_ == 0
    assert slicer.init_lower_bounds_.tolist() == [by_hand.lower_bound] == [slicer.lower_bound_]
    assert slicer.n_iter_ == by_hand.n_iter
    assert slicer.weights_.tobytes() == by_hand.parameters.weights.tobytes()
    assert slicer.covariances_.tobytes() == by_hand.parameters.covariances.tobytes()
    assert slicer.y_hat_probs_.tobytes() == by_hand.parameters.y_hat_probs.tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_more_starts_never_keep_a_lower_bound_below_the_first_start(audit, seed):
    one = DominoSlicer(**SETTINGS, random_state=seed).fit(*audit)
    five = DominoSlicer(**SETTINGS, n_init=5, random_state=seed).fit(*audit)
    # The first of five starts is the single start: the same draws from the same random state.
    assert five.init_lower_bounds_[0] == one.lower_bound_
    assert five.lower_bound_ == five.init_lower_bounds_.max() >= one.lower_bound_
    assert five.init_lower_bounds_[five.best_init_] == five.lower_bound_
    # The starts are different initialisations, not one start repeated.
    assert len(np.unique(five.init_lower_bounds_)) > 1
    # Starts are drawn in sequence: three starts are the first three of five.
    three = DominoSlicer(**SETTINGS, n_init=3, random_state=seed).fit(*audit)
    np.testing.assert_array_equal(three.init_lower_bounds_, five.init_lower_bounds_[:3])


def test_the_kept_start_is_the_first_with_the_largest_bound(audit, monkeypatch):
    bounds = iter([-3.0, -1.0, -2.0, -1.0])
    fitted_means = []

    def run_em_with_set_bounds(*args, **kwargs) -> EMResult:
        result = run_em(*args, **kwargs)
        fitted_means.append(result.parameters.means)
        return EMResult(result.parameters, result.n_iter, result.converged, next(bounds))

    monkeypatch.setattr(domino, "run_em", run_em_with_set_bounds)
    slicer = DominoSlicer(**SETTINGS, n_init=4, random_state=0).fit(*audit)
    assert slicer.best_init_ == 1 and slicer.lower_bound_ == -1.0
    np.testing.assert_array_equal(slicer.init_lower_bounds_, [-3.0, -1.0, -2.0, -1.0])
    # The mixture returned is the kept start's, not the last one run.
    np.testing.assert_array_equal(slicer.means_ - slicer.center_, fitted_means[1])
    assert not np.array_equal(fitted_means[1], fitted_means[3])


def test_same_seed_gives_identical_bytes_with_several_starts(audit):
    first = DominoSlicer(**SETTINGS, n_init=4, random_state=5).fit(*audit)
    second = DominoSlicer(**SETTINGS, n_init=4, random_state=5).fit(*audit)
    assert first.init_lower_bounds_.tobytes() == second.init_lower_bounds_.tobytes()
    assert first.means_.tobytes() == second.means_.tobytes()
    assert first.predict_proba(*audit).tobytes() == second.predict_proba(*audit).tobytes()
    other = DominoSlicer(**SETTINGS, n_init=4, random_state=6).fit(*audit)
    assert not np.array_equal(first.init_lower_bounds_, other.init_lower_bounds_)


def test_a_given_initialisation_runs_once_whatever_n_init(audit):
    resp = np.random.default_rng(0).uniform(size=(400, 8))
    once = DominoSlicer(**{**SETTINGS, "init_params": resp}, random_state=0).fit(*audit)
    thrice = DominoSlicer(**{**SETTINGS, "init_params": resp}, n_init=3, random_state=0).fit(*audit)
    assert len(thrice.init_lower_bounds_) == 1
    assert thrice.means_.tobytes() == once.means_.tobytes()


@pytest.mark.parametrize("n_init", [1, 3])
def test_a_kept_fit_that_did_not_converge_warns_and_is_recorded(audit, n_init):
    with pytest.warns(ConvergenceWarning, match="did not converge within max_iter=1") as caught:
        slicer = DominoSlicer(**SETTINGS, n_init=n_init, max_iter=1, random_state=0).fit(*audit)
    assert not slicer.converged_ and slicer.n_iter_ == 1
    assert len([w for w in caught if issubclass(w.category, ConvergenceWarning)]) == 1
    assert len(slicer.warnings_) == 1 and "did not converge" in slicer.warnings_[0]
    assert ("best of 3 initialisations" in slicer.warnings_[0]) == (n_init == 3)
    assert slicer.n_slices_ == 3  # the slices of an unconverged fit are still reported


def test_a_converged_fit_does_not_warn(audit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        slicer = DominoSlicer(**SETTINGS, n_init=2, random_state=0).fit(*audit)
    assert slicer.converged_ and slicer.warnings_ == []


@pytest.mark.parametrize(
    ("n_init", "error", "message"),
    [
        (0, ValueError, "n_init must be >= 1; got 0"),
        (-2, ValueError, "n_init must be >= 1; got -2"),
        (2.0, TypeError, "n_init must be an integer; got 2.0"),
        ("3", TypeError, "n_init must be an integer; got '3'"),
        (True, TypeError, "n_init must be an integer; got True"),
    ],
)
def test_bad_n_init_is_refused_before_fitting(audit, n_init, error, message):
    with pytest.raises(error, match=message):
        DominoSlicer(**SETTINGS, n_init=n_init).fit(*audit)
    with pytest.raises(error, match=message):
        check_slicer_settings({"method": "domino", "n_init": n_init})


def test_build_slicer_passes_n_init_to_domino_only(caplog: pytest.LogCaptureFixture) -> None:
    assert build_slicer({"method": "domino", "n_init": 3}, random_state=0).n_init == 3
    for method in ("error_cluster", "spotlight"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="medslice.slicing.per_bootstrap"):
            slicer = build_slicer({"method": method, "n_init": 3}, random_state=0)
        assert "n_init" not in slicer.get_params()
        assert f"slicer {method} ignores ['n_init']" in caplog.text


def test_per_bootstrap_summaries_carry_the_convergence_warning(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(0)
    n = 80
    target = rng.integers(0, 2, 2 * n)
    pred = np.where(rng.random(2 * n) < 0.2, 1 - target, target)
    predictions = pd.DataFrame(
        {
            "dicom_id": [f"d{i:03d}" for i in range(2 * n)],
            "bootstrap": np.repeat([0, 1], n),
            "target": target,
            "pred": pred,
        }
    )
    fused = fuse_bootstraps(predictions, {"image": rng.normal(size=(2 * n, 16))}, max_components=8)
    slicer = {"method": "domino", "n_slices": 2, "n_mixture_components": 4, "n_init": 2, "max_iter": 1}
    with caplog.at_level(logging.WARNING, logger="medslice.slicing.per_bootstrap"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, summary = discover_per_bootstrap(fused, predictions, slicer, seed=0)
    assert set(summary["bootstrap"]) == {0, 1}
    assert summary["warning"].str.contains("best of 2 initialisations did not converge").all()
    assert {r.getMessage().split(":")[0] for r in caplog.records if "converge" in r.getMessage()} == {
        "slice discovery, bootstrap 0",
        "slice discovery, bootstrap 1",
    }
