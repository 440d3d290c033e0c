"""The top-k sum of a ranking whose scores tie: its expected value over every order of the ties.

Domino's memberships saturate: in the demo, 40-100% of a slice's members sit at exactly 1.0. Sorting then
keeps row order inside a tie (dcbench ranks with ``rankdata(method="ordinal")``), so a top-10 precision
depends on how the table happens to be sorted, by up to 0.3 on the demo's audit sets. Taking the expected
value over a uniformly random order of each tie makes the metric a function of the scores alone.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Ties = Literal["expected", "ordinal"]
TIES: tuple[str, ...] = ("expected", "ordinal")


def check_ties(ties: str) -> str:
    """Return ``ties`` if it names a rule, else raise naming the choices."""
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}.")
    return ties


def top_k_sum(scores: np.ndarray, values: np.ndarray, k: int, ties: str = "expected") -> float:
    """Sum of ``values`` over the ``k`` highest ``scores``.

    Args:
        scores: ranking scores, 1-D.
        values: what each sample contributes when it is in the top ``k``, 1-D, same length.
        k: how many samples the top holds (all of them when there are fewer).
        ties: ``"expected"`` (default): the expectation over a uniformly random order inside each group
            of equal scores, so a tie straddling the cut contributes its mean value per remaining place.
            ``"ordinal"``: ties keep row order, as dcbench and the paper's code rank.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k!r}.")
    check_ties(ties)
    order = np.argsort(-scores, kind="mergesort")
    if ties == "ordinal":
        return float(values[order[:k]].sum())
    ranked_scores, ranked_values = scores[order], values[order]
    # Group boundaries of equal scores, in rank order.
    starts = np.flatnonzero(np.r_[True, ranked_scores[1:] != ranked_scores[:-1]])
    ends = np.r_[starts[1:], len(ranked_scores)]
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
