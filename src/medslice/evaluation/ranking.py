"""The top-k sum of a ranking whose scores tie: its expected value over every order of the ties.

Domino's memberships saturate: in the demo, 40-100% of a slice's members sit at exactly 1.0. Sorting then
keeps row order inside a tie (dcbench ranks with ``rankdata(method="ordinal")``), so a top-10 precision
depends on how the table happens to be sorted, by up to 0.3 on the demo's audit sets. Taking the expected
value over a uniformly random order of each tie makes the metric a function of the scores alone.

Scores tie when they agree to :data:`TIE_DECIMALS` decimal places, not only when they are the same float:
a saturated membership comes out of the mixture's softmax as 1.0 for one sample and 1 - 1e-15 for the
next, and exact equality would rank those two apart on rounding noise alone, changing a top-10 precision
by a whole tie's share.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from medslice.errors import BadValueError

Ties = Literal["expected", "ordinal"]
TIES: tuple[str, ...] = ("expected", "ordinal")
# Scores that agree to this many decimals tie (1e-9): far above float64 noise on [0, 1] (about 1e-16),
# far below any difference a membership probability means.
TIE_DECIMALS = 9


def tie_keys(scores: np.ndarray) -> np.ndarray:
    """``scores`` rounded to :data:`TIE_DECIMALS` decimals: two scores tie when their keys are equal.

    Rounding is monotone, so ranking by the keys never reverses two scores; it merges scores closer than
    the tolerance, except the rare pair that straddles a rounding boundary (a difference of 1e-15 does with
    probability 1e-6). Saturated memberships sit far from one: everything within 5e-10 of 1.0 is 1.0.
    """
    return np.round(np.asarray(scores, dtype=np.float64), TIE_DECIMALS)


def check_ties(ties: str) -> str:
    """Return ``ties`` if it names a rule, else raise naming the choices."""
    if ties not in TIES:
        raise BadValueError(f"ties must be one of {TIES}, got {ties!r}.")
    return ties


def top_k_sum(scores: np.ndarray, values: np.ndarray, k: int, ties: str = "expected") -> float:
    """Sum of ``values`` over the ``k`` highest ``scores``.

    Parameters
    ----------
    scores : np.ndarray
        Ranking scores, 1-D.
    values : np.ndarray
        What each sample contributes when it is in the top ``k``, 1-D, same length.
    k : int
        How many samples the top holds (all of them when there are fewer).
    ties : str, default="expected"
        ``"expected"`` (default): the expectation over a uniformly random order inside each group
        of tied scores (equal :func:`tie_keys`), so a tie straddling the cut contributes its mean
        value per remaining place. ``"ordinal"``: the raw scores ranked with exact ties in row
        order, as dcbench and the paper's code rank.
    """
    if k < 1:
        raise BadValueError(f"k must be at least 1, got {k!r}.")
    check_ties(ties)
    if ties == "ordinal":
        return float(values[np.argsort(-scores, kind="mergesort")[:k]].sum())
    keys = tie_keys(scores)
    order = np.argsort(-keys, kind="mergesort")
    ranked_keys, ranked_values = keys[order], values[order]
    # Group boundaries of tied scores, in rank order.
    starts = np.flatnonzero(np.r_[True, ranked_keys[1:] != ranked_keys[:-1]])
    ends = np.r_[starts[1:], len(ranked_keys)]
    total, places = 0.0, k
    for start, end in zip(starts, ends, strict=True):
        group = ranked_values[start:end]
        if len(group) <= places:
            total += float(group.sum())
            places -= len(group)
        else:
            total += float(group.mean()) * places
            places = 0
        if places == 0:
            break
    return total
