"""Patient-disjoint training, validation and audit sets for one bootstrap of a scenario.

Per bootstrap the cohort's subjects are split at random into a training pool and an audit pool
(``spec.audit_pool_fraction`` of the subjects). The training set is drawn from the training pool
with the scenario's injection mechanism; the validation set (for early stopping) is drawn with the
same mechanism from the training pool's *remaining* subjects, so it mirrors the biased data a
practitioner would hold out and never touches the audit pool. The audit set holds exactly
``round(fraction * n_audit)`` slice cases; its non-slice part is class-balanced (half positives
overall, counting the slice cases) by default, or keeps the audit pool's natural class mix with
``audit_mix: natural``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.scenarios.mechanisms import PoolTooSmallError
from medslice.scenarios.spec import AuditComposition, ScenarioSpec

SET_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "subject_id",
    "image_path",
    "target",
    "true_target",
    "label_flipped",
    "attribute",
    "in_slice",
    "bootstrap",
    "classifier",
    "role",
)
ROLES: tuple[str, ...] = ("train", "validate", "audit")


@dataclass(frozen=True)
class ScenarioPool:
    """The cohort rows a scenario can draw from, with target, attribute and slice evaluated once."""

    frame: pd.DataFrame
    n_missing_target: int

    @property
    def subjects(self) -> np.ndarray:
        """Sorted unique subject ids of the pool."""
        return np.unique(self.frame["subject_id"].to_numpy())


def prepare_pool(cohort: pd.DataFrame, spec: ScenarioSpec) -> ScenarioPool:
    """Evaluate ``spec`` over ``cohort`` into a pool sorted by ``dicom_id``.

    Rows with a missing target are excluded and counted in ``n_missing_target``. Sorting makes draws
    independent of the cohort's row order.
    """
    for column in ("dicom_id", "subject_id", "image_path"):
        if column not in cohort.columns:
            raise BadValueError(f"cohort lacks column {column!r} needed by scenario {spec.name!r}")
    if cohort["dicom_id"].duplicated().any():
        first = cohort.loc[cohort["dicom_id"].duplicated(), "dicom_id"].iloc[0]
        raise BadValueError(f"cohort has duplicate dicom_id values, e.g. {first!r}")
    target = spec.evaluate_target(cohort)
    attribute = spec.evaluate_attribute(cohort).loc[target.index]
    frame = pd.DataFrame(
        {
            "dicom_id": cohort.loc[target.index, "dicom_id"].astype(str).to_numpy(),
            "subject_id": cohort.loc[target.index, "subject_id"].astype("int64").to_numpy(),
            "image_path": cohort.loc[target.index, "image_path"].astype(str).to_numpy(),
            "target": target.to_numpy(),
            "attribute": attribute.to_numpy(dtype=bool),
            "in_slice": spec.evaluate_slice(target, attribute).to_numpy(dtype=bool),
        }
    )
    frame = frame.sort_values("dicom_id", kind="stable").reset_index(drop=True)
    return ScenarioPool(frame=frame, n_missing_target=len(cohort) - len(target))


def split_subjects(
    subjects: np.ndarray, audit_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Randomly split ``subjects`` into (training-pool subjects, audit-pool subjects)."""
    shuffled = rng.permutation(subjects)
    n_audit = round(audit_fraction * len(shuffled))
    if n_audit in (0, len(shuffled)):
        raise BadValueError(
            f"audit_pool_fraction {audit_fraction} of {len(shuffled)} subjects leaves a pool empty"
        )
    return np.sort(shuffled[n_audit:]), np.sort(shuffled[:n_audit])


