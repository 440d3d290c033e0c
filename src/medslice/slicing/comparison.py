"""Every slicer on the same bootstraps: embedding slicers on the fused embeddings, rule slicers on metadata.

The audit's main slicer (``slice_discovery.slicer``) is explained and shown on the report's cards. The
slicers compared with it (``slice_discovery.compared_slicers``) are fitted on exactly the same fused
embeddings, audit rows and bootstraps, so their scores pair with its scores bootstrap by bootstrap.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.exceptions import ConvergenceWarning

from medslice.errors import BadValueError
from medslice.run_consistency import check_same_audit_rows
from medslice.runner.checkpoints import CheckpointStore
from medslice.runner.reuse import map_checkpointed
from medslice.slicing.base import SliceDiscoveryWarning
from medslice.slicing.per_bootstrap import SLICERS, bootstrap_seed, build_slicer, check_slicer_settings
from medslice.slicing.rules import RuleSlicer
from medslice.slicing.threads import limited_threads

RULE_SLICERS: dict[str, type] = {"sliceline": RuleSlicer}
RULE_COLUMNS_KEY = "columns"
RULE_TABLE_COLUMNS: tuple[str, ...] = ("method", "bootstrap", "slice", "rule", "size", "error_rate")


def check_compared_slicers(slicers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate ``slice_discovery.compared_slicers`` without data; return them as plain dicts.

    Each entry is ``{method: <name>, ...settings}``; a method appears once. Embedding slicers take the
    settings :func:`~medslice.slicing.per_bootstrap.build_slicer` takes; ``sliceline`` takes
    :class:`~medslice.slicing.rules.RuleSlicer`'s and ``columns``, the cohort columns its rules may use.
    """
    if isinstance(slicers, Mapping) or not isinstance(slicers, Sequence) or isinstance(slicers, str):
        raise BadValueError(f"compared_slicers must be a list of {{method: ...}} mappings, got {slicers!r}")
    checked, seen = [], set()
    for entry in slicers:
        if not isinstance(entry, Mapping) or "method" not in entry:
            raise BadValueError(f"each compared slicer must be a mapping with a `method`, got {entry!r}")
        method = str(entry["method"])
        if method in seen:
            raise BadValueError(f"compared_slicers lists method {method!r} twice")
        seen.add(method)
        if method in RULE_SLICERS:
            settings = {k: v for k, v in entry.items() if k not in ("method", RULE_COLUMNS_KEY)}
            columns = entry.get(RULE_COLUMNS_KEY)
            if not columns or isinstance(columns, str):
                raise BadValueError(
                    f"compared slicer {method!r} needs `columns`: the cohort columns of its rules"
                )
            RULE_SLICERS[method](**settings)._check_params()
        elif method in SLICERS:
            check_slicer_settings(entry)
        else:
            known = sorted({*SLICERS, *RULE_SLICERS})
            raise BadValueError(f"compared slicer method {method!r} is unknown; known: {known}")
        checked.append(dict(entry))
    return checked


@dataclass(frozen=True)
class BootstrapComparison:
    """One bootstrap's inputs for every slicer, rows sorted by ``dicom_id``."""

    bootstrap: int
    dicom_ids: np.ndarray
    embeddings: np.ndarray
    targets: np.ndarray
    preds: np.ndarray
    attributes: pd.DataFrame


