"""DominoSlicer's vectorised EM against a plain, loop-per-component reference EM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from medslice.slicing import DominoSlicer, error_aware_mixture
from medslice.slicing.initialization import initial_responsibilities

EPS = np.finfo(np.float64).eps


def reference_em(
    z: np.ndarray,
    y: np.ndarray,
    y_hat: np.ndarray,
    resp: np.ndarray,
    *,
    n_iter: int,
    gamma: float,
    gamma_hat: float,
    reg_covar: float,
    covariance_type: str,
) -> list[dict]:
    """Obviously-correct EM of docs/reference.md §2: explicit sums, one component at a time."""
    n_samples, n_dims = z.shape
    n_components = resp.shape[1]

    def m_step(resp):
        n_k = resp.sum(axis=0) + 10 * EPS
        params = []
        for k in range(n_components):
            r = resp[:, k]
            mean = (r[:, None] * z).sum(axis=0) / n_k[k]
            diff = z - mean
            if covariance_type == "diag":
                cov = np.diag((r[:, None] * diff**2).sum(axis=0) / n_k[k] + reg_covar)
            else:
                cov = (r[:, None, None] * np.einsum("ni,nj->nij", diff, diff)).sum(axis=0) / n_k[k]
                cov += reg_covar * np.eye(n_dims)
            params.append(
                {
                    "weight": n_k[k] / n_samples,
                    "mean": mean,
                    "cov": cov,
                    "p": (r[:, None] * y).sum(axis=0) / n_k[k],
                    "p_hat": (r[:, None] * y_hat).sum(axis=0) / n_k[k],
                }
            )
        return params

    params = m_step(resp)
    for _ in range(n_iter):
        params = m_step(reference_posterior(z, y, y_hat, params, gamma=gamma, gamma_hat=gamma_hat))
    return params


def reference_posterior(
    z: np.ndarray, y: np.ndarray, y_hat: np.ndarray, params: list[dict], *, gamma: float, gamma_hat: float
) -> np.ndarray:
    """The E-step of docs/reference.md §2, one component at a time: responsibilities (n, K)."""
    log_w = np.empty((z.shape[0], len(params)))
    for k, comp in enumerate(params):
        log_w[:, k] = (
            np.log(comp["weight"])
            + multivariate_normal(comp["mean"], comp["cov"]).logpdf(z)
            + gamma * np.log(y @ comp["p"] + EPS)
            + gamma_hat * np.log(y_hat @ comp["p_hat"] + EPS)
        )
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    return w / w.sum(axis=1, keepdims=True)


def shifted(params: list[dict], offset: float) -> list[dict]:
    """The same mixture for data moved by ``offset``: only the means move."""
    return [{**component, "mean": component["mean"] + offset} for component in params]


def _data(n_classes: int, soft: bool, seed: int = 1):
    rng = np.random.default_rng(seed)
    n = 150
    z = rng.normal(size=(n, 3)) + rng.integers(0, 3, size=(n, 1)) * 2.0
    labels = rng.integers(0, n_classes, n)
    preds = np.where(rng.random(n) < 0.2, (labels + 1) % n_classes, labels)
    y = np.eye(n_classes)[labels]
    if soft:
        y_hat = rng.dirichlet(np.ones(n_classes), n) * 0.5 + np.eye(n_classes)[preds] * 0.5
    else:
        y_hat = np.eye(n_classes)[preds]
    resp = rng.random((n, 5))
    return z, labels, y, y_hat, resp


# EM is stopped after a fixed number of iterations on purpose (tol=0): it never converges.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("covariance_type", "n_classes", "soft", "gamma", "gamma_hat"),
    [
        ("diag", 2, False, 10.0, 4.0),
        ("diag", 2, False, 1.0, 0.5),
        ("diag", 3, True, 1.0, 0.5),
        ("full", 3, False, 1.0, 0.5),
    ],
)
def test_em_matches_reference_after_10_iterations(covariance_type, n_classes, soft, gamma, gamma_hat):
    # Small gammas keep the Gaussian and mixing terms decisive; gamma = 10 makes components label-pure.
    z, labels, y, y_hat, resp = _data(n_classes, soft)
    slicer = DominoSlicer(
        n_slices=2,
        n_mixture_components=5,
        y_log_likelihood_weight=gamma,
        y_hat_log_likelihood_weight=gamma_hat,
        init_params=resp,
        covariance_type=covariance_type,
        n_pca_components=None,
        max_iter=10,
        tol=0.0,
    ).fit(z, labels, y_hat)
    start_resp = resp / resp.sum(axis=1, keepdims=True)
    settings = {"gamma": gamma, "gamma_hat": gamma_hat, "reg_covar": 1e-6}
    expected = reference_em(z, y, y_hat, start_resp, n_iter=10, covariance_type=covariance_type, **settings)
    assert slicer.n_iter_ == 10 and not slicer.converged_
    covariances = slicer.covariances_
    if covariance_type == "diag":
        covariances = np.stack([np.diag(c) for c in covariances])
    checks = {
        "weights_": (slicer.weights_, [c["weight"] for c in expected]),
        "means_": (slicer.means_, [c["mean"] for c in expected]),
        "covariances_": (covariances, [c["cov"] for c in expected]),
        "y_probs_": (slicer.y_probs_, [c["p"] for c in expected]),
        "y_hat_probs_": (slicer.y_hat_probs_, [c["p_hat"] for c in expected]),
    }
    for name, (got, want) in checks.items():
        assert np.max(np.abs(np.asarray(got) - np.asarray(want))) < 1e-6, name
    # predict_proba is the posterior of the fitted mixture, restricted to the slice columns. The data sit
    # away from the origin, so a prediction that forgot to centre like the fit would not match.
    posterior = reference_posterior(
        z + 5.0, y, y_hat, shifted(expected, 5.0), gamma=gamma, gamma_hat=gamma_hat
    )
    shifted_slicer = DominoSlicer(**slicer.get_params()).fit(z + 5.0, labels, y_hat)
    np.testing.assert_allclose(
        shifted_slicer.predict_proba(z + 5.0, labels, y_hat),
        posterior[:, shifted_slicer.slice_indices_],
        atol=1e-6,
    )
    # The parameters moved away from the start, so the comparison is not trivially about the init.
    start = reference_em(z, y, y_hat, start_resp, n_iter=0, covariance_type=covariance_type, **settings)
    assert np.max(np.abs(slicer.means_ - [c["mean"] for c in start])) > 0.1


# EM is stopped after a fixed number of iterations on purpose (tol=0): it never converges.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_blocked_threaded_em_equals_single_block(monkeypatch):
    z, labels, _, y_hat, resp = _data(2, soft=False)
    params = {
        "n_mixture_components": 5,
        "init_params": resp,
        "n_pca_components": None,
        "max_iter": 8,
        "tol": 0.0,
    }
    whole = DominoSlicer(n_jobs=1, **params).fit(z, labels, y_hat)
    monkeypatch.setattr(error_aware_mixture, "BLOCK_ROWS", 40)
    one_thread = DominoSlicer(n_jobs=1, **params).fit(z, labels, y_hat)
    two_threads = DominoSlicer(n_jobs=2, **params).fit(z, labels, y_hat)
    np.testing.assert_array_equal(one_thread.means_, two_threads.means_)
    np.testing.assert_array_equal(
        one_thread.predict_proba(z, labels, y_hat), two_threads.predict_proba(z, labels, y_hat)
    )
    np.testing.assert_allclose(one_thread.means_, whole.means_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(one_thread.covariances_, whole.covariances_, rtol=0, atol=1e-9)


def test_confusion_init_needs_k_at_least_c_squared():
    z, labels, _, y_hat, _ = _data(3, soft=False)
    slicer = DominoSlicer(n_slices=2, n_mixture_components=8, init_params="confusion")
    with pytest.raises(ValueError, match=r"n_classes\*\*2 = 9.*n_mixture_components=8"):
        slicer.fit(z, labels, y_hat)


def test_confusion_init_puts_each_case_in_its_confusion_cell():
    rng = np.random.RandomState(0)
    y = np.eye(2)[[0, 0, 1, 1]]
    y_hat = np.eye(2)[[0, 1, 0, 1]]
    resp = initial_responsibilities("confusion", np.zeros((4, 1)), y, y_hat, n_components=6, random_state=rng)
    # Cells (target, prediction) flatten to 0..3 and tile over 6 components: cell c owns c and c + 4.
    owners = [[0, 4], [1, 5], [2], [3]]
    for row, cols in enumerate(owners):
        np.testing.assert_allclose(resp[row, cols].sum(), 1.0, atol=1e-2)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    assert np.all(resp > 0)  # the noise breaks ties between components of one cell


def test_confusion_init_fits_when_k_is_large_enough():
    z, labels, _, y_hat, _ = _data(2, soft=False)
    slicer = DominoSlicer(
        n_slices=2,
        n_mixture_components=4,
        init_params="confusion",
        n_pca_components=None,
        random_state=0,
    ).fit(z, labels, y_hat)
    # Each component starts on one confusion cell, so the error cells yield pure error components.
    gap = np.abs((slicer.y_hat_probs_ - slicer.y_probs_).max(axis=1))
    assert gap[slicer.slice_indices_[0]] > 0.9
