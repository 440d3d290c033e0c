"""RuleSlicer: slices as conjunctions of metadata predicates, found by SliceLine (the ``sliceline`` package).

Domino and the other slicers find regions of an embedding space; a rule slicer finds where the classifier
errs among rows that share column values ("view = lateral and gender = F"), so its slices are explanations
in themselves. SliceLine (Sagadeeva and Boehm, SIGMOD 2021) enumerates such conjunctions with sparse linear
algebra and scores each by a mix of its size and its error rate; ``sliceline.Slicefinder`` implements it.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from medslice.errors import BadValueError
from medslice.slicing.base import record_warning
from medslice.slicing.validation import check_positive_int, labels_and_predictions

logger = logging.getLogger(__name__)

MISSING = "missing"


class RuleSlicer(BaseEstimator):
    """Find the metadata rules (conjunctions of column = value) where a classifier errs most.

    The errors are the rows where the hard prediction differs from the target. ``fit`` runs SliceLine on the
    categorical columns of ``attributes`` and keeps its ``n_slices`` best rules; a slice's members are the
    rows that satisfy its rule (membership 1.0, else 0.0).

    Parameters
    ----------
    n_slices : int, default=5
        Number of rules to report (SliceLine's ``k``; it may find fewer).
    alpha : float, default=0.95
        SliceLine's weight of a slice's error rate against its size, in (0, 1]. A rule scores
        ``alpha * (e_S / e - 1) - (1 - alpha) * (n / |S| - 1)`` (``e_S``, ``e``: the slice's and the
        audit's error rates) and only rules scoring above zero are kept. Under the ``sliceline`` package's
        default of 0.6 a planted slice of 5% of the audit set with 80% errors against 10% elsewhere scores
        below zero; at 0.95 it scores above.
    max_l : int, default=2
        The most predicates a rule joins (SliceLine's lattice level).
    min_sup : int, default=10
        The fewest rows a rule must cover.

    Attributes
    ----------
    columns_ : list of str
        The columns the rules were sought over, in ``attributes`` order.
    rules_ : list of dict
        One mapping ``{column: value}`` per reported slice, best first.
    rule_texts_ : list of str
        The rules as text, e.g. ``"view = lateral and gender = F"``.
    slice_statistics_ : list of dict
        SliceLine's statistics of each reported rule (score, size, error sum and average).
    n_slices_ : int
        ``len(rules_)``: the number of columns ``predict_proba`` returns.
    warnings_ : list of str
        Why no rules are reported, if so (no misclassified case, or no rule of ``min_sup`` rows).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> attributes = pd.DataFrame({"view": ["lateral"] * 20 + ["frontal"] * 60, "gender": ["F", "M"] * 40})
    >>> targets = np.ones(80, dtype=int)
    >>> preds = np.where(attributes["view"] == "lateral", 0, 1)
    >>> slicer = RuleSlicer(n_slices=1, min_sup=5).fit(attributes, targets, preds)
    >>> slicer.rule_texts_
    ['view = lateral']
    >>> int(slicer.predict_proba(attributes).sum())
    20
    """

    def __init__(self, n_slices: int = 5, *, alpha: float = 0.95, max_l: int = 2, min_sup: int = 10) -> None:
        self.n_slices = n_slices
        self.alpha = alpha
        self.max_l = max_l
        self.min_sup = min_sup

    def _check_params(self) -> None:
        check_positive_int(self.n_slices, "n_slices")
        check_positive_int(self.max_l, "max_l")
        check_positive_int(self.min_sup, "min_sup")
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, int | float) or not 0 < self.alpha <= 1:
            raise BadValueError(f"alpha must lie in (0, 1]; got {self.alpha!r}")

    def fit(self, attributes: pd.DataFrame, targets: np.ndarray, preds: np.ndarray) -> RuleSlicer:
        """Seek the rules over the columns of ``attributes`` (one row per audited case).

        Parameters
        ----------
        attributes : pandas.DataFrame of shape (n_samples, n_columns)
            Categorical columns; missing values form their own value, ``"missing"``.
        targets, preds : array-like of shape (n_samples,)
            True classes and hard predictions.

        Returns
        -------
        self : RuleSlicer
        """
        from sliceline import Slicefinder

        self._check_params()
        table = _categorical(attributes)
        y, y_hat = labels_and_predictions(targets, preds, len(table), reference="attributes")
        errors = (y.argmax(axis=1) != y_hat.argmax(axis=1)).astype(float)
        self.columns_ = [str(c) for c in table.columns]
        self.rules_, self.slice_statistics_, self.warnings_ = [], [], []
        if not errors.any():
            record_warning(self.warnings_, "no misclassified case: there is nothing to slice")
        else:
            finder = Slicefinder(
                alpha=float(self.alpha), k=int(self.n_slices), max_l=int(self.max_l),
                min_sup=int(self.min_sup), verbose=False,
            )  # fmt: skip
            finder.fit(table.to_numpy(dtype=object), errors)
            # On a tie at the k-th score SliceLine returns every tied rule: keep the first n_slices.
            found = zip(finder.top_slices_, finder.top_slices_statistics_, strict=True)
            for values, statistics in list(found)[: int(self.n_slices)]:
                pairs = zip(self.columns_, values, strict=True)
                self.rules_.append({column: str(value) for column, value in pairs if value is not None})
                self.slice_statistics_.append({key: float(value) for key, value in statistics.items()})
            if not self.rules_:
                record_warning(
                    self.warnings_, f"no rule covers at least min_sup={self.min_sup} rows with errors"
                )
        self.rule_texts_ = [" and ".join(f"{c} = {v}" for c, v in rule.items()) for rule in self.rules_]
        self.n_slices_ = len(self.rules_)
        return self

    def predict_proba(
        self, attributes: pd.DataFrame, targets: np.ndarray | None = None, preds: np.ndarray | None = None
    ) -> np.ndarray:
        """Rule membership, shape (n_samples, ``n_slices_``): 1.0 where a row satisfies the rule, else 0.0.

        ``targets`` and ``preds`` are accepted for the slicers' common signature and not used: a rule
        reads the columns only.
        """
        check_is_fitted(self, "rules_")
        table = _categorical(attributes)
        membership = np.zeros((len(table), self.n_slices_))
        for index, rule in enumerate(self.rules_):
            inside = np.ones(len(table), dtype=bool)
            for column, value in rule.items():
                inside &= table[column].to_numpy(dtype=object) == value
            membership[:, index] = inside
        return membership


def _categorical(attributes: pd.DataFrame) -> pd.DataFrame:
    """Every column as strings, missing values as ``"missing"``: SliceLine one-hot encodes the values."""
    if not isinstance(attributes, pd.DataFrame) or attributes.shape[1] == 0:
        raise BadValueError("attributes must be a DataFrame with at least one column")
    return attributes.astype(object).where(attributes.notna(), MISSING).astype(str).reset_index(drop=True)
