"""Attribute enrichment: which categorical values are over- or under-represented in a slice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import fisher_exact
from sklearn.base import BaseEstimator

from medslice.explain._masks import as_mask, is_missing

ENRICHMENT_COLUMNS: tuple[str, ...] = (
    "column",
    "value",
    "slice_prevalence",
    "reference_prevalence",
    "lift",
    "p_value",
    "q_value",
    "significant",
)
MISSING_VALUE = "<missing>"


def benjamini_hochberg(p_values: ArrayLike) -> np.ndarray:
    """Return Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    Equal to ``scipy.stats.false_discovery_control(p, method="bh")``; written out so that its steps
    are visible: scale the sorted p-values by ``m / rank``, enforce monotonicity from the largest
    down, cap at 1.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}.")
    if p.size == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must lie in [0, 1] and contain no NaN.")
    m = p.size
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(monotone, 1.0)
    return q


def _as_categories(series: pd.Series) -> np.ndarray:
    """Render values as strings so that 1, 1.0 and "1" read alike; NaN becomes a category.

    Each distinct value is rendered once (values equal in Python, such as 1, 1.0 and True, render
    alike anyway), which keeps a call on a few hundred rows of a cohort cheap.
    """
    codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=False)
    rendered = np.array([_render_value(value) for value in distinct] or [""], dtype=object)
    return rendered[codes]


def _render_value(value: object) -> str:
    if is_missing(value):
        return MISSING_VALUE
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


class AttributeEnrichment(BaseEstimator):
    """Compare the prevalence of every categorical value in a slice against a reference group.

    For each value of each column: slice and reference prevalence, lift (slice / reference),
    two-sided Fisher's exact p-value on the 2x2 table (group x has-value), and a Benjamini-Hochberg
    q-value over all tests of one call. Missing values form their own category, ``"<missing>"``.

    Attributes (after :meth:`explain`):
        results_: the last table returned.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha

    def fit(self, attributes: pd.DataFrame | None = None, y: object = None) -> AttributeEnrichment:
        """Check the settings; returns self. The test needs no fitting: each call to :meth:`explain`
        compares one slice with its reference, so this exists for scikit-learn pipelines and ``clone``.
        """
        del attributes, y
        self._check_alpha()
        return self

    def _check_alpha(self) -> None:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}.")

    def explain(
        self,
        attributes: pd.DataFrame,
        slice_mask: ArrayLike,
        reference_mask: ArrayLike | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return the enrichment table of ``columns`` (default all) of ``attributes`` for a slice.

        Args:
            attributes: one row per sample, e.g. the cohort's categorical columns.
            slice_mask: slice members, as a boolean mask or membership probabilities (> 0.5).
            reference_mask: the reference group; default every non-member. Slice members are always
                removed from it, because Fisher's test needs two disjoint groups.
            columns: the columns to test; every one must exist in ``attributes``.

        Returns:
            DataFrame with columns ``column, value, slice_prevalence, reference_prevalence, lift,
            p_value, q_value, significant``, sorted by q-value then by lift (highest first).
        """
        self._check_alpha()
        if not isinstance(attributes, pd.DataFrame):
            raise TypeError(f"attributes must be a pandas DataFrame, got {type(attributes).__name__}.")
        n_samples = len(attributes)
        members = as_mask(slice_mask, "slice_mask", n_samples)
        reference = (
            ~members
            if reference_mask is None
            else as_mask(reference_mask, "reference_mask", n_samples) & ~members
        )
        if not members.any():
            raise ValueError("slice_mask selects no samples.")
        if not reference.any():
            raise ValueError("The reference group is empty once slice members are removed.")
        if isinstance(columns, str):
            raise TypeError(f"columns must be a list of column names, not the string {columns!r}.")
        selected = list(attributes.columns if columns is None else columns)
        missing = [column for column in selected if column not in attributes.columns]
        if missing:
            raise KeyError(f"attributes has no column(s) {missing}.")

        rows = []
        n_slice, n_reference = int(members.sum()), int(reference.sum())
        for column in selected:
            categories = _as_categories(attributes[column])
            slice_values = categories[members]
            reference_values = categories[reference]
            for value in sorted(set(slice_values) | set(reference_values)):
                in_slice = int((slice_values == value).sum())
                in_reference = int((reference_values == value).sum())
                table = [[in_slice, n_slice - in_slice], [in_reference, n_reference - in_reference]]
                slice_prevalence = in_slice / n_slice
                reference_prevalence = in_reference / n_reference
                rows.append(
                    {
                        "column": str(column),
                        "value": value,
                        "slice_prevalence": slice_prevalence,
                        "reference_prevalence": reference_prevalence,
                        "lift": (
                            slice_prevalence / reference_prevalence if reference_prevalence > 0 else np.inf
                        ),
                        # Rounding can push an exact p a hair above 1.
                        "p_value": min(1.0, float(fisher_exact(table).pvalue)),
                    }
                )
        table = pd.DataFrame(rows, columns=list(ENRICHMENT_COLUMNS[:6]))
        table["p_value"] = table["p_value"].astype(np.float64)
        table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy())
        table["significant"] = table["q_value"] <= self.alpha
        table = table.sort_values(
            ["q_value", "lift", "column", "value"],
            ascending=[True, False, True, True],
            kind="mergesort",
            ignore_index=True,
        )
        self.results_ = table
        return table
