"""dcbench precision@k, the paper's weighted precision@10 and the attribute-fraction baseline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from medslice.evaluation import (
    attribute_fraction_baseline,
    best_slice_metrics,
    paper_precision_at_10,
    paper_slice_scores,
    precision_at_k,
)
from medslice.evaluation.precision import _average_precision
from medslice.slicing import AttributeBaseline


def test_precision_at_k_by_hand() -> None:
    in_slice = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    good = np.array([0.9, 0.8, 0.7, 0.6, 0.1, 0.0])  # ranking 0,1,2,3: 2 of top 2, 2 of top 3
    assert precision_at_k(in_slice, good, 2) == 1.0
    assert precision_at_k(in_slice, good, 3) == pytest.approx(2 / 3)
    # k beyond n: the share over all samples.
    assert precision_at_k(in_slice, good, 25) == pytest.approx(3 / 6)


def test_best_column_is_chosen_by_average_precision() -> None:
    rng = np.random.default_rng(0)
    n = 60
    in_slice = np.zeros(n, dtype=bool)
    in_slice[:12] = True
    noise = rng.uniform(size=n)
    aligned = np.where(in_slice, 0.6 + 0.4 * rng.uniform(size=n), 0.5 * rng.uniform(size=n))
    membership = np.column_stack([noise, aligned, 1 - aligned])
    metrics = best_slice_metrics(in_slice, membership)

    assert metrics["best_column"] == 1
    assert metrics["average_precision"] == pytest.approx(average_precision_score(in_slice, aligned))
    assert metrics["precision_at_10"] == 1.0  # the 12 members rank first
    assert metrics["precision_at_25"] == pytest.approx(12 / 25)
    assert precision_at_k(in_slice, membership, 10) == 1.0


def test_ties_at_the_cut_count_their_expected_share_and_ordinal_keeps_sample_order() -> None:
    in_slice = np.array([0, 1, 1, 0], dtype=bool)
    flat = np.full(4, 0.5)
    # every order of the four tied samples is equally likely: half of any top holds the slice
    assert precision_at_k(in_slice, flat, 1) == pytest.approx(0.5)
    assert precision_at_k(in_slice, flat, 3) == pytest.approx(0.5)
    assert precision_at_k(in_slice, flat, 1, ties="ordinal") == 0.0  # sample 0 comes first
    assert precision_at_k(in_slice, flat, 3, ties="ordinal") == pytest.approx(2 / 3)
    assert precision_at_k(np.array([0, 1, 1, 1], dtype=bool), flat, 1, ties="ordinal") == 0.0
    # a tie above the cut is taken whole; only the tie straddling it is shared out
    scores = np.array([0.9, 0.9, 0.5, 0.5, 0.5, 0.1])
    truth = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    assert precision_at_k(truth, scores, 3) == pytest.approx((1 + 2 / 3) / 3)
    with pytest.raises(ValueError, match="ties must be one of"):
        precision_at_k(truth, scores, 3, ties="random")


def test_precision_does_not_depend_on_row_order_when_memberships_saturate() -> None:
    membership = np.r_[np.ones(15), np.zeros(15)]
    attribute = np.r_[np.zeros(5, bool), np.ones(10, bool), np.zeros(15, bool)]
    targets = np.zeros(30, int)
    order = np.r_[np.arange(5, 15), np.arange(5), np.arange(15, 30)]
    # 15 members at exactly 1.0, 10 of them carry the attribute: 10/15 of any top ten does
    for rows in (np.arange(30), order):
        assert paper_precision_at_10(membership[rows], attribute[rows], targets[rows], 0) == pytest.approx(
            10 / 15
        )
        assert precision_at_k(attribute[rows], membership[rows], 10) == pytest.approx(10 / 15)
    # the paper's code keeps row order, and then the table's sort decides: 0.5 or 1.0
    ordinal = [
        paper_precision_at_10(membership[rows], attribute[rows], targets[rows], 0, ties="ordinal")
        for rows in (np.arange(30), order)
    ]
    assert ordinal == [pytest.approx(0.5), pytest.approx(1.0)]


def test_metrics_refuse_arguments_that_would_score_silently_wrong() -> None:
    targets, attribute = np.zeros(6, int), np.ones(6, bool)
    with pytest.raises(ValueError, match="not among the targets' labels"):
        paper_precision_at_10(np.ones(6), attribute, targets, "0")
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        paper_precision_at_10(np.full(6, 1.5), attribute, targets, 0)
    with pytest.raises(ValueError, match="no rows"):
        paper_precision_at_10(np.ones(0), attribute[:0], targets[:0], 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        precision_at_k(attribute, np.ones(6), 5.0)


def test_precision_rejects_undefined_cases() -> None:
    with pytest.raises(ValueError, match="no positive"):
        precision_at_k(np.zeros(5, bool), np.ones(5), 2)
    with pytest.raises(ValueError, match="membership has 4 rows"):
        precision_at_k(np.ones(5, bool), np.ones((4, 2)), 2)


def test_paper_precision_divides_small_slices_by_ten() -> None:
    targets = np.zeros(6, dtype=int)
    attribute = np.array([1, 1, 0, 1, 1, 0])
    membership = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.1])  # 0.5 is not a member (> 0.5 needed)
    expected = (0.9 + 0.8 + 0.6) / 10
    assert paper_precision_at_10(membership, attribute, targets, expected_class=0) == pytest.approx(expected)


def test_paper_precision_keeps_top_ten_and_filters_by_majority_class() -> None:
    n = 30
    targets = np.r_[np.zeros(15, int), np.ones(15, int)]
    attribute = np.zeros(n, dtype=int)
    attribute[:5] = 1
    attribute[15:30] = 1
    slice_of_zeros = np.where(targets == 0, np.linspace(0.99, 0.6, n), 0.0)
    slice_of_ones = np.where(targets == 1, 0.95, 0.0)
    membership = np.column_stack([slice_of_zeros, slice_of_ones])

    scores = paper_slice_scores(membership, attribute, targets, expected_class=0)
    top_ten = np.argsort(-slice_of_zeros, kind="mergesort")[:10]
    assert scores[0] == pytest.approx((attribute[top_ten] * slice_of_zeros[top_ten]).sum() / 10)
    assert np.isnan(scores[1])  # its members are mostly class 1: excluded although it scores 0.95
    assert paper_precision_at_10(membership, attribute, targets, 0) == pytest.approx(scores[0])
    assert paper_precision_at_10(membership, attribute, targets, 1) == pytest.approx(0.95)
    # a class that is present but heads no slice: nothing qualifies
    no_ones = np.column_stack([slice_of_zeros])
    assert paper_precision_at_10(no_ones, attribute, targets, 1) == 0.0


def test_attribute_fraction_baseline_by_hand() -> None:
    targets = np.array([0, 0, 1, 1, 0, 1])
    preds = np.array([1, 0, 0, 1, 1, 1])  # errors at 0, 2, 4
    attribute = np.array([1, 1, 0, 0, 1, 0])
    assert attribute_fraction_baseline(attribute, targets, preds) == pytest.approx(2 / 3)
    assert np.isnan(attribute_fraction_baseline(attribute, targets, targets))
    with pytest.raises(ValueError, match="preds must have shape"):
        attribute_fraction_baseline(attribute, targets, preds[:3])
    # probabilities are read with the classifier's threshold, as AttributeBaseline reads them
    probabilities = np.array([0.9, 0.2, 0.4, 0.5, 0.7, 0.8])
    assert attribute_fraction_baseline(attribute, targets, probabilities) == pytest.approx(2 / 3)
    assert attribute_fraction_baseline(attribute, targets, probabilities) == pytest.approx(
        AttributeBaseline().score(attribute, targets, probabilities)
    )


def test_average_precision_equals_scikit_learn_bit_for_bit_with_ties() -> None:
    rng = np.random.default_rng(11)
    for case in range(300):
        n = int(rng.integers(1, 300))
        truth = rng.uniform(size=n) < 0.2
        truth[rng.integers(n)] = True
        # Domino's memberships saturate at 0 and 1, so ties are the rule, not the exception.
        scores = np.where(rng.uniform(size=n) < 0.6, np.round(rng.uniform(size=n)), rng.uniform(size=n))
        if case % 3 == 0:
            scores = np.round(scores, 1)
        assert _average_precision(truth, scores) == average_precision_score(truth, scores)
