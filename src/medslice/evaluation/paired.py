"""Paired comparisons of modality variants scored on the same bootstraps, and a cross-fitted best variant.

Every variant of a scenario is scored on the same accepted bootstraps (one audit set of one classifier
each), so two variants are compared bootstrap by bootstrap: the paired difference removes what the audit
set and the classifier do to both. This module computes, per scenario,

- for each multimodal variant against image-only, and for each variant against the attribute-fraction
  baseline: the mean paired difference in the paper's precision@10, its design-aware 95% interval
  (:func:`~medslice.evaluation.bootstrap.hierarchical_mean_ci` over the per-bootstrap differences), a
  Wilcoxon signed-rank p-value and its Holm adjustment within the scenario and comparison;
- the best variant chosen in sample (selection-biased) beside a cross-fitted estimate of how well the
  best variant does: chosen on one half of the classifiers, scored on the other, both ways.

Importable without Kedro.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import wilcoxon

from medslice.errors import BadValueError
from medslice.evaluation.bootstrap import hierarchical_mean_ci
from medslice.evaluation.tables import METRIC_COLUMNS

PAIRED_COLUMNS: tuple[str, ...] = (
    "scenario",
    "comparison",
    "variant",
    "reference",
    "n_bootstraps",
    "n_classifiers",
    "mean_difference",
    "ci_low",
    "ci_high",
    "wilcoxon_p",
    "holm_p",
)
CROSS_FITTED_COLUMNS: tuple[str, ...] = (
    "scenario",
    "best_variant_in_sample",
    "in_sample_p10",
    "cross_fitted_p10",
    "n_bootstraps",
)
FOLD_COLUMNS: tuple[str, ...] = (
    "scenario",
    "fold",
    "selection_classifiers",
    "scoring_classifiers",
    "chosen_variant",
    "held_out_p10",
)
VS_IMAGE = "vs image"
VS_BASELINE = "vs baseline"
IMAGE_VARIANT = "image"
BASELINE_REFERENCE = "baseline"
PAPER_METRIC = "paper_precision_at_10"
DISCOVERY_METHOD = "domino"
BASELINE_METHOD = "baseline"
BASELINE_METRIC = "attribute_fraction"
# Pratt's treatment of zero differences: a tie between two variants stays in the ranking (it is evidence of
# no difference), where Wilcoxon's drops it and tests only the bootstraps that differ.
# See docs/decisions/0039-paired-comparisons.md.
WILCOXON_ZERO_METHOD = "pratt"
# Differences are rounded this far before ranking, so that equal differences computed in floating point
# (0.7 - 0.6 and 0.8 - 0.7) tie, and a difference of 1e-17 counts as zero.
RANK_DECIMALS = 12
# The modalities in the order the report lists them; a variant's place follows from its modalities.
MODALITIES: tuple[str, ...] = ("image", "report", "metadata")


def variant_modalities(variant: str) -> tuple[str, ...]:
    """Return the modalities a variant fuses.

    Parameters
    ----------
    variant : str
        A variant name such as ``image_report`` or ``image+report``.

    Returns
    -------
    tuple of str
        ``("image", "report")`` for ``image_report``.
    """
    return tuple(part for part in re.split(r"[_+]", variant) if part)


def variant_sort_key(variant: str) -> tuple[int, tuple[int, ...], str]:
    """Return the key that orders variants as the report does: single modalities first, then pairs, ...

    Parameters
    ----------
    variant : str
        A variant name.

    Returns
    -------
    tuple
        (number of modalities, the modalities' positions in :data:`MODALITIES`, the name); unknown
        modalities sort after the known ones.
    """
    parts = variant_modalities(variant)
    positions = tuple(MODALITIES.index(part) if part in MODALITIES else len(MODALITIES) for part in parts)
    return (len(parts), positions, variant)


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (family-wise error control).

    With the ``m`` non-NaN p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, the adjusted value of
    ``p_(i)`` is ``max_{j <= i} min(1, (m - j + 1) p_(j))``. NaN p-values stay NaN and do not count in
    ``m``.

    Parameters
    ----------
    p_values : array_like
        1-D p-values in [0, 1], NaN allowed.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the input's order.

    Raises
    ------
    ValueError
        If the input is not 1-D or holds a value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise BadValueError(f"p_values must be 1-D, got shape {p.shape}.")
    present = ~np.isnan(p)
    if ((p[present] < 0) | (p[present] > 1)).any():
        raise BadValueError("p_values must lie in [0, 1].")
    adjusted = np.full(p.shape, np.nan)
    index = np.flatnonzero(present)
    order = index[np.argsort(p[index], kind="stable")]
    m = len(order)
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def wilcoxon_p(differences: ArrayLike) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (Pratt's treatment of zeros).

    Differences are rounded to :data:`RANK_DECIMALS` decimals before ranking. All-zero differences give
    1.0 (no evidence of a difference); no differences give NaN.

    Parameters
    ----------
    differences : array_like
        1-D paired differences; NaN values are left out.

    Returns
    -------
    float
        The p-value of :func:`scipy.stats.wilcoxon` with ``zero_method="pratt"``. scipy computes it
        exactly without ties or zeros, by enumerating every sign flip for up to 13 differences with
        them, and with the normal approximation beyond; all three are deterministic.
    """
    data = np.asarray(differences, dtype=np.float64)
    data = np.round(data[~np.isnan(data)], RANK_DECIMALS)
    if data.size == 0:
        return float("nan")
    if not data.any():
        return 1.0
    return float(wilcoxon(data, zero_method=WILCOXON_ZERO_METHOD, alternative="two-sided").pvalue)


def _check_metrics(metrics: pd.DataFrame) -> None:
    missing = [column for column in METRIC_COLUMNS if column not in metrics.columns]
    if missing:
        raise BadValueError(f"metrics lacks column(s) {missing}; build it with tidy_metrics().")


def _rows(metrics: pd.DataFrame, method: str, metric: str, key: Sequence[str]) -> pd.DataFrame:
    """The rows of one method and metric, refusing two values for one ``key``."""
    rows = metrics[(metrics["method"] == method) & (metrics["metric"] == metric)]
    duplicated = rows.duplicated(list(key), keep=False)
    if duplicated.any():
        first = rows.loc[duplicated, list(key)].drop_duplicates().head(3).to_dict("records")
        raise BadValueError(
            f"metrics has several {method}/{metric} values for the same {tuple(key)}, e.g. {first}; "
            "pair only one run's metrics."
        )
    return rows


def _pair(variant_rows: pd.DataFrame, reference_rows: pd.DataFrame, what: str) -> pd.DataFrame:
    """Join two scenarios' per-bootstrap values by bootstrap; sorted by (classifier, bootstrap).

    Columns ``bootstrap, classifier, difference``; bootstraps that either side lacks or holds as NaN are
    left out.
    """
    left = variant_rows[["bootstrap", "classifier", "value"]]
    right = reference_rows[["bootstrap", "classifier", "value"]]
    joined = left.merge(right, on="bootstrap", suffixes=("", "_reference"), how="inner")
    clash = joined["classifier"] != joined["classifier_reference"]
    if clash.any():
        bootstraps = sorted(int(b) for b in joined.loc[clash, "bootstrap"])[:5]
        raise BadValueError(
            f"{what}: bootstrap(s) {bootstraps} name different classifiers on the two sides; the metrics "
            "come from different runs."
        )
    joined = joined[joined["value"].notna() & joined["value_reference"].notna()]
    joined = joined.sort_values(["classifier", "bootstrap"], kind="stable")
    return pd.DataFrame(
        {
            "bootstrap": joined["bootstrap"].to_numpy(dtype=np.int64),
            "classifier": joined["classifier"].to_numpy(dtype=np.int64),
            "difference": (joined["value"] - joined["value_reference"]).to_numpy(dtype=np.float64),
        }
    )


def _empty(columns: Sequence[str], integers: Sequence[str], texts: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=np.float64) for column in columns})
    for column in integers:
        frame[column] = frame[column].astype(np.int64)
    for column in texts:
        frame[column] = frame[column].astype(object)
    return frame


