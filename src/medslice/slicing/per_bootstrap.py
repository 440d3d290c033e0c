"""Slice discovery over the bootstraps of an audit: fuse, fit, predict, summarise, per bootstrap."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.exceptions import ConvergenceWarning

from medslice.errors import BadTypeError, BadValueError, MedsliceError, closest
from medslice.run_consistency import check_same_audit_rows
from medslice.runner.checkpoints import CheckpointStore
from medslice.runner.reuse import map_checkpointed
from medslice.slicing.base import SliceDiscoveryWarning
from medslice.slicing.domino import DominoSlicer
from medslice.slicing.error_cluster import ErrorClusterSlicer
from medslice.slicing.fusion import concatenate_modalities, fuse_modalities, fusion_pca
from medslice.slicing.spotlight import SpotlightSlicer
from medslice.slicing.summary import summarize_slices
from medslice.slicing.threads import limited_threads

logger = logging.getLogger(__name__)

PCA_FITS: tuple[str, ...] = ("audit_set", "pooled")

SLICERS: dict[str, type] = {
    "domino": DominoSlicer,
    "error_cluster": ErrorClusterSlicer,
    "spotlight": SpotlightSlicer,
}


def build_slicer(config: Mapping[str, Any], random_state: int | None = None) -> Any:
    """A slicer from ``{"method": "domino", **constructor arguments}``.

    Keys another slicer takes but the chosen one does not (e.g. Domino's mixture settings when ``method`` is
    ``spotlight``) are logged and left out, so that switching method in one environment needs no other
    change. A key no slicer takes is a typo and is refused, naming the closest known key.
    """
    if not isinstance(config, Mapping):
        raise BadValueError(
            f"slicer settings must be a mapping such as {{method: domino}}, got {_shown(config)}"
        )
    settings = dict(config)
    method = settings.pop("method", "domino")
    if not isinstance(method, str) or method not in SLICERS:
        raise BadValueError(f"slicer method {_shown(method)} is unknown; known: {sorted(SLICERS)}")
    known = {key for slicer in SLICERS.values() for key in slicer().get_params()}
    unknown = sorted(str(key) for key in set(settings) - known)
    if unknown:
        match = closest(unknown[0], sorted(known))
        hint = f" (did you mean {match!r}?)" if match else ""
        raise BadValueError(
            f"slicer setting(s) {unknown} are not taken by any slicer{hint}; known: {sorted(known)}"
        )
    accepted = SLICERS[method]().get_params()
    ignored = sorted(set(settings) - set(accepted))
    if ignored:
        logger.info("slicer %s ignores %s", method, ignored)
    settings = {key: value for key, value in settings.items() if key in accepted}
    if "random_state" in accepted:
        settings.setdefault("random_state", random_state)
    return SLICERS[method](**settings)


def fuse_bootstraps(
    predictions: pd.DataFrame,
    modality_matrices: Mapping[str, np.ndarray],
    *,
    weights: Mapping[str, float] | None = None,
    max_components: int = 512,
    seed: int = 0,
    pca_fit: str = "audit_set",
    checkpoints: CheckpointStore | None = None,
) -> pa.Table:
    """Fuse each bootstrap's audit rows separately, with PCA fitted on that audit set (docs/reference.md §1).

    ``modality_matrices`` rows align with ``predictions`` rows. Returns ``dicom_id``, ``bootstrap`` and a
    variable-length ``embedding`` list (bootstraps may differ in size, hence in PCA width).

    The result does not depend on the order of the predictions' rows or bootstraps: bootstraps are fused
    in ascending order, each on its rows sorted by ``dicom_id`` (stable), which is also the output order.
    Each bootstrap is a unit of work (:func:`fuse_one_bootstrap`), kept in ``checkpoints`` when given.

    ``pca_fit`` is ``"audit_set"`` (the paper's text: a PCA per bootstrap, fitted on its audit set) or
    ``"pooled"`` (the authors' code: one PCA fitted on every image of the table once, in ``dicom_id``
    order, that projects each bootstrap).
    """
    if pca_fit not in PCA_FITS:
        raise BadValueError(f"pca_fit must be one of {list(PCA_FITS)}, got {pca_fit!r}")
    dicom_ids = predictions["dicom_id"].to_numpy(dtype=str)
    units = []
    for bootstrap, unordered in predictions.groupby("bootstrap", sort=True).indices.items():
        # PCA's sums run in row order: rows arriving in another order would give other last bits.
        index = unordered[np.argsort(dicom_ids[unordered], kind="stable")]
        units.append(
            BootstrapFusion(
                bootstrap=int(bootstrap),
                dicom_ids=dicom_ids[index],
                matrices={name: np.asarray(matrix[index]) for name, matrix in modality_matrices.items()},
            )
        )
    settings = {
        "weights": dict(weights) if weights else None,
        "max_components": int(max_components),
        "pooled_pca": None,
    }
    if pca_fit == "pooled":
        settings["pooled_pca"] = _pooled_pca(dicom_ids, modality_matrices, settings, seed)
    blocks = map_checkpointed(
        fuse_one_bootstrap,
        units,
        shared=(settings, int(seed)),
        checkpoints=checkpoints,
        stage="fuse_modalities",
        desc="fusion",
        show_progress=False,  # milliseconds per bootstrap
    )
    ids = [unit.dicom_ids for unit in units]
    bootstraps = [np.full(len(unit.dicom_ids), unit.bootstrap, dtype=np.int64) for unit in units]
    # Rows of different bootstraps may differ in width: a list array built from the flat values and the
    # row offsets (one copy), not from a Python list per row.
    widths = np.concatenate([np.full(len(b), b.shape[1], dtype=np.int32) for b in blocks]) if blocks else []
    offsets = np.concatenate([[0], np.cumsum(widths, dtype=np.int64)])  # pyarrow refuses > int32
    values = np.concatenate([b.ravel() for b in blocks]) if blocks else np.zeros(0, np.float32)
    return pa.table(
        {
            "dicom_id": pa.array(np.concatenate(ids) if ids else [], pa.string()),
            "bootstrap": pa.array(np.concatenate(bootstraps) if bootstraps else [], pa.int64()),
            "embedding": pa.ListArray.from_arrays(
                pa.array(offsets, pa.int32()), pa.array(values, pa.float32())
            ),
        }
    )


@dataclass(frozen=True)
class BootstrapFusion:
    """One bootstrap's fusion inputs: its rows sorted by ``dicom_id`` and each modality's matrix."""

    bootstrap: int
    dicom_ids: np.ndarray
    matrices: Mapping[str, np.ndarray]


def fuse_one_bootstrap(settings: Mapping[str, Any], seed: int, unit: BootstrapFusion) -> np.ndarray:
    """The fused float32 matrix of one bootstrap (``settings``: ``weights`` and ``max_components``).

    One bootstrap's PCA is a few-hundred-row problem: one BLAS thread runs it several times faster than a
    shared pool, and makes its result independent of the cores of the machine it lands on.
    """
    pooled = settings.get("pooled_pca")
    with limited_threads(1):
        if pooled is not None:
            rows = concatenate_modalities(dict(unit.matrices), settings["weights"])
            return ((rows - pooled["mean"]) @ pooled["components"].T).astype(np.float32)
        fused = fuse_modalities(
            dict(unit.matrices),
            weights=settings["weights"],
            max_components=settings["max_components"],
            random_state=seed,
        )
    return np.asarray(fused, dtype=np.float32)


def _pooled_pca(
    dicom_ids: np.ndarray, modality_matrices: Mapping[str, np.ndarray], settings: Mapping[str, Any], seed: int
) -> dict[str, np.ndarray]:
    """The mean and components of one PCA fitted on every image of the table once, in ``dicom_id`` order.

    Plain arrays rather than the fitted estimator, so that a unit's checkpoint key hashes what the
    projection is.
    """
    _, first = np.unique(dicom_ids, return_index=True)  # sorted ids, each image's first row
    pooled = concatenate_modalities(
        {name: np.asarray(matrix)[first] for name, matrix in modality_matrices.items()}, settings["weights"]
    )
    with limited_threads(1):
        pca = fusion_pca(pooled, settings["max_components"], seed).fit(pooled)
    return {"mean": pca.mean_.copy(), "components": pca.components_.copy()}


def check_slicer_settings(config: Mapping[str, Any]) -> int:
    """Validate slicer settings without data, as ``fit`` would; return the fewest rows the slicer can fit.

    Lets a run refuse a bad setting (``n_slices`` above ``n_mixture_components``, a mistyped key) before
    it spends minutes on the stages in front of slice discovery. Only Domino has a minimum above one
    row: its mixture needs at least ``n_mixture_components`` samples.
    """
    model = build_slicer(config, random_state=0)
    try:
        model._check_params()
    except (TypeError, ValueError, OverflowError) as error:
        if isinstance(error, MedsliceError):
            raise
        # A value of the wrong type (a list where a number belongs) trips the checks' own comparisons.
        if isinstance(error, TypeError):
            raise BadTypeError(f"slicer settings are invalid: {_shown(str(error))}") from error
        raise BadValueError(f"slicer settings are invalid: {_shown(str(error))}") from error
    return int(model.n_mixture_components) if isinstance(model, DominoSlicer) else 1


def _shown(value: object, limit: int = 200) -> str:
    """``repr`` of a value (a string as is), cut to ``limit`` characters for an error message."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def bootstrap_seed(seed: int, bootstrap: int) -> int:
    """The slicer's random state for one bootstrap: ``seed + bootstrap``, wrapped into NumPy's seed range."""
    return (int(seed) + int(bootstrap)) % 2**32


def discover_per_bootstrap(
    fused: pa.Table,
    predictions: pd.DataFrame,
    slicer: Mapping[str, Any],
    *,
    seed: int = 0,
    checkpoints: CheckpointStore | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit a slicer on each bootstrap's fused audit embeddings and predict on the same set (the paper's way).

    Predictions enter as hard 0/1 ``pred`` (the paper's ``pred_probs``). Returns the membership table
    (``dicom_id``, ``bootstrap``, ``slice_0`` … ``slice_{k-1}``; NaN where fewer slices were found) and
    the summary table (``bootstrap`` plus :data:`~medslice.slicing.summary.SUMMARY_COLUMNS` and any
    warning the slicer recorded, e.g. no misclassified case).

    Neither depends on the order of the rows of ``fused`` or ``predictions``, nor of their bootstraps:
    bootstraps are fitted in ascending order, each on its fused rows sorted by ``dicom_id`` (stable; the
    k-means initialisation and the EM sums depend on row order), with targets and predictions looked up
    by (bootstrap, dicom_id); memberships come out in that order. Each bootstrap is a unit of work
    (:func:`discover_one_bootstrap`), kept in ``checkpoints`` when given.
    """
    frame = fused.to_pandas()
    check_same_audit_rows(frame, predictions, name="fused-embedding", rerun="fuse_modalities")
    keyed = predictions.set_index(["bootstrap", "dicom_id"])
    check_slicer_settings(slicer)  # names a mistyped setting before it is used below
    n_columns = int(dict(slicer).get("n_slices", 5))
    units = []
    for bootstrap, unordered in frame.groupby("bootstrap", sort=True):
        rows = unordered.iloc[np.argsort(unordered["dicom_id"].to_numpy(dtype=str), kind="stable")]
        labels = keyed.loc[[(bootstrap, d) for d in rows["dicom_id"]]]
        units.append(
            BootstrapSlicing(
                bootstrap=int(bootstrap),
                dicom_ids=rows["dicom_id"].to_numpy(),
                embeddings=np.stack(rows["embedding"].to_numpy()).astype(np.float32),
                targets=labels["target"].to_numpy(dtype=int),
                preds=labels["pred"].to_numpy(dtype=int),
            )
        )
    # Each bootstrap is a unit of work: on a Dask cluster they spread over its workers.
    results = map_checkpointed(
        discover_one_bootstrap,
        units,
        shared=(dict(slicer), int(seed), n_columns),
        checkpoints=checkpoints,
        stage="discover_slices",
        desc="slice discovery",
    )
    memberships, summaries = [], []
    for unit, (table, summary, recorded) in zip(units, results, strict=True):
        # A bootstrap without slices has no summary row to carry its warning: the log must.
        for message in recorded:
            logger.warning("slice discovery, bootstrap %d: %s", unit.bootstrap, message)
        memberships.append(table)
        summaries.append(summary)
    return pd.concat(memberships, ignore_index=True), pd.concat(summaries, ignore_index=True)


@dataclass(frozen=True)
class BootstrapSlicing:
    """One bootstrap's slice-discovery inputs, rows sorted by ``dicom_id``."""

    bootstrap: int
    dicom_ids: np.ndarray
    embeddings: np.ndarray
    targets: np.ndarray
    preds: np.ndarray


def discover_one_bootstrap(
    slicer: Mapping[str, Any], seed: int, n_columns: int, unit: BootstrapSlicing
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Fit the slicer on one bootstrap and predict on the same rows: memberships, summary, warnings.

    A pure function of its arguments (the slicer's random state is ``seed + bootstrap``), run with one
    BLAS/OpenMP thread, so it gives the same bytes in process and on any Dask worker.
    """
    model = build_slicer(slicer, random_state=bootstrap_seed(seed, unit.bootstrap))
    # A few hundred rows: one BLAS/OpenMP thread is faster than a pool, and the result then does not
    # depend on the cores of the machine (an eigendecomposition of >= 256 columns does otherwise).
    with warnings.catch_warnings(), limited_threads(1):
        warnings.simplefilter("ignore", SliceDiscoveryWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # recorded in warnings_ and logged
        model.fit(unit.embeddings, unit.targets, unit.preds)
        membership = model.predict_proba(unit.embeddings, unit.targets, unit.preds)
    columns = np.full((len(unit.dicom_ids), n_columns), np.nan)
    columns[:, : membership.shape[1]] = membership[:, :n_columns]
    table = pd.DataFrame(columns, columns=[f"slice_{k}" for k in range(n_columns)])
    table.insert(0, "bootstrap", unit.bootstrap)
    table.insert(0, "dicom_id", unit.dicom_ids)
    summary = summarize_slices(membership, unit.targets, unit.preds)
    summary.insert(0, "bootstrap", unit.bootstrap)
    recorded = list(getattr(model, "warnings_", []) or [])
    summary["warning"] = "; ".join(recorded)
    return table, summary, recorded
