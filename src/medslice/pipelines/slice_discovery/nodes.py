"""Nodes of the `slice_discovery` pipeline: thin wrappers over :mod:`medslice.slicing`."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.comparison import discover_with_every_slicer
from medslice.slicing.embedding_tables import aligned_modalities
from medslice.slicing.per_bootstrap import discover_per_bootstrap, fuse_bootstraps
from medslice.slicing.settings import VariantSettings


def fuse_modalities(
    predictions: pd.DataFrame,
    cohort: pd.DataFrame,
    image_embeddings: pa.Table,
    report_embeddings: pa.Table,
    metadata_embeddings: pa.Table,
    bootstrap_checkpoints: CheckpointStore,
    variant: VariantSettings,
    pca_fit: str,
    seed: int,
) -> pa.Table:
    """L2-normalise, weight and concatenate the variant's modalities, then PCA per bootstrap's audit set.

    The table (bootstraps ascending, each one's rows sorted by ``dicom_id``) does not depend on the order
    of the predictions' rows: see :func:`~medslice.slicing.per_bootstrap.fuse_bootstraps`.

    Parameters
    ----------
    predictions : pd.DataFrame
        The scenario's audit predictions (one row per bootstrap and image).
    cohort : pd.DataFrame
        The cohort, for the image -> study map of report embeddings.
    image_embeddings : pa.Table
        Per-image embeddings.
    report_embeddings : pa.Table
        Per-study embeddings, broadcast to the study's images.
    metadata_embeddings : pa.Table
        Per-image embeddings of the metadata sentence.
    bootstrap_checkpoints : CheckpointStore
        Where each bootstrap's fused matrix is kept and reused.
    variant : VariantSettings
        The variant's modalities, weights and PCA size.
    pca_fit : str
        ``audit_set`` (a PCA per bootstrap) or ``pooled`` (one PCA on every audited image).
    seed : int
        The project seed.
    """
    modalities = list(variant.modalities)
    tables = {"image": image_embeddings, "report": report_embeddings, "metadata": metadata_embeddings}
    matrices = aligned_modalities(predictions["dicom_id"].astype(str), modalities, cohort, tables)
    return fuse_bootstraps(
        predictions.reset_index(drop=True),
        matrices,
        weights=variant.weights,
        max_components=variant.max_components,
        seed=seed,
        pca_fit=pca_fit,
        checkpoints=bootstrap_checkpoints,
    )


def discover_slices(
    fused_embeddings: pa.Table,
    predictions: pd.DataFrame,
    bootstrap_checkpoints: CheckpointStore,
    slicer: dict[str, Any],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Fit the slicer (Domino by default) per bootstrap; return memberships, slice summaries and settings.

    The settings (the slicer block and the seed, from which bootstrap ``b`` takes ``seed + b``) travel
    with the slices, so that a report or a notebook reads what made them rather than the parameters of
    whichever run reads them later. Neither table depends on the order of the rows of ``fused_embeddings``
    or ``predictions``: see :func:`~medslice.slicing.per_bootstrap.discover_per_bootstrap`. Each
    bootstrap's fit is kept in ``bootstrap_checkpoints`` and reused by a rerun with the same inputs.
    """
    memberships, summary = discover_per_bootstrap(
        fused_embeddings, predictions, slicer, seed=seed, checkpoints=bootstrap_checkpoints
    )
    return memberships, summary, {"slicer": dict(slicer), "seed": int(seed)}


def compare_slicers(
    fused_embeddings: pa.Table,
    predictions: pd.DataFrame,
    cohort: pd.DataFrame,
    bootstrap_checkpoints: CheckpointStore,
    compared_slicers: list[dict[str, Any]],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every compared slicer on the same fused embeddings and bootstraps as the main slicer.

    Returns the memberships (a ``method`` column, then as ``slices``) and the rules the rule slicers
    found. See :func:`~medslice.slicing.comparison.discover_with_every_slicer`.
    """
    attributes = cohort.set_index(cohort["dicom_id"].astype(str))
    return discover_with_every_slicer(
        fused_embeddings,
        predictions,
        attributes,
        compared_slicers,
        seed=seed,
        checkpoints=bootstrap_checkpoints,
    )
