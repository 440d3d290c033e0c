"""Attribute enrichment: which categorical values are over- or under-represented in a slice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.stats import fisher_exact
from sklearn.base import BaseEstimator

from medslice.errors import BadTypeError, BadValueError, UnknownNameError

try:  # the hypergeometric kernels scipy.stats.hypergeom evaluates (Boost), without its per-call checks
    from scipy.special._ufuncs import _hypergeom_cdf, _hypergeom_pmf, _hypergeom_sf
except ImportError:  # pragma: no cover - another scipy layout: fall back to scipy.stats.fisher_exact
    _hypergeom_cdf = _hypergeom_pmf = _hypergeom_sf = None

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
        raise BadValueError(f"p_values must be 1-D, got shape {p.shape}.")
    if p.size == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise BadValueError("p_values must lie in [0, 1] and contain no NaN.")
    m = p.size
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(monotone, 1.0)
    return q


# scipy.stats.fisher_exact's tolerance for "as likely as the observed table" (two-sided test).
_FISHER_EPSILON = 1e-14


@lru_cache(maxsize=1 << 16)
def fisher_exact_two_sided(a: int, b: int, c: int, d: int) -> float:
    """The two-sided p-value of Fisher's exact test on ``[[a, b], [c, d]]``, equal to
    ``scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue`` bit for bit.

    It is scipy's algorithm (scipy/stats/_stats_py.py, ``fisher_exact``, 2 x 2 case) on the same
    hypergeometric kernels, without ``scipy.stats.hypergeom``'s argument checks and broadcasting, which
    cost about a millisecond per test: an audit runs hundreds of tests per slice. The slices of one audit
    set in different variants often give the same tables, so recent results are kept.
    """
    if _hypergeom_pmf is None:  # pragma: no cover
        return float(fisher_exact([[a, b], [c, d]]).pvalue)
    if a < 0 or b < 0 or c < 0 or d < 0:
        raise BadValueError("All values in `table` must be nonnegative.")
    if a + b == 0 or c + d == 0 or a + c == 0 or b + d == 0:
        return 1.0
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2
    low, high = max(n - n2, 0), min(n1, n)  # the support of hypergeom(total, n1, n)

    # hypergeom.pmf / cdf / sf at an integer: the kernel clipped to [0, 1] inside the support. Python floats
    # round exactly as numpy's float64 scalars do, and are several times faster to compute with.
    def pmf(x: int) -> float:
        if x < low or x > high:
            return 0.0
        return min(max(float(_hypergeom_pmf(x, n1, n, total)), 0.0), 1.0)

    def cdf(x: int) -> float:
        if x >= high:
            return 1.0
        if x < low:
            return 0.0
        return min(max(float(_hypergeom_cdf(x, n1, n, total)), 0.0), 1.0)

    def sf(x: int) -> float:
        if x < low:
            return 1.0
        if x >= high:
            return 0.0
        return min(max(float(_hypergeom_sf(x, n1, n, total)), 0.0), 1.0)

    mode = int((n + 1) * (n1 + 1) / (total + 2))
    pexact = pmf(a)
    pmode = pmf(mode)
    gamma = 1 + _FISHER_EPSILON
    largest = max(pexact, pmode)
    # scipy divides by the larger probability; both zero gives NaN there, which compares false.
    if largest > 0 and abs(pexact - pmode) / largest <= _FISHER_EPSILON:
        return 1.0
    if a < mode:
        plower = cdf(a)
        if pmf(n) > pexact * gamma:
            return min(plower, 1.0)
        guess = _binary_search(lambda x: -pmf(x), -pexact * gamma, mode, n)
        pvalue = plower + sf(guess)
    else:
        pupper = sf(a - 1)
        if pmf(0) > pexact * gamma:
            return min(pupper, 1.0)
        guess = _binary_search(pmf, pexact * gamma, 0, mode)
        pvalue = pupper + cdf(guess)
    return min(pvalue, 1.0)


def _binary_search(function: object, value: float, low: int, high: int) -> int:
    """scipy's ``_binary_search_for_binom_tst``: the i in [low, high] with f(i) <= value < f(i + 1)."""
    while low < high:
        middle = low + (high - low) // 2
        found = function(middle)
        if found < value:
            low = middle + 1
        elif found > value:
            high = middle - 1
        else:
            return middle
    return low if function(low) <= value else low - 1


