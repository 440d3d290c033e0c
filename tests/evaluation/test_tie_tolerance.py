"""Scores that differ by float noise tie: the precision metrics group them after rounding to TIE_DECIMALS."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score

from medslice.evaluation import column_average_precision, paper_precision_at_10, precision_at_k
from medslice.evaluation.ranking import TIE_DECIMALS, tie_keys, top_k_sum

NOISE = 1e-15


def saturated_slice(noise: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """15 members at 1.0: 5 without the attribute, then 10 carrying it ``noise`` below 1.0; 15 non-members."""
    membership = np.r_[np.ones(5), np.full(10, 1.0 - noise), np.zeros(15)]
    attribute = np.r_[np.zeros(5, bool), np.ones(10, bool), np.zeros(15, bool)]
    return membership, attribute, np.zeros(30, int)


def test_one_and_one_minus_float_noise_tie_as_exactly_equal_scores_do() -> None:
    exact = saturated_slice(0.0)
    noisy = saturated_slice(NOISE)
    assert noisy[0][5] != 1.0  # the noise is really there
    expected_share = 10 / 15  # any top ten of the 15 tied members: 10/15 of it carries the attribute
    assert paper_precision_at_10(*exact, 0) == pytest.approx(expected_share, abs=1e-12)
    assert paper_precision_at_10(*noisy, 0) == pytest.approx(paper_precision_at_10(*exact, 0), abs=1e-12)
    assert precision_at_k(noisy[1], noisy[0], 10) == precision_at_k(exact[1], exact[0], 10)
    # Ranked on the raw floats, the five non-carriers at exactly 1.0 would always come first: 0.5.
    assert paper_precision_at_10(*noisy, 0, ties="ordinal") == pytest.approx(0.5, abs=1e-12)


def test_scores_apart_by_more_than_the_tolerance_do_not_tie() -> None:
    apart = 10.0 ** -(TIE_DECIMALS - 3)
    membership, attribute, targets = saturated_slice(apart)
    # the five non-carriers now rank strictly first, then five of the ten carriers
    assert paper_precision_at_10(membership, attribute, targets, 0) == pytest.approx(0.5 * (1 - apart))
    values = np.arange(4, dtype=float)
    assert top_k_sum(np.array([0.9, 0.9 - apart, 0.5, 0.5]), values, 1) == 0.0
    assert top_k_sum(np.array([0.9, 0.9 - 1e-14, 0.5, 0.5]), values, 1) == pytest.approx(0.5)


def test_tie_keys_round_to_the_documented_decimals_and_keep_the_order() -> None:
    scores = np.array([1.0, 1.0 - 1e-15, 1.0 - 1e-6, 0.5 + 4e-10, 0.5])
    keys = tie_keys(scores)
    assert keys[0] == keys[1] and keys[3] == keys[4]
    assert keys[1] > keys[2] > keys[3]
    assert np.all(np.diff(keys) <= 0)  # rounding never reverses two scores


def test_average_precision_is_scikit_learns_on_the_tie_keys() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random(40) < 0.3
    scores = np.round(rng.random(40), 2)  # many exact ties
    noisy = np.clip(scores - rng.uniform(0, 1e-13, 40), 0, 1)
    ours = column_average_precision(truth, np.column_stack([scores, noisy]))
    assert ours[0] == pytest.approx(average_precision_score(truth, scores), abs=1e-15)
    assert ours[1] == ours[0]  # float noise neither splits a threshold nor changes the best column


# Memberships on a grid of 1e-3 (saturated ones at exactly 1.0, as Domino's often are), away from the
# 0.5 membership cut: there, noise changes who is a member, which is the threshold's rule, not a tie.
GRID = st.one_of(st.just(1000), st.integers(0, 1000).filter(lambda i: i != 500)).map(lambda i: i / 1000)


@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data(), n_samples=st.integers(10, 40), n_slices=st.integers(1, 3))
def test_noise_below_1e12_on_memberships_never_changes_paper_precision(
    data: st.DataObject, n_samples: int, n_slices: int
) -> None:
    membership = np.array(
        data.draw(st.lists(GRID, min_size=n_samples * n_slices, max_size=n_samples * n_slices))
    ).reshape(n_samples, n_slices)
    noise = np.array(
        data.draw(
            st.lists(
                st.floats(-1e-12, 1e-12, allow_nan=False),
                min_size=n_samples * n_slices,
                max_size=n_samples * n_slices,
            )
        )
    ).reshape(n_samples, n_slices)
    attribute = np.array(data.draw(st.lists(st.booleans(), min_size=n_samples, max_size=n_samples)))
    targets = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n_samples, max_size=n_samples)))
    noisy = np.clip(membership + noise, 0.0, 1.0)
    for expected_class in np.unique(targets):
        clean_score = paper_precision_at_10(membership, attribute, targets, expected_class)
        noisy_score = paper_precision_at_10(noisy, attribute, targets, expected_class)
        # Only the noise itself may show: each of the ten weighted terms moves by at most 1e-12 / 10.
        assert abs(noisy_score - clean_score) <= 1e-12
    if attribute.any():
        assert precision_at_k(attribute, noisy, 10) == precision_at_k(attribute, membership, 10)
