"""Failure-injection samplers: spurious correlation, rare slice and label noise.

Every sampler takes a *pool*: a frame with one row per image and at least the columns ``dicom_id``,
``subject_id``, ``target`` (true label, 0/1), ``attribute`` (bool) and ``in_slice`` (bool). It
returns the sampled rows (all pool columns kept) with ``true_target`` and ``label_flipped`` added
and ``target`` holding the observed label, plus a JSON-friendly QA dict. Cell counts are solved
analytically and then sampled without replacement, so the injected property holds exactly up to
rounding rather than on average.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from medslice.errors import BadValueError

POOL_COLUMNS: tuple[str, ...] = ("dicom_id", "subject_id", "target", "attribute", "in_slice")
CORRELATION_TOLERANCE = 0.02


class PoolTooSmallError(BadValueError):
    """The pool lacks rows a sampler needs; the message names the cell and the numbers."""


def phi_coefficient(n11: int, n10: int, n01: int, n00: int) -> float:
    """Pearson correlation of two binary variables from their 2x2 counts (n<target><attribute>).

    Returns NaN when either variable is constant.
    """
    denominator = math.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))
    if denominator == 0:
        return float("nan")
    return (n11 * n00 - n10 * n01) / denominator


def correlation_cell_counts(
    n: int, correlation: float, target_prevalence: float, attribute_prevalence: float
) -> dict[tuple[int, int], int]:
    """Solve the 2x2 counts of ``n`` rows with the given prevalences and Pearson ``correlation``.

    Keys are ``(target, attribute)``. The positives and attribute-positives are rounded first, then
    the joint cell is placed so that the phi coefficient of the integer table is as close as
    possible to ``correlation``. Raises ``ValueError`` when the prevalences cannot reach the
    correlation within ``CORRELATION_TOLERANCE`` (or, for sets so small that one count moves phi
    further, within half such a step); the message gives the reachable range.
    """
    if n <= 0:
        raise BadValueError(f"n must be positive, got {n}")
    if not -1.0 < correlation < 1.0:
        raise BadValueError(f"correlation must lie strictly between -1 and 1, got {correlation}")
    n_pos = round(n * target_prevalence)
    n_attr = round(n * attribute_prevalence)
    if n_pos in (0, n) or n_attr in (0, n):
        raise BadValueError(
            f"with n={n}, target prevalence {target_prevalence:.3f} and attribute prevalence "
            f"{attribute_prevalence:.3f} one variable is constant, so no correlation can be set"
        )
    lowest, highest = max(0, n_pos + n_attr - n), min(n_pos, n_attr)
    p, q = n_pos / n, n_attr / n
    ideal = n * (p * q + correlation * math.sqrt(p * (1 - p) * q * (1 - q)))

    def table(n11: int) -> tuple[int, int, int, int]:
        return n11, n_pos - n11, n_attr - n11, n - n_pos - n_attr + n11

    # Rounding the ideal joint count can miss by one; pick the neighbour whose phi is closest.
    candidates = {min(max(c, lowest), highest) for c in (math.floor(ideal), math.ceil(ideal))}
    n11 = min(candidates, key=lambda c: abs(phi_coefficient(*table(c)) - correlation))
    achieved = phi_coefficient(*table(n11))
    # phi moves by this much per unit of n11; small sets cannot resolve the target more finely.
    step = n / math.sqrt(n_pos * (n - n_pos) * n_attr * (n - n_attr))
    if abs(achieved - correlation) > max(CORRELATION_TOLERANCE, step / 2 + 1e-12):
        reachable = (phi_coefficient(*table(lowest)), phi_coefficient(*table(highest)))
        raise BadValueError(
            f"correlation {correlation} is unreachable with target prevalence {p:.3f} and "
            f"attribute prevalence {q:.3f} (reachable range {reachable[0]:.3f} .. "
            f"{reachable[1]:.3f}); "
            "set target_prevalence and/or attribute_prevalence in the mechanism"
        )
    n11, n10, n01, n00 = table(n11)
    return {(1, 1): n11, (1, 0): n10, (0, 1): n01, (0, 0): n00}


def _sample_cells(
    pool: pd.DataFrame,
    counts: dict[tuple[int, bool], int],
    rng: np.random.Generator,
    *,
    attribute_name: str = "attribute",
) -> pd.DataFrame:
    """Sample ``counts[(target, attribute)]`` rows from each cell of ``pool``, no replacement."""
    chosen: list[np.ndarray] = []
    targets = pool["target"].to_numpy()
    attributes = pool[attribute_name].to_numpy(dtype=bool)
    for (target, attribute), count in counts.items():
        members = np.flatnonzero((targets == target) & (attributes == bool(attribute)))
        if count > len(members):
            raise PoolTooSmallError(
                f"cell target={target}, {attribute_name}={bool(attribute)} needs {count} rows but "
                f"the pool has only {len(members)}"
            )
        if count < 0:
            raise BadValueError(f"cell target={target}, {attribute_name}={bool(attribute)}: count {count}")
        chosen.append(rng.choice(members, size=count, replace=False))
    order = np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=int)
    return pool.iloc[order]


def _with_observed_labels(sample: pd.DataFrame, flipped: np.ndarray | None = None) -> pd.DataFrame:
    """Add ``true_target`` and ``label_flipped`` and flip ``target`` where ``flipped`` is set."""
    frame = sample.reset_index(drop=True).copy()
    frame["true_target"] = frame["target"].astype("int64")
    flips = np.zeros(len(frame), dtype=bool) if flipped is None else flipped
    frame["label_flipped"] = flips
    frame["target"] = np.where(flips, 1 - frame["true_target"], frame["true_target"]).astype("int64")
    return frame


def _check_pool(pool: pd.DataFrame) -> None:
    missing = [c for c in POOL_COLUMNS if c not in pool.columns]
    if missing:
        raise BadValueError(f"pool lacks column(s) {missing}; expected at least {list(POOL_COLUMNS)}")


def sample_correlated(
    pool: pd.DataFrame,
    n: int,
    correlation: float,
    rng: np.random.Generator,
    *,
    target_prevalence: float | None = None,
    attribute_prevalence: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Sample ``n`` rows whose target/attribute correlation is ``correlation`` (within 0.02).

    Prevalences default to the pool's own. Raises ``PoolTooSmallError`` naming the cell when the
    pool cannot supply a cell's count, and ``ValueError`` when the correlation is unreachable.
    """
    _check_pool(pool)
    p = float(pool["target"].mean()) if target_prevalence is None else target_prevalence
    q = float(pool["attribute"].mean()) if attribute_prevalence is None else attribute_prevalence
    counts = correlation_cell_counts(n, correlation, p, q)
    frame = _with_observed_labels(_sample_cells(pool, counts, rng))
    achieved = float(np.corrcoef(frame["target"], frame["attribute"].astype(float))[0, 1])
    qa = {
        "mechanism": "correlation",
        "n": len(frame),
        "requested_correlation": float(correlation),
        "achieved_correlation": achieved,
        "target_prevalence": float(frame["target"].mean()),
        "attribute_prevalence": float(frame["attribute"].mean()),
        "cell_counts": {f"target={t},attribute={a}": c for (t, a), c in counts.items()},
    }
    return frame, qa


