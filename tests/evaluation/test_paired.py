"""Paired comparisons of variants on shared bootstraps, Holm's adjustment, the cross-fitted best variant."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wilcoxon

from medslice.evaluation import tidy_metrics
from medslice.evaluation.paired import (
    CROSS_FITTED_COLUMNS,
    PAIRED_COLUMNS,
    VS_BASELINE,
    VS_IMAGE,
    classifier_halves,
    cross_fit_folds,
    cross_fitted_best,
    holm_adjust,
    paired_comparisons,
    variant_sort_key,
    wilcoxon_p,
)

from .paired_inputs import VARIANTS, planted_metrics

MULTIMODAL = [v for v in VARIANTS if "_" in v]


def _row(table: pd.DataFrame, scenario: str, comparison: str, variant: str) -> pd.Series:
    found = table[
        (table["scenario"] == scenario) & (table["comparison"] == comparison) & (table["variant"] == variant)
    ]
    assert len(found) == 1, (scenario, comparison, variant)
    return found.iloc[0]


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_metrics({"spurious_correlation": {"image_metadata": 0.3}, "rare_slice": {}}, seed=1)


@pytest.fixture(scope="module")
def compared(planted: pd.DataFrame) -> pd.DataFrame:
    return paired_comparisons(planted, seed=42, n_resamples=500)


def test_a_planted_improvement_is_found_with_an_interval_clear_of_zero(compared: pd.DataFrame) -> None:
    row = _row(compared, "spurious_correlation", VS_IMAGE, "image_metadata")
    assert row["reference"] == "image"
    assert (row["n_bootstraps"], row["n_classifiers"]) == (30, 3)
    assert row["mean_difference"] == pytest.approx(0.3, abs=0.03)
    assert 0 < row["ci_low"] < row["mean_difference"] < row["ci_high"]
    assert row["wilcoxon_p"] < 1e-4
    assert row["holm_p"] < 1e-3
    # the strongest of its family, and well ahead of every variant without an effect
    family = compared[(compared["scenario"] == "spurious_correlation") & (compared["comparison"] == VS_IMAGE)]
    assert family["holm_p"].idxmin() == row.name
    assert (family.drop(index=row.name)["mean_difference"].abs() < 0.05).all()


def test_the_difference_is_the_mean_of_per_bootstrap_differences(
    planted: pd.DataFrame, compared: pd.DataFrame
) -> None:
    scores = planted[planted["method"] == "domino"].pivot(
        index=["scenario", "bootstrap"], columns="variant", values="value"
    )
    baseline = planted[planted["method"] == "baseline"].set_index(["scenario", "bootstrap"])["value"]
    for (scenario, comparison, variant), row in compared.set_index(
        ["scenario", "comparison", "variant"]
    ).iterrows():
        reference = scores["image"] if comparison == VS_IMAGE else baseline
        direct = (scores[variant] - reference).loc[scenario]
        assert row["mean_difference"] == pytest.approx(direct.mean(), abs=1e-12)
        assert row["wilcoxon_p"] == pytest.approx(
            wilcoxon(direct.to_numpy(), zero_method="pratt").pvalue, rel=1e-9
        )


def test_families_are_multimodal_vs_image_and_every_variant_vs_baseline(compared: pd.DataFrame) -> None:
    for scenario in ("rare_slice", "spurious_correlation"):
        mine = compared[compared["scenario"] == scenario]
        assert mine.loc[mine["comparison"] == VS_IMAGE, "variant"].tolist() == MULTIMODAL
        assert mine.loc[mine["comparison"] == VS_BASELINE, "variant"].tolist() == list(VARIANTS)
        assert set(mine.loc[mine["comparison"] == VS_BASELINE, "reference"]) == {"baseline"}
        for comparison in (VS_IMAGE, VS_BASELINE):
            family = mine[mine["comparison"] == comparison]
            expected = holm_adjust(family["wilcoxon_p"].to_numpy())
            np.testing.assert_allclose(family["holm_p"].to_numpy(), expected)
    assert list(compared.columns) == list(PAIRED_COLUMNS)
    assert compared["scenario"].tolist() == sorted(compared["scenario"])


def test_no_difference_gives_an_interval_covering_zero_and_a_large_p() -> None:
    metrics = planted_metrics({"s": {}}, seed=3)
    image = metrics[(metrics["variant"] == "image") & (metrics["method"] == "domino")]
    # report = image + 0.05 on half of each classifier's draws and - 0.05 on the other: the mean
    # difference is exactly zero within every classifier.
    signs = np.where(image["bootstrap"].to_numpy() % 2 == 0, 1.0, -1.0)
    twin = image.assign(variant="image_report", value=image["value"].to_numpy() + 0.05 * signs)
    table = pd.concat([image, twin], ignore_index=True)
    row = _row(paired_comparisons(table, seed=0, n_resamples=500), "s", VS_IMAGE, "image_report")
    assert row["mean_difference"] == pytest.approx(0.0, abs=1e-12)
    assert row["ci_low"] < 0 < row["ci_high"]
    assert row["wilcoxon_p"] > 0.5


def test_rows_are_paired_by_bootstrap_whatever_their_order() -> None:
    metrics = planted_metrics({"a": {"image_report": 0.2}, "b": {}}, seed=5)
    expected = paired_comparisons(metrics, seed=7, n_resamples=300)
    shuffled = metrics.sample(frac=1.0, random_state=11).reset_index(drop=True)
    pd.testing.assert_frame_equal(paired_comparisons(shuffled, seed=7, n_resamples=300), expected)
    # A constant shift per bootstrap is found exactly, however differently the two sides are ordered.
    image = metrics[(metrics["scenario"] == "a") & (metrics["variant"] == "image")]
    shifted = image.assign(variant="image_metadata", value=image["value"] + 0.1).iloc[::-1]
    row = _row(paired_comparisons(pd.concat([shifted, image]), seed=0), "a", VS_IMAGE, "image_metadata")
    assert row["mean_difference"] == pytest.approx(0.1)
    assert row["ci_low"] == pytest.approx(0.1) and row["ci_high"] == pytest.approx(0.1)


def test_only_bootstraps_both_sides_hold_are_paired() -> None:
    metrics = planted_metrics({"s": {}}, seed=2)
    is_image = (metrics["variant"] == "image") & (metrics["method"] == "domino")
    dropped = metrics[~(is_image & metrics["bootstrap"].isin([0, 1, 2]))].copy()  # image lacks 3 bootstraps
    is_baseline = dropped["method"] == "baseline"
    dropped.loc[is_baseline & dropped["bootstrap"].isin([10, 11]), "value"] = math.nan  # no errors there
    table = paired_comparisons(dropped, seed=0, n_resamples=200)
    assert _row(table, "s", VS_IMAGE, "image_report")["n_bootstraps"] == 27
    assert _row(table, "s", VS_BASELINE, "image")["n_bootstraps"] == 25
    assert _row(table, "s", VS_BASELINE, "report")["n_bootstraps"] == 28
    assert _row(table, "s", VS_IMAGE, "image_report")["n_classifiers"] == 3


def test_metrics_of_two_runs_or_twice_the_same_cell_are_refused() -> None:
    metrics = planted_metrics({"s": {}}, seed=2)
    other_run = metrics.copy()
    is_image = other_run["variant"] == "image"
    other_run.loc[is_image, "classifier"] = other_run.loc[is_image, "classifier"] + 1
    with pytest.raises(ValueError, match="different classifiers"):
        paired_comparisons(other_run)
    with pytest.raises(ValueError, match="several domino/paper_precision_at_10 values"):
        paired_comparisons(pd.concat([metrics, metrics.head(1)]))
    with pytest.raises(ValueError, match="lacks column"):
        paired_comparisons(metrics.drop(columns="classifier"))


def test_results_are_a_function_of_the_metrics_and_the_seed(planted: pd.DataFrame) -> None:
    again = paired_comparisons(planted.copy(), seed=42, n_resamples=500)
    pd.testing.assert_frame_equal(again, paired_comparisons(planted, seed=42, n_resamples=500))
    other = paired_comparisons(planted, seed=43, n_resamples=500)
    pd.testing.assert_series_equal(other["mean_difference"], again["mean_difference"])
    assert not np.allclose(other["ci_low"], again["ci_low"])  # only the resampling moves


def test_metrics_without_planted_truth_give_empty_tables_with_the_columns() -> None:
    empty = tidy_metrics([])
    paired, best = paired_comparisons(empty), cross_fitted_best(empty)
    assert list(paired.columns) == list(PAIRED_COLUMNS) and paired.empty
    assert list(best.columns) == list(CROSS_FITTED_COLUMNS) and best.empty
    assert paired["n_bootstraps"].dtype == np.int64 and best["n_bootstraps"].dtype == np.int64
    # a baseline alone (no variant scores) has nothing to compare
    only_baseline = planted_metrics({"s": {}}, variants=())
    assert paired_comparisons(only_baseline).empty


def test_holm_matches_a_hand_checked_example() -> None:
    # sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, raised to 0.06
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm_adjust([0.5, math.nan, 0.2]), [0.5, math.nan, 0.4])
    assert holm_adjust([]).shape == (0,)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjust([0.2, 1.5])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.01, 0.05, 1.0, math.nan])),
        min_size=1,
        max_size=12,
    )
)
def test_holm_is_at_least_raw_at_most_bonferroni_and_monotone(raw: list[float]) -> None:
    p = np.asarray(raw, dtype=float)
    adjusted = holm_adjust(p)
    present = ~np.isnan(p)
    assert np.array_equal(np.isnan(adjusted), ~present)
    p, adjusted = p[present], adjusted[present]
    assert (adjusted >= p).all()
    assert (adjusted <= 1.0).all()
    assert (adjusted <= np.minimum(1.0, len(p) * p) + 1e-15).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(adjusted[order]) >= 0).all()


def test_wilcoxon_edge_cases_and_floating_point_ties() -> None:
    assert wilcoxon_p([0.0, 0.0, 0.0]) == 1.0
    assert math.isnan(wilcoxon_p([]))
    assert math.isnan(wilcoxon_p([math.nan]))
    values = [0.3, -0.1, 0.2, 0.25, 0.0, 0.1, 0.15, 0.4]
    assert wilcoxon_p(values) == pytest.approx(wilcoxon_p([-v for v in values]))
    # 0.7 - 0.6 and 0.8 - 0.7 differ in their last bits; they are the same difference and must tie
    computed = [0.7 - 0.6, 0.8 - 0.7, 0.3 - 0.2, 0.5 - 0.4, -(0.9 - 0.8), 0.2]
    assert len(set(computed[:4])) > 1
    assert wilcoxon_p(computed) == wilcoxon_p([0.1, 0.1, 0.1, 0.1, -0.1, 0.2])


def test_halves_keep_each_classifier_whole_and_depend_only_on_the_seed() -> None:
    classifiers = np.repeat(np.arange(7), 3)
    first, second = classifier_halves(classifiers, seed=42, scenario="s")
    assert len(first) == 4 and len(second) == 3
    assert not set(first) & set(second)
    assert set(first) | set(second) == set(range(7))
    again = classifier_halves(classifiers[::-1], seed=42, scenario="s")
    assert np.array_equal(again[0], first) and np.array_equal(again[1], second)
    splits = {tuple(classifier_halves(classifiers, seed=seed, scenario="s")[0]) for seed in range(10)}
    assert len(splits) > 1
    assert len(classifier_halves([5, 5, 5], seed=0)[1]) == 0


def test_cross_fitting_never_chooses_on_the_half_it_scores() -> None:
    metrics = planted_metrics({"s": {"image_metadata": 0.1}}, n_classifiers=6, audit_draws=3, seed=8)
    folds = cross_fit_folds(metrics, seed=4)
    assert len(folds) == 2
    first = folds.iloc[0]
    assert not set(first["selection_classifiers"]) & set(first["scoring_classifiers"])
    assert first["chosen_variant"] == "image_metadata"
    # The held-out score is the chosen variant's mean on the scoring half.
    scoring = metrics[
        metrics["classifier"].isin(first["scoring_classifiers"]) & (metrics["method"] == "domino")
    ]
    chosen = scoring.loc[scoring["variant"] == first["chosen_variant"], "value"]
    assert first["held_out_p10"] == pytest.approx(chosen.mean())
    # Make the metadata variant outstanding on fold 0's scoring half only: fold 0 must not see it when
    # choosing, while fold 1, which chooses on that half, must.
    boosted = metrics.copy()
    rows = boosted["classifier"].isin(first["scoring_classifiers"]) & (boosted["variant"] == "metadata")
    boosted.loc[rows, "value"] = 5.0
    after = cross_fit_folds(boosted, seed=4)
    assert after.iloc[0]["chosen_variant"] == "image_metadata"
    assert after.iloc[0]["held_out_p10"] == pytest.approx(first["held_out_p10"])
    assert after.iloc[1]["chosen_variant"] == "metadata"
    best = cross_fitted_best(boosted, seed=4).iloc[0]
    assert best["cross_fitted_p10"] == pytest.approx(after["held_out_p10"].mean())
    assert best["best_variant_in_sample"] == "metadata"


def test_the_in_sample_best_is_optimistic_and_the_cross_fitted_score_is_not() -> None:
    # Seven variants of equal merit (true mean 0.5): whichever wins in sample won by luck.
    rng = np.random.default_rng(0)
    records = [
        {
            "scenario": f"s{scenario:02d}",
            "variant": variant,
            "bootstrap": bootstrap,
            "classifier": bootstrap // 3,
            "method": "domino",
            "metric": "paper_precision_at_10",
            "value": 0.5 + rng.normal(0, 0.1),
        }
        for scenario in range(40)
        for bootstrap in range(18)
        for variant in VARIANTS
    ]
    best = cross_fitted_best(tidy_metrics(records), seed=1)
    assert len(best) == 40 and (best["n_bootstraps"] == 18).all()
    assert best["in_sample_p10"].mean() - 0.5 > 0.02
    assert abs(best["cross_fitted_p10"].mean() - 0.5) < 0.012
    assert (best["in_sample_p10"] >= best["cross_fitted_p10"]).mean() > 0.75


def test_the_in_sample_best_is_the_highest_mean_and_one_classifier_cannot_be_cross_fitted() -> None:
    metrics = planted_metrics({"s": {"report_metadata": 0.2}, "t": {"report": 0.2}}, seed=9)
    best = cross_fitted_best(metrics, seed=0).set_index("scenario")
    means = metrics[metrics["method"] == "domino"].groupby(["scenario", "variant"])["value"].mean()
    for scenario in ("s", "t"):
        assert best.loc[scenario, "best_variant_in_sample"] == means.loc[scenario].idxmax()
        assert best.loc[scenario, "in_sample_p10"] == pytest.approx(means.loc[scenario].max())
        assert best.loc[scenario, "n_bootstraps"] == 30
    single = planted_metrics({"s": {"report": 0.2}}, n_classifiers=1, seed=9)
    row = cross_fitted_best(single, seed=0).iloc[0]
    assert row["best_variant_in_sample"] == "report" and math.isnan(row["cross_fitted_p10"])
    assert cross_fit_folds(single, seed=0).empty


def test_variants_sort_as_the_report_lists_them() -> None:
    assert sorted(reversed(VARIANTS), key=variant_sort_key) == list(VARIANTS)
    assert sorted(["zeta", "image_zeta", "image"], key=variant_sort_key) == ["image", "zeta", "image_zeta"]
