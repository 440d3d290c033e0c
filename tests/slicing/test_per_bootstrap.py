"""Slice discovery per bootstrap: a bootstrap with nothing to slice is logged, not lost."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medslice.slicing.per_bootstrap import (
    bootstrap_seed,
    build_slicer,
    check_slicer_settings,
    discover_per_bootstrap,
    fuse_bootstraps,
)


def test_a_bootstrap_without_errors_has_no_slices_and_a_logged_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = np.random.default_rng(0)
    n = 60
    target = rng.integers(0, 2, 2 * n)
    pred = target.copy()
    pred[n : n + 12] = 1 - pred[n : n + 12]  # bootstrap 1 has errors, bootstrap 0 none
    predictions = pd.DataFrame(
        {
            "dicom_id": [f"d{i}" for i in range(2 * n)],
            "bootstrap": np.repeat([0, 1], n),
            "target": target,
            "pred": pred,
        }
    )
    fused = fuse_bootstraps(predictions, {"image": rng.normal(size=(2 * n, 16))}, max_components=8)
    slicer = {"method": "domino", "n_slices": 2, "n_mixture_components": 4, "n_pca_components": 4}
    with caplog.at_level(logging.WARNING, logger="medslice.slicing.per_bootstrap"):
        memberships, summary = discover_per_bootstrap(fused, predictions, slicer, seed=0)
    assert set(summary["bootstrap"]) == {1}
    assert np.isnan(memberships.loc[memberships["bootstrap"] == 0, ["slice_0", "slice_1"]].to_numpy()).all()
    logged = [r.getMessage() for r in caplog.records]
    assert any("bootstrap 0" in m and "no sample is misclassified" in m for m in logged)
    assert not any("bootstrap 1" in m for m in logged)


def test_build_slicer_drops_another_slicers_settings_and_refuses_typos(
    caplog: pytest.LogCaptureFixture,
) -> None:
    domino_settings = {"n_slices": 3, "n_mixture_components": 8}
    with caplog.at_level(logging.INFO, logger="medslice.slicing.per_bootstrap"):
        spotlight = build_slicer({"method": "spotlight", **domino_settings}, random_state=0)
    assert type(spotlight).__name__ == "SpotlightSlicer" and "ignores ['n_mixture_components']" in caplog.text
    assert build_slicer({"method": "domino", **domino_settings}).n_slices == 3
    with pytest.raises(
        ValueError, match=r"\['n_slice'\] are not taken by any slicer \(did you mean 'n_slices'\?\)"
    ):
        build_slicer({"method": "domino", "n_slice": 3})


def test_embeddings_and_predictions_of_different_runs_are_named_not_a_key_error() -> None:
    predictions = pd.DataFrame({"dicom_id": ["a", "b"], "bootstrap": 0, "target": [0, 1], "pred": [0, 0]})
    other_run = pa.table({"dicom_id": ["a", "c"], "bootstrap": [0, 0], "embedding": [[0.1, 0.2], [0.3, 0.4]]})
    with pytest.raises(ValueError, match="1 fused-embedding rows .* come from different runs"):
        discover_per_bootstrap(other_run, predictions, {"method": "domino"}, seed=0)


def test_slicer_settings_are_checked_without_data_and_give_the_minimum_audit_size() -> None:
    assert check_slicer_settings({"method": "domino", "n_slices": 5, "n_mixture_components": 20}) == 20
    assert check_slicer_settings({"method": "spotlight", "n_slices": 5, "n_mixture_components": 20}) == 1
    with pytest.raises(ValueError, match=r"n_slices \(5\) cannot exceed n_mixture_components \(4\)"):
        check_slicer_settings({"method": "domino", "n_slices": 5, "n_mixture_components": 4})
    with pytest.raises(ValueError, match=r"n_pca_components must be >= 1; got 0"):
        check_slicer_settings({"method": "domino", "n_pca_components": 0})


def test_a_large_bootstrap_id_gets_a_valid_seed_and_small_ones_keep_seed_plus_bootstrap() -> None:
    assert bootstrap_seed(7, 3) == 10
    assert bootstrap_seed(0, 5_000_000_000) == 5_000_000_000 % 2**32
    rng = np.random.default_rng(0)
    n = 40
    target = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.3, 1 - target, target)
    predictions = pd.DataFrame(
        {"dicom_id": [f"d{i}" for i in range(n)], "bootstrap": 5_000_000_000, "target": target, "pred": pred}
    )
    fused = fuse_bootstraps(predictions, {"image": rng.normal(size=(n, 8))}, max_components=4)
    slicer = {"method": "domino", "n_slices": 2, "n_mixture_components": 4, "n_pca_components": 4}
    memberships, _ = discover_per_bootstrap(fused, predictions, slicer, seed=0)
    assert memberships[["slice_0", "slice_1"]].notna().all().all()
