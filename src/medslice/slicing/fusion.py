"""Modality fusion: normalise, weight and concatenate per-modality embeddings, then PCA (docs/reference.md §1)

Also maps per-study report embeddings onto images, and re-exports the variant helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.decomposition import PCA

from medslice.errors import BadTypeError, BadValueError
from medslice.slicing.validation import check_embeddings
from medslice.slicing.variants import MODALITIES, parse_variant, variant_name

__all__ = [
    "MODALITIES",
    "broadcast_study_embeddings",
    "concatenate_modalities",
    "fusion_pca",
    "fuse_modalities",
    "l2_normalize",
    "parse_variant",
    "variant_name",
]

# How many missing ids an error message lists before summarising the rest as a count.
MAX_IDS_SHOWN = 10


def l2_normalize(embeddings: np.ndarray, modality: str) -> np.ndarray:
    """Scale every row to unit L2 norm; NaN/inf values or zero-norm rows raise naming ``modality``."""
    array = np.asarray(embeddings)
    try:
        array = check_embeddings(array, name=f"{modality!r} embeddings")
    except ValueError as error:
        raise BadValueError(f"modality {modality!r}: {error}") from error
    norms = np.linalg.norm(array.astype(np.float64), axis=1)
    n_zero = int(np.count_nonzero(norms == 0.0))
    if n_zero:
        raise BadValueError(
            f"modality {modality!r}: {n_zero} rows have zero norm and cannot be L2-normalised "
            f"(first at row {int(np.flatnonzero(norms == 0.0)[0])})"
        )
    return array / norms[:, None].astype(array.dtype)


def fuse_modalities(
    embeddings: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
    max_components: int = 512,
    random_state: int | None = None,
) -> np.ndarray:
    """Fuse per-modality embeddings into one (n, m) float32 matrix.

    1. L2-normalise each modality's rows;
    2. concatenate the modalities in the mapping's order, each block multiplied by its weight (default
       1.0; a weight scales that modality's share of every distance);
    3. PCA to ``m = min(max_components, n_samples, total width)`` dimensions, fitted on these rows (the
       audit set).
    """
    fused = concatenate_modalities(embeddings, weights)
    # fit_transform, not fit then transform: the "full" solver returns U * S, whose last bits differ.
    return fusion_pca(fused, max_components, random_state).fit_transform(fused).astype(np.float32)


def concatenate_modalities(
    embeddings: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None
) -> np.ndarray:
    """Steps 1 and 2 of :func:`fuse_modalities`: the L2-normalised, weighted, concatenated rows."""
    if not isinstance(embeddings, Mapping) or not embeddings:
        raise BadValueError("embeddings must be a non-empty mapping of modality name to (n, d) array")
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(embeddings))
    if unknown:
        raise BadValueError(f"weights names modalities {unknown} absent from embeddings {list(embeddings)}")
    blocks = []
    n_samples = None
    for modality, block in embeddings.items():
        normalised = l2_normalize(block, modality)
        if n_samples is None:
            n_samples = normalised.shape[0]
        elif normalised.shape[0] != n_samples:
            first = next(iter(embeddings))
            raise BadValueError(
                f"modality {modality!r} has {normalised.shape[0]} rows but {first!r} has "
                f"{n_samples}; all modalities must describe the same samples"
            )
        weight = weights.get(modality, 1.0)
        valid_number = isinstance(weight, int | float | np.integer | np.floating)
        if isinstance(weight, bool) or not valid_number or not np.isfinite(weight) or weight <= 0:
            raise BadValueError(f"weight of modality {modality!r} must be a finite number > 0; got {weight}")
        blocks.append(normalised * float(weight))
    # float32 inputs stay float32: at full-dataset scale a float64 copy would not fit in memory.
    return np.concatenate(blocks, axis=1)


def fusion_pca(fused: np.ndarray, max_components: int = 512, random_state: int | None = None) -> PCA:
    """Step 3 of :func:`fuse_modalities`: the (unfitted) PCA to ``min(max_components, rows, width)`` for
    ``fused``, whose rows it checks can be fitted."""
    if isinstance(max_components, bool) or not isinstance(max_components, int | np.integer):
        raise BadTypeError(f"max_components must be an integer; got {max_components!r}")
    if max_components < 1:
        raise BadValueError(f"max_components must be >= 1; got {max_components}")
    # PCA centres the rows: with one row, or rows that are all alike, nothing is left to project.
    if fused.shape[0] < 2 or not np.ptp(fused, axis=0).any():
        raise BadValueError(
            f"fusion needs at least two distinct rows to fit its PCA; got {fused.shape[0]} row(s) that are "
            "all identical."
        )
    n_components = min(int(max_components), fused.shape[0], fused.shape[1])
    solver = "covariance_eigh" if fused.shape[0] >= fused.shape[1] else "full"
    return PCA(n_components=n_components, svd_solver=solver, random_state=random_state)


def broadcast_study_embeddings(
    study_ids_per_image: Sequence | np.ndarray,
    study_ids: Sequence | np.ndarray,
    study_embeddings: np.ndarray,
) -> np.ndarray:
    """Give every image the embedding of its study (reports are written per study, not per image).

    ``study_ids`` (length s) labels the rows of ``study_embeddings`` (s, d); the result has one row per
    entry of ``study_ids_per_image``. Duplicate study ids, a length mismatch, or images whose study has no
    embedding raise a ValueError that lists the offending ids.
    """
    table = np.asarray(study_embeddings)
    if table.ndim != 2:
        raise BadValueError(f"study_embeddings must be 2-D (n_studies, d); got shape {table.shape}")
    ids = np.asarray(study_ids)
    if ids.ndim != 1 or ids.shape[0] != table.shape[0]:
        raise BadValueError(
            f"study_ids must be 1-D with one id per row of study_embeddings ({table.shape[0]}); "
            f"got shape {ids.shape}"
        )
    unique_ids, counts = np.unique(ids, return_counts=True)
    duplicated = unique_ids[counts > 1]
    if duplicated.size:
        raise BadValueError(
            f"study_ids has {duplicated.size} duplicated ids, e.g. {duplicated[:MAX_IDS_SHOWN].tolist()}"
        )
    row_of = {study_id: row for row, study_id in enumerate(ids.tolist())}
    wanted = np.asarray(study_ids_per_image).tolist()
    missing = sorted({study_id for study_id in wanted if study_id not in row_of}, key=str)
    if missing:
        shown = ", ".join(str(study_id) for study_id in missing[:MAX_IDS_SHOWN])
        more = f" and {len(missing) - MAX_IDS_SHOWN} more" if len(missing) > MAX_IDS_SHOWN else ""
        raise BadValueError(f"{len(missing)} studies have no embedding: {shown}{more}")
    return table[[row_of[study_id] for study_id in wanted]]