def draw_training_sets(
    train_pool: pd.DataFrame, spec: ScenarioSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Draw the injected training set, then a patient-disjoint validation set from the same pool."""
    train, train_qa = _sample(spec, train_pool, spec.n_train, rng, what="training", reference=train_pool)
    remaining = train_pool[~train_pool["subject_id"].isin(train["subject_id"])]
    validate, validate_qa = _sample(
        spec, remaining, spec.n_validate, rng, what="validation", reference=train_pool
    )
    return (
        train.assign(role="train"),
        validate.assign(role="validate"),
        {
            "train": train_qa,
            "validate": validate_qa,
        },
    )


def draw_audit_set(
    audit_pool: pd.DataFrame,
    spec: ScenarioSpec,
    composition: AuditComposition,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict]:
    """Draw an audit set of exactly ``composition.n_slice`` slice cases and ``composition.n_other`` others."""
    n_slice, n_rest = composition.n_slice, composition.n_other
    in_slice = audit_pool["in_slice"].to_numpy(dtype=bool)
    targets = audit_pool["target"].to_numpy()
    slice_rows = _choose(np.flatnonzero(in_slice), n_slice, rng, spec, "audit slice")
    if spec.audit_mix == "natural":
        rest_rows = _choose(np.flatnonzero(~in_slice), n_rest, rng, spec, "audit non-slice")
    else:
        slice_positives = int(targets[slice_rows].sum())
        n_pos = min(max(round(composition.n / 2) - slice_positives, 0), n_rest)
        positives = np.flatnonzero(~in_slice & (targets == 1))
        negatives = np.flatnonzero(~in_slice & (targets == 0))
        rest_rows = np.concatenate(
            [
                _choose(positives, n_pos, rng, spec, "audit non-slice target=1"),
                _choose(negatives, n_rest - n_pos, rng, spec, "audit non-slice target=0"),
            ]
        )
    audit = audit_pool.iloc[np.sort(np.concatenate([slice_rows, rest_rows]))].reset_index(drop=True)
    audit = audit.assign(true_target=audit["target"], label_flipped=False, role="audit")
    qa = {
        "n": len(audit),
        "requested_slice_fraction": float(composition.requested_fraction),
        "n_slice": int(audit["in_slice"].sum()),
        "slice_share": float(audit["in_slice"].mean()),
        "positive_share": float(audit["target"].mean()),
        "attribute_share": float(audit["attribute"].mean()),
        "mix": spec.audit_mix,
    }
    return audit, qa


@dataclass(frozen=True)
class Draw:
    """One bootstrap's sets, QA and the pool its audit sets can be redrawn from."""

    train_set: pd.DataFrame
    audit_set: pd.DataFrame
    qa: dict
    audit_pool: pd.DataFrame


def draw_from_pool(pool: ScenarioPool, spec: ScenarioSpec, bootstrap: int, seed: int) -> Draw:
    """``draw_sets`` on a prepared pool; also returns the audit pool for audit-only redraws."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, bootstrap]))
    train_subjects, audit_subjects = split_subjects(pool.subjects, spec.audit_pool_fraction, rng)
    frame = pool.frame
    train_pool = frame[frame["subject_id"].isin(train_subjects)].reset_index(drop=True)
    audit_pool = frame[frame["subject_id"].isin(audit_subjects)].reset_index(drop=True)
    train, validate, training_qa = draw_training_sets(train_pool, spec, rng)
    audit, audit_qa = draw_audit_set(audit_pool, spec, spec.audit_composition(bootstrap), rng)
    qa = {
        "bootstrap": int(bootstrap),
        "seed": int(seed),
        "n_missing_target": int(pool.n_missing_target),
        "n_train_pool_subjects": len(train_subjects),
        "n_audit_pool_subjects": len(audit_subjects),
        **training_qa,
        "audit": audit_qa,
    }
    train_set = finalise_set(pd.concat([train, validate], ignore_index=True), bootstrap)
    return Draw(train_set, finalise_set(audit, bootstrap), qa, audit_pool)


def draw_classifier_sets(
    pool: ScenarioPool, spec: ScenarioSpec, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One classifier's training and validation sets, and the audit pool its audit sets are drawn from.

    The subjects are split into a training pool and an audit pool; the injected training set and its
    validation set come from the training pool. Returns ``(train_set, audit_pool, qa)``, with
    ``train_set`` holding the ``role == "train"`` and ``role == "validate"`` rows (not yet finalised).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed]))
    train_subjects, audit_subjects = split_subjects(pool.subjects, spec.audit_pool_fraction, rng)
    frame = pool.frame
    train_pool = frame[frame["subject_id"].isin(train_subjects)].reset_index(drop=True)
    audit_pool = frame[frame["subject_id"].isin(audit_subjects)].reset_index(drop=True)
    train, validate, training_qa = draw_training_sets(train_pool, spec, rng)
    qa = {
        "seed": int(seed),
        "n_missing_target": int(pool.n_missing_target),
        "n_train_pool_subjects": len(train_subjects),
        "n_audit_pool_subjects": len(audit_subjects),
        **training_qa,
    }
    return pd.concat([train, validate], ignore_index=True), audit_pool, qa


def draw_sets(
    cohort: pd.DataFrame, spec: ScenarioSpec, bootstrap: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Draw one bootstrap's (train_set, audit_set, qa) for ``spec`` from ``cohort``.

    ``train_set`` holds the ``role == "train"`` and ``role == "validate"`` rows; ``audit_set`` the
    ``role == "audit"`` rows. Training and audit subjects are disjoint, and so are training and
    validation subjects. The same cohort, spec, bootstrap and seed give identical sets. Columns are
    ``SET_COLUMNS``; ``target`` is the observed (possibly flipped) label and ``true_target`` the
    truth.
    """
    draw = draw_from_pool(prepare_pool(cohort, spec), spec, bootstrap, seed)
    return draw.train_set, draw.audit_set, draw.qa


def finalise_set(frame: pd.DataFrame, bootstrap: int, classifier: int | None = None) -> pd.DataFrame:
    """Order and type a drawn set's columns as ``SET_COLUMNS``; stamp the bootstrap and the classifier.

    ``classifier`` is the trained classifier the set belongs to (default: one classifier per bootstrap).
    """
    if "true_target" not in frame:
        frame = frame.assign(true_target=frame["target"], label_flipped=False)
    out = frame.assign(
        bootstrap=int(bootstrap), classifier=int(bootstrap if classifier is None else classifier)
    )
    out = out.astype(
        {
            "target": "int64",
            "true_target": "int64",
            "label_flipped": bool,
            "attribute": bool,
            "in_slice": bool,
            "bootstrap": "int64",
            "classifier": "int64",
        }
    )
    return out.loc[:, list(SET_COLUMNS)].reset_index(drop=True)


def _sample(
    spec: ScenarioSpec,
    pool: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
    *,
    what: str,
    reference: pd.DataFrame,
) -> tuple[pd.DataFrame, dict]:
    try:
        return spec.mechanism.sample(pool, n, rng, reference=reference)
    except (PoolTooSmallError, ValueError) as error:
        # Keep the error's type (pool too small vs. unreachable target) but say which set failed.
        raise type(error)(
            f"scenario {spec.name!r}, {what} set of {n} from a pool of {len(pool)} rows: {error}"
        ) from error


def _choose(
    members: np.ndarray, count: int, rng: np.random.Generator, spec: ScenarioSpec, what: str
) -> np.ndarray:
    if count > len(members):
        raise PoolTooSmallError(
            f"scenario {spec.name!r}: {what} needs {count} cases but the audit pool has only {len(members)}"
        )
    return rng.choice(members, size=count, replace=False)