def paired_comparisons(
    metrics: pd.DataFrame,
    *,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    baseline_method: str = BASELINE_METHOD,
    baseline_metric: str = BASELINE_METRIC,
) -> pd.DataFrame:
    """Compare variants pairwise over the bootstraps they share: multimodal vs image-only, all vs baseline.

    Per scenario, each multimodal variant (two or more modalities) is compared with ``image`` (comparison
    ``"vs image"``) and every variant with the baseline's ``baseline_metric`` (``"vs baseline"``). A pair
    is one bootstrap both sides hold with a non-NaN value; its difference is variant minus reference.

    Parameters
    ----------
    metrics : pandas.DataFrame
        A tidy metrics table (:func:`~medslice.evaluation.tables.tidy_metrics`), accepted bootstraps only,
        as the audit writes it.
    seed : int
        Seed of the interval's resampling; the table is a function of ``metrics`` and ``seed``.
    confidence : float
        Confidence level of the interval.
    n_resamples : int
        Resamples of the interval's bootstrap.
    metric, method : str
        The variants' score (default the paper's precision@10 of method ``domino``).
    baseline_method, baseline_metric : str
        The baseline's rows (default the attribute fraction of method ``baseline``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIRED_COLUMNS`: ``n_bootstraps`` pairs from ``n_classifiers`` classifiers,
        ``mean_difference`` (the mean of the paired differences), ``ci_low``/``ci_high`` (the two-level
        percentile bootstrap over classifiers, then their audit draws), ``wilcoxon_p``
        (:func:`wilcoxon_p`) and ``holm_p`` (:func:`holm_adjust` over the variants of one scenario and
        comparison). Rows are sorted by scenario, then ``vs image`` before ``vs baseline``, then variant
        (:func:`variant_sort_key`); the row order of ``metrics`` does not matter. A variant with no pair
        has no row; a table without the scores (e.g. a user's own predictions, which have no planted
        truth) gives an empty table with these columns.
    """
    _check_metrics(metrics)
    scores = _rows(metrics, method, metric, ("scenario", "variant", "bootstrap"))
    baseline = _rows(metrics, baseline_method, baseline_metric, ("scenario", "bootstrap"))
    records = []
    for scenario in sorted(scores["scenario"].astype(str).unique()):
        mine = scores[scores["scenario"] == scenario]
        by_variant = {str(v): rows for v, rows in mine.groupby("variant", sort=False)}
        variants = sorted(by_variant, key=variant_sort_key)
        families = [
            (
                VS_IMAGE,
                IMAGE_VARIANT,
                by_variant.get(IMAGE_VARIANT),
                [v for v in variants if len(variant_modalities(v)) > 1],
            ),
            (
                VS_BASELINE,
                BASELINE_REFERENCE,
                baseline[baseline["scenario"] == scenario],
                variants,
            ),
        ]
        for comparison, reference, reference_rows, compared in families:
            if reference_rows is None or reference_rows.empty:
                continue
            family = []
            for variant in compared:
                pairs = _pair(by_variant[variant], reference_rows, f"{scenario}: {variant} {comparison}")
                if pairs.empty:
                    continue
                differences = pairs["difference"].to_numpy()
                classifiers = pairs["classifier"].to_numpy()
                mean, low, high = hierarchical_mean_ci(
                    differences, classifiers, confidence, n_resamples, seed
                )
                family.append(
                    {
                        "scenario": scenario,
                        "comparison": comparison,
                        "variant": variant,
                        "reference": reference,
                        "n_bootstraps": len(pairs),
                        "n_classifiers": len(np.unique(classifiers)),
                        "mean_difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "wilcoxon_p": wilcoxon_p(differences),
                    }
                )
            adjusted = holm_adjust([row["wilcoxon_p"] for row in family])
            records += [{**row, "holm_p": float(p)} for row, p in zip(family, adjusted, strict=True)]
    if not records:
        return _empty(
            PAIRED_COLUMNS,
            ("n_bootstraps", "n_classifiers"),
            ("scenario", "comparison", "variant", "reference"),
        )
    table = pd.DataFrame(records, columns=list(PAIRED_COLUMNS))
    table["n_bootstraps"] = table["n_bootstraps"].astype(np.int64)
    table["n_classifiers"] = table["n_classifiers"].astype(np.int64)
    return table