def _categories(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values rendered as strings so that 1, 1.0 and "1" read alike, NaN a category of its own: the sorted
    distinct strings, and the position of each row's string among them.

    Each distinct value is rendered once (values equal in Python, such as 1, 1.0 and True, render alike
    anyway) and only the few distinct strings are sorted, which keeps a call on a few hundred rows cheap.
    """
    codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=False)
    rendered = [_render_value(value) for value in distinct]
    labels = sorted(set(rendered))
    position = {label: index for index, label in enumerate(labels)}
    relabel = np.array([position[label] for label in rendered], dtype=np.intp)
    return np.array(labels, dtype=object), relabel[codes]


def _render_value(value: object) -> str:
    if is_missing(value):
        return MISSING_VALUE
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class CategoryCodes:
    """Categorical columns rendered once: per column its distinct rendered values, sorted, and the code
    of every row. :meth:`AttributeEnrichment.explain` takes it in place of the frame, so that the slices
    of one audit set do not each render the same values again."""

    columns: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (name, sorted labels, row codes)
    n_samples: int

    @classmethod
    def from_frame(cls, attributes: pd.DataFrame, columns: Sequence[str] | None = None) -> CategoryCodes:
        """Render ``columns`` (default all) of ``attributes``; every one must exist."""
        if isinstance(columns, str):
            raise BadTypeError(f"columns must be a list of column names, not the string {columns!r}.")
        selected = list(attributes.columns if columns is None else columns)
        missing = [column for column in selected if column not in attributes.columns]
        if missing:
            raise UnknownNameError(f"attributes has no column(s) {missing}.")
        coded = []
        for column in selected:
            labels, codes = _categories(attributes[column])
            coded.append((str(column), labels, codes))
        return cls(tuple(coded), len(attributes))

    def __len__(self) -> int:
        return self.n_samples

    def select(self, columns: Sequence[str]) -> CategoryCodes:
        """The named columns only, in the order given."""
        if isinstance(columns, str):
            raise BadTypeError(f"columns must be a list of column names, not the string {columns!r}.")
        by_name = {column[0]: column for column in self.columns}
        missing = [column for column in columns if str(column) not in by_name]
        if missing:
            raise UnknownNameError(f"attributes has no column(s) {missing}.")
        return CategoryCodes(tuple(by_name[str(column)] for column in columns), self.n_samples)


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

    @staticmethod
    def enrichment_columns(
        categories: CategoryCodes, members: np.ndarray, reference: np.ndarray
    ) -> dict[str, list]:
        """The rows of :meth:`explain`'s table as lists, already in its order (q, then lift highest
        first, then column and value), for disjoint boolean ``members`` and ``reference`` masks.

        It is the whole computation of :meth:`explain` without a DataFrame, for callers that read a
        few rows of many slices.
        """
        n_slice, n_reference = int(members.sum()), int(reference.sum())
        names, values, in_slice, in_reference = [], [], [], []
        for column, labels, codes in categories.columns:
            slice_counts = np.bincount(codes[members], minlength=len(labels))
            reference_counts = np.bincount(codes[reference], minlength=len(labels))
            # Every value seen in either group, in sorted order (labels are sorted and distinct).
            present = np.flatnonzero((slice_counts + reference_counts) > 0)
            names += [column] * len(present)
            values += labels[present].tolist()
            in_slice += slice_counts[present].tolist()
            in_reference += reference_counts[present].tolist()
        slice_prevalence, reference_prevalence, lift, p_values = [], [], [], []
        for count, other in zip(in_slice, in_reference, strict=True):
            inside, outside = count / n_slice, other / n_reference
            slice_prevalence.append(inside)
            reference_prevalence.append(outside)
            lift.append(inside / outside if outside > 0 else np.inf)
            # Rounding can push an exact p a hair above 1.
            p_values.append(
                min(1.0, fisher_exact_two_sided(count, n_slice - count, other, n_reference - other))
            )
        q_values = benjamini_hochberg(np.asarray(p_values, dtype=np.float64)).tolist()
        # (column, value) pairs are distinct, so this order has no ties: it is the stable sort's.
        column_rank = {name: rank for rank, name in enumerate(sorted(set(names)))}
        value_rank = {value: rank for rank, value in enumerate(sorted(set(values)))}
        order = np.lexsort(
            (
                np.array([value_rank[v] for v in values], dtype=np.int64),
                np.array([column_rank[c] for c in names], dtype=np.int64),
                -np.asarray(lift, dtype=np.float64),
                np.asarray(q_values, dtype=np.float64),
            )
        ).tolist()
        columns = {
            "column": names,
            "value": values,
            "slice_prevalence": slice_prevalence,
            "reference_prevalence": reference_prevalence,
            "lift": lift,
            "p_value": p_values,
            "q_value": q_values,
        }
        return {name: [column[i] for i in order] for name, column in columns.items()}

    def _check_alpha(self) -> None:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or not 0 < self.alpha < 1:
            raise BadValueError(f"alpha must lie in (0, 1), got {self.alpha!r}.")

    def explain(
        self,
        attributes: pd.DataFrame | CategoryCodes,
        slice_mask: ArrayLike,
        reference_mask: ArrayLike | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return the enrichment table of ``columns`` (default all) of ``attributes`` for a slice.

        Parameters
        ----------
        attributes : pd.DataFrame or CategoryCodes
            One row per sample, e.g. the cohort's categorical columns; or their
            :class:`CategoryCodes`, to render the values once for many slices of the same rows.
        slice_mask : ArrayLike
            Slice members, as a boolean mask or membership probabilities (> 0.5).
        reference_mask : ArrayLike or None, default=None
            The reference group; default every non-member. Slice members are always
            removed from it, because Fisher's test needs two disjoint groups.
        columns : Sequence[str] or None, default=None
            The columns to test; every one must exist in ``attributes``.

        Returns
        -------
        pd.DataFrame
            DataFrame with columns ``column, value, slice_prevalence, reference_prevalence, lift,
            p_value, q_value, significant``, sorted by q-value then by lift (highest first).
        """
        self._check_alpha()
        if not isinstance(attributes, pd.DataFrame | CategoryCodes):
            raise BadTypeError(f"attributes must be a pandas DataFrame, got {type(attributes).__name__}.")
        n_samples = len(attributes)
        members = as_mask(slice_mask, "slice_mask", n_samples)
        reference = (
            ~members
            if reference_mask is None
            else as_mask(reference_mask, "reference_mask", n_samples) & ~members
        )
        if not members.any():
            raise BadValueError("slice_mask selects no samples.")
        if not reference.any():
            raise BadValueError("The reference group is empty once slice members are removed.")
        categories = (
            attributes
            if isinstance(attributes, CategoryCodes)
            else CategoryCodes.from_frame(attributes, columns)
        )
        if columns is not None and isinstance(attributes, CategoryCodes):
            categories = categories.select(columns)
        found = self.enrichment_columns(categories, members, reference)
        table = pd.DataFrame(
            {name: found[name] for name in ENRICHMENT_COLUMNS[:6]}
            if found["column"]
            else [],  # no test: the empty frame of old, with its object columns
            columns=list(ENRICHMENT_COLUMNS[:6]),
        )
        table["p_value"] = table["p_value"].astype(np.float64)
        table["q_value"] = np.asarray(found["q_value"], dtype=np.float64)
        table["significant"] = table["q_value"] <= self.alpha
        self.results_ = table
        return table
