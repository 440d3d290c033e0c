"""The injection samplers hit their targets exactly (up to rounding) on random pools."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from medslice.scenarios import (
    PoolTooSmallError,
    sample_correlated,
    sample_rare,
    sample_with_label_noise,
)
from medslice.scenarios.mechanisms import correlation_cell_counts, phi_coefficient


@pytest.mark.parametrize(
    "case",
    [
        (0.7, 0.3, 0.4, 0.5, 0.5, 1000),
        (0.5, 0.2, 0.3, None, None, 800),
        (0.3, 0.1, 0.2, None, 0.15, 600),
        (-0.4, 0.5, 0.5, None, None, 500),
        (0.0, 0.4, 0.3, None, None, 300),
        (0.9, 0.5, 0.5, 0.3, 0.3, 250),
    ],
)
def test_correlation_sampler_hits_the_requested_r(
    case: tuple, pool_factory: Callable[..., pd.DataFrame]
) -> None:
    # (requested r, pool target prevalence, pool attribute prevalence, asked p, asked q, n)
    correlation, pool_p, pool_q, p, q, n = case
    pool = pool_factory(6000, pool_p, pool_q, seed=int(abs(correlation) * 100))
    rng = np.random.default_rng(1)
    sample, qa = sample_correlated(pool, n, correlation, rng, target_prevalence=p, attribute_prevalence=q)
    measured = np.corrcoef(sample["target"], sample["attribute"].astype(float))[0, 1]
    assert abs(measured - correlation) <= 0.02
    assert qa["achieved_correlation"] == pytest.approx(measured)
    assert len(sample) == n and sample["dicom_id"].is_unique
    assert set(sample["dicom_id"]) <= set(pool["dicom_id"])
    expected_p = pool["target"].mean() if p is None else p
    expected_q = pool["attribute"].mean() if q is None else q
    assert sample["target"].sum() == round(n * expected_p)
    assert sample["attribute"].sum() == round(n * expected_q)
    assert (sample["target"] == sample["true_target"]).all()


def test_correlation_counts_are_an_exact_table() -> None:
    counts = correlation_cell_counts(1000, 0.7, 0.5, 0.5)
    assert sum(counts.values()) == 1000
    assert counts[(1, 1)] + counts[(1, 0)] == 500 == counts[(1, 1)] + counts[(0, 1)]
    assert phi_coefficient(counts[(1, 1)], counts[(1, 0)], counts[(0, 1)], counts[(0, 0)]) == (
        pytest.approx(0.7, abs=0.01)
    )


def test_unreachable_correlation_reports_the_reachable_range() -> None:
    with pytest.raises(ValueError, match="unreachable.*reachable range"):
        correlation_cell_counts(1000, 0.7, 0.05, 0.3)


def test_small_pool_names_the_cell_and_numbers(pool_factory: Callable[..., pd.DataFrame]) -> None:
    pool = pool_factory(300, 0.1, 0.1)
    with pytest.raises(PoolTooSmallError, match=r"cell target=1, attribute=True needs \d+ rows"):
        sample_correlated(
            pool, 250, 0.7, np.random.default_rng(0), target_prevalence=0.5, attribute_prevalence=0.5
        )


@pytest.mark.parametrize(("n_pos", "n_neg", "share"), [(500, 500, 0.02), (120, 280, 0.05)])
def test_rare_sampler_counts_are_exact(
    n_pos: int, n_neg: int, share: float, pool_factory: Callable[..., pd.DataFrame]
) -> None:
    pool = pool_factory(4000, 0.4, 0.3)
    sample, qa = sample_rare(pool, n_pos, n_neg, share, np.random.default_rng(3))
    rare = (sample["target"] == 1) & sample["attribute"]
    assert rare.sum() == round(share * (n_pos + n_neg)) == qa["n_attribute_positive_positives"]
    assert sample["target"].sum() == n_pos and (sample["target"] == 0).sum() == n_neg
    assert qa["achieved_rare_share"] == pytest.approx(rare.mean())
    assert sample["dicom_id"].is_unique


def test_rare_sampler_can_fix_the_negative_attribute_share(pool_factory: Callable[..., pd.DataFrame]) -> None:
    pool = pool_factory(4000, 0.4, 0.3)
    sample, qa = sample_rare(pool, 200, 200, 0.02, np.random.default_rng(0), negative_attribute_share=0.5)
    assert sample.loc[sample["target"] == 0, "attribute"].sum() == 100
    assert qa["negative_attribute_share"] == 0.5  # the QA reports the negatives' share, not the positives'


@pytest.mark.parametrize("fraction", [0.0, 0.3, 1.0])
def test_label_noise_flips_exactly_inside_the_subgroup(
    fraction: float, pool_factory: Callable[..., pd.DataFrame]
) -> None:
    pool = pool_factory(3000, 0.5, 0.6)
    sample, qa = sample_with_label_noise(pool, 1000, fraction, np.random.default_rng(5))
    subgroup = (sample["true_target"] == 1) & sample["attribute"]
    assert sample["label_flipped"].sum() == round(fraction * subgroup.sum()) == qa["flipped_count"]
    assert not sample.loc[~subgroup, "label_flipped"].any()
    flipped = sample[sample["label_flipped"]]
    assert (flipped["target"] == 0).all() and (flipped["true_target"] == 1).all()
    unflipped = sample[~sample["label_flipped"]]
    assert (unflipped["target"] == unflipped["true_target"]).all()
    assert sorted(qa["flipped_ids"]) == sorted(flipped["dicom_id"])


def test_label_noise_sample_can_fix_the_prevalence(pool_factory: Callable[..., pd.DataFrame]) -> None:
    pool = pool_factory(3000, 0.3, 0.5)
    sample, _ = sample_with_label_noise(pool, 400, 0.3, np.random.default_rng(0), target_prevalence=0.5)
    assert sample["true_target"].sum() == 200


def test_samplers_are_deterministic_given_the_generator(pool_factory: Callable[..., pd.DataFrame]) -> None:
    pool = pool_factory(2000, 0.4, 0.4)
    first, _ = sample_correlated(pool, 300, 0.5, np.random.default_rng(11))
    second, _ = sample_correlated(pool, 300, 0.5, np.random.default_rng(11))
    other, _ = sample_correlated(pool, 300, 0.5, np.random.default_rng(12))
    assert first.equals(second)
    assert set(first["dicom_id"]) != set(other["dicom_id"])