def sample_rare(
    pool: pd.DataFrame,
    n_positive: int,
    n_negative: int,
    attribute_positive_share: float,
    rng: np.random.Generator,
    *,
    negative_attribute_share: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Sample exactly ``n_positive`` positives and ``n_negative`` negatives.

    Exactly ``round(attribute_positive_share * (n_positive + n_negative))`` of the rows are
    attribute-positive positives; the other positives lack the attribute. Negatives keep the pool's
    natural attribute mix, or hold exactly ``round(negative_attribute_share * n_negative)``
    attribute-positive rows when that share is given.
    """
    _check_pool(pool)
    total = n_positive + n_negative
    n_rare = round(attribute_positive_share * total)
    if n_rare > n_positive:
        raise BadValueError(
            f"attribute_positive_share {attribute_positive_share} of {total} rows asks for "
            f"{n_rare} attribute-positive positives, more than n_positive={n_positive}"
        )
    counts: dict[tuple[int, bool], int] = {(1, True): n_rare, (1, False): n_positive - n_rare}
    if negative_attribute_share is None:
        negatives = np.flatnonzero(pool["target"].to_numpy() == 0)
        if n_negative > len(negatives):
            raise PoolTooSmallError(
                f"cell target=0 needs {n_negative} rows but the pool has only {len(negatives)}"
            )
        negative_rows = rng.choice(negatives, size=n_negative, replace=False)
        positive_part = _sample_cells(pool, counts, rng)
        sample = pd.concat([positive_part, pool.iloc[np.sort(negative_rows)]])
    else:
        n_attr_negative = round(negative_attribute_share * n_negative)
        counts[(0, True)] = n_attr_negative
        counts[(0, False)] = n_negative - n_attr_negative
        sample = _sample_cells(pool, counts, rng)
    frame = _with_observed_labels(sample)
    rare = frame["target"].eq(1) & frame["attribute"]
    qa = {
        "mechanism": "rare",
        "n": len(frame),
        "n_positive": int(frame["target"].sum()),
        "n_negative": int((frame["target"] == 0).sum()),
        "n_attribute_positive_positives": int(rare.sum()),
        "requested_rare_share": float(attribute_positive_share),
        "achieved_rare_share": float(rare.mean()) if len(frame) else float("nan"),
        "negative_attribute_share": float(frame.loc[frame["target"] == 0, "attribute"].mean())
        if n_negative
        else float("nan"),
    }
    return frame, qa


def sample_with_label_noise(
    pool: pd.DataFrame,
    n: int,
    flip_fraction: float,
    rng: np.random.Generator,
    *,
    target_prevalence: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Sample ``n`` rows, then flip exactly ``round(flip_fraction * |subgroup|)`` labels to 0.

    The subgroup is ``target == 1 and attribute`` of the sample. Rows are drawn uniformly, or with
    exactly ``round(target_prevalence * n)`` positives when ``target_prevalence`` is given. The
    flipped rows are marked in ``label_flipped`` and listed in the QA dict.
    """
    _check_pool(pool)
    if target_prevalence is None:
        if n > len(pool):
            raise PoolTooSmallError(f"sample needs {n} rows but the pool has only {len(pool)}")
        sample = pool.iloc[np.sort(rng.choice(len(pool), size=n, replace=False))]
    else:
        n_pos = round(n * target_prevalence)
        targets = pool["target"].to_numpy()
        chosen = []
        for value, count in ((1, n_pos), (0, n - n_pos)):
            members = np.flatnonzero(targets == value)
            if count > len(members):
                raise PoolTooSmallError(
                    f"cell target={value} needs {count} rows but the pool has only {len(members)}"
                )
            chosen.append(rng.choice(members, size=count, replace=False))
        sample = pool.iloc[np.sort(np.concatenate(chosen))]
    subgroup = np.flatnonzero((sample["target"].to_numpy() == 1) & sample["attribute"].to_numpy(bool))
    n_flip = round(flip_fraction * len(subgroup))
    flipped = np.zeros(len(sample), dtype=bool)
    flipped[rng.choice(subgroup, size=n_flip, replace=False)] = True
    frame = _with_observed_labels(sample, flipped)
    qa = {
        "mechanism": "label_noise",
        "n": len(frame),
        "subgroup_size": len(subgroup),
        "requested_flip_fraction": float(flip_fraction),
        "flipped_count": int(n_flip),
        "flipped_ids": frame.loc[frame["label_flipped"], "dicom_id"].astype(str).tolist(),
        "observed_target_prevalence": float(frame["target"].mean()),
        "true_target_prevalence": float(frame["true_target"].mean()),
    }
    return frame, qa