def classifier_halves(classifiers: ArrayLike, seed: int, scenario: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Split the distinct classifiers into two halves at random, deterministically from the seed.

    Parameters
    ----------
    classifiers : array_like
        Classifier numbers (repeats allowed: one per bootstrap).
    seed : int
        Non-negative seed.
    scenario : str
        Mixed into the seed, so that scenarios with the same classifier numbers are split independently.

    Returns
    -------
    tuple of numpy.ndarray
        Two sorted, disjoint arrays of classifiers; the first holds ``ceil(k / 2)`` of the ``k``. With
        one classifier the second is empty.
    """
    distinct = np.unique(np.asarray(classifiers))
    rng = np.random.default_rng([int(seed), zlib.crc32(scenario.encode("utf-8"))])
    shuffled = rng.permutation(distinct)
    cut = (len(distinct) + 1) // 2
    return np.sort(shuffled[:cut]), np.sort(shuffled[cut:])


@dataclass(frozen=True)
class Choice:
    """The best variant of a set of bootstraps and its mean score there."""

    variant: str
    mean: float


def best_variant(scores: pd.DataFrame) -> Choice | None:
    """The variant with the highest mean ``value`` (the first by :func:`variant_sort_key` on a tie).

    Parameters
    ----------
    scores : pandas.DataFrame
        Rows with ``variant`` and ``value``; NaN values are left out.

    Returns
    -------
    Choice or None
        None when no variant has a value.
    """
    means = scores.dropna(subset=["value"]).groupby("variant")["value"].mean()
    if means.empty:
        return None
    top = means.max()
    winner = min((str(v) for v in means.index[means == top]), key=variant_sort_key)
    return Choice(winner, float(top))


def _variant_mean(scores: pd.DataFrame, variant: str) -> float:
    values = scores.loc[scores["variant"] == variant, "value"].dropna()
    return float(values.mean()) if len(values) else float("nan")


def cross_fit_folds(
    metrics: pd.DataFrame,
    *,
    seed: int = 0,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
) -> pd.DataFrame:
    """The two folds of the cross-fitted best variant, per scenario.

    The scenario's classifiers are split in two halves (:func:`classifier_halves`), so the audit draws of
    one classifier stay together. Fold 0 chooses the best variant (:func:`best_variant`) on the first half
    and scores it on the second; fold 1 the other way round. The choosing half's rows are the only ones
    the choice sees.

    Parameters
    ----------
    metrics : pandas.DataFrame
        A tidy metrics table.
    seed : int
        Seed of the split.
    metric, method : str
        The score (default the paper's precision@10 of method ``domino``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FOLD_COLUMNS`; ``selection_classifiers`` and ``scoring_classifiers`` are tuples
        of classifier numbers and ``held_out_p10`` is the chosen variant's mean on the scoring half.
        Scenarios with fewer than two classifiers have no folds.
    """
    _check_metrics(metrics)
    scores = _rows(metrics, method, metric, ("scenario", "variant", "bootstrap"))
    records = []
    for scenario in sorted(scores["scenario"].astype(str).unique()):
        mine = scores[(scores["scenario"] == scenario) & scores["value"].notna()]
        first, second = classifier_halves(mine["classifier"].to_numpy(), seed, scenario)
        if len(second) == 0:
            continue
        for fold, (choose_on, score_on) in enumerate(((first, second), (second, first))):
            choice = best_variant(mine[mine["classifier"].isin(choose_on)])
            held_out = mine[mine["classifier"].isin(score_on)]
            records.append(
                {
                    "scenario": scenario,
                    "fold": fold,
                    "selection_classifiers": tuple(int(c) for c in choose_on),
                    "scoring_classifiers": tuple(int(c) for c in score_on),
                    "chosen_variant": choice.variant if choice else None,
                    "held_out_p10": _variant_mean(held_out, choice.variant) if choice else float("nan"),
                }
            )
    return pd.DataFrame(records, columns=list(FOLD_COLUMNS))


def cross_fitted_best(
    metrics: pd.DataFrame,
    *,
    seed: int = 0,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
) -> pd.DataFrame:
    """The in-sample best variant per scenario beside the cross-fitted score of choosing a best variant.

    The in-sample best is chosen and scored on the same bootstraps, so its score is selection-biased
    upwards: with several variants of equal merit, the one that got the luckiest audit sets wins. The
    cross-fitted score is the mean of the two held-out scores of :func:`cross_fit_folds`, an estimate of
    what "take the best variant" scores on classifiers it was not chosen on.

    Parameters
    ----------
    metrics : pandas.DataFrame
        A tidy metrics table.
    seed : int
        Seed of the split into halves.
    metric, method : str
        The score (default the paper's precision@10 of method ``domino``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CROSS_FITTED_COLUMNS`, one row per scenario with scores, sorted by scenario.
        ``cross_fitted_p10`` is NaN with fewer than two classifiers; ``n_bootstraps`` counts the
        bootstraps with a score. An empty table (no planted truth) gives an empty table.
    """
    _check_metrics(metrics)
    scores = _rows(metrics, method, metric, ("scenario", "variant", "bootstrap"))
    folds = cross_fit_folds(metrics, seed=seed, metric=metric, method=method)
    records = []
    for scenario in sorted(scores["scenario"].astype(str).unique()):
        mine = scores[(scores["scenario"] == scenario) & scores["value"].notna()]
        choice = best_variant(mine)
        if choice is None:
            continue
        held_out = folds.loc[folds["scenario"] == scenario, "held_out_p10"].dropna()
        records.append(
            {
                "scenario": scenario,
                "best_variant_in_sample": choice.variant,
                "in_sample_p10": choice.mean,
                "cross_fitted_p10": float(held_out.mean()) if len(held_out) else float("nan"),
                "n_bootstraps": int(mine["bootstrap"].nunique()),
            }
        )
    if not records:
        return _empty(CROSS_FITTED_COLUMNS, ("n_bootstraps",), ("scenario", "best_variant_in_sample"))
    table = pd.DataFrame(records, columns=list(CROSS_FITTED_COLUMNS))
    table["n_bootstraps"] = table["n_bootstraps"].astype(np.int64)
    return table