def discover_with_every_slicer(
    fused: pa.Table,
    predictions: pd.DataFrame,
    attributes: pd.DataFrame,
    slicers: Sequence[Mapping[str, Any]],
    *,
    seed: int = 0,
    checkpoints: CheckpointStore | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit each slicer on each bootstrap and predict on the same rows.

    Parameters
    ----------
    fused : pa.Table
        The variant's fused embeddings (``dicom_id``, ``bootstrap``, ``embedding``).
    predictions : pd.DataFrame
        ``dicom_id``, ``bootstrap``, ``target``, ``pred`` of the same audit rows.
    attributes : pd.DataFrame
        Cohort columns indexed by ``dicom_id``, for rule slicers.
    slicers : Sequence[Mapping[str, Any]]
        ``slice_discovery.compared_slicers``.
    seed : int, default=0
        The project seed; bootstrap ``b`` seeds its slicers with ``seed + b``, as the main slicer.
    checkpoints : CheckpointStore or None, default=None
        Where each bootstrap's result is kept and reused (None: keep nothing).

    Returns
    -------
    tuple[pd.DataFrame, pd.DataFrame]
        The memberships (``method``, ``dicom_id``, ``bootstrap``, ``slice_0`` …; NaN where a slicer found
        fewer slices), and the rules (:data:`RULE_TABLE_COLUMNS`) the rule slicers found. Neither depends
        on the order of the input rows: bootstraps in ascending order, rows sorted by ``dicom_id``.
    """
    slicers = check_compared_slicers(slicers)
    frame = fused.to_pandas()
    check_same_audit_rows(frame, predictions, name="fused-embedding", rerun="fuse_modalities")
    keyed = predictions.set_index(["bootstrap", "dicom_id"])
    indexed = attributes[~attributes.index.duplicated()]
    units = []
    for bootstrap, unordered in frame.groupby("bootstrap", sort=True):
        rows = unordered.iloc[np.argsort(unordered["dicom_id"].to_numpy(dtype=str), kind="stable")]
        ids = rows["dicom_id"].to_numpy(dtype=str)
        labels = keyed.loc[[(bootstrap, d) for d in ids]]
        units.append(
            BootstrapComparison(
                bootstrap=int(bootstrap),
                dicom_ids=ids,
                embeddings=np.stack(rows["embedding"].to_numpy()).astype(np.float32),
                targets=labels["target"].to_numpy(dtype=int),
                preds=labels["pred"].to_numpy(dtype=int),
                attributes=indexed.reindex(ids).reset_index(drop=True),
            )
        )
    n_columns = max((int(s.get("n_slices", 5)) for s in slicers), default=0)
    results = map_checkpointed(
        compare_one_bootstrap,
        units,
        shared=(slicers, int(seed), n_columns),
        checkpoints=checkpoints,
        stage="compare_slicers",
        desc="compared slicers",
        show_progress=len(units) > 1,
    )
    columns = ["method", "dicom_id", "bootstrap", *(f"slice_{k}" for k in range(n_columns))]
    memberships = [table for table, _ in results if len(table)]
    rules = [pd.DataFrame(found, columns=list(RULE_TABLE_COLUMNS)) for _, found in results if found]
    membership_table = (
        pd.concat(memberships, ignore_index=True) if memberships else pd.DataFrame(columns=columns)
    )
    rule_table = (
        pd.concat(rules, ignore_index=True) if rules else pd.DataFrame(columns=list(RULE_TABLE_COLUMNS))
    )
    ordered = membership_table.sort_values(["method", "bootstrap"], kind="stable").reset_index(drop=True)
    return ordered, rule_table.astype({"bootstrap": "int64", "slice": "int64"})


def compare_one_bootstrap(
    slicers: Sequence[Mapping[str, Any]], seed: int, n_columns: int, unit: BootstrapComparison
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Every slicer's memberships on one bootstrap, and the rules the rule slicers found there.

    A pure function of its arguments, run with one BLAS/OpenMP thread (as the main slicer's bootstraps).
    """
    tables, rules = [], []
    for settings in slicers:
        method = str(settings["method"])
        with warnings.catch_warnings(), limited_threads(1):
            warnings.simplefilter("ignore", SliceDiscoveryWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)  # recorded in warnings_ and logged
            if method in RULE_SLICERS:
                options = {k: v for k, v in settings.items() if k not in ("method", RULE_COLUMNS_KEY)}
                frame = unit.attributes[[str(c) for c in settings[RULE_COLUMNS_KEY]]]
                model = RULE_SLICERS[method](**options).fit(frame, unit.targets, unit.preds)
                membership = model.predict_proba(frame)
                errors = unit.targets != unit.preds
                for index, text in enumerate(model.rule_texts_):
                    inside = membership[:, index] > 0.5
                    rules.append(
                        {
                            "method": method,
                            "bootstrap": unit.bootstrap,
                            "slice": index,
                            "rule": text,
                            "size": int(inside.sum()),
                            "error_rate": float(errors[inside].mean()) if inside.any() else float("nan"),
                        }
                    )
            else:
                model = build_slicer(settings, random_state=bootstrap_seed(seed, unit.bootstrap))
                model.fit(unit.embeddings, unit.targets, unit.preds)
                membership = model.predict_proba(unit.embeddings, unit.targets, unit.preds)
        columns = np.full((len(unit.dicom_ids), n_columns), np.nan)
        width = min(membership.shape[1], n_columns)
        columns[:, :width] = membership[:, :width]
        table = pd.DataFrame(columns, columns=[f"slice_{k}" for k in range(n_columns)])
        table.insert(0, "bootstrap", unit.bootstrap)
        table.insert(0, "dicom_id", unit.dicom_ids)
        table.insert(0, "method", method)
        tables.append(table)
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), rules
