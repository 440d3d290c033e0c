"""Embedding tables (``id`` + fixed-size-list ``embedding``) to aligned numpy matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from medslice.errors import BadValueError
from medslice.slicing.fusion import broadcast_study_embeddings

EMBEDDING_COLUMN = "embedding"


def table_matrix(table: pa.Table, id_name: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids and the ``(n, d)`` float32 matrix of an embedding table, without a Python loop per row."""
    for column in (id_name, EMBEDDING_COLUMN):
        if column not in table.column_names:
            raise BadValueError(f"embedding table has no {column!r} column; columns: {table.column_names}")
    ids = table.column(id_name).to_numpy(zero_copy_only=False)
    column = table.column(EMBEDDING_COLUMN).combine_chunks()
    if len(column) == 0:
        return ids, np.zeros((0, 0), dtype=np.float32)
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return ids, values.reshape(len(column), -1)


def aligned_modalities(
    dicom_ids: Sequence[str],
    modalities: Sequence[str],
    cohort: pd.DataFrame,
    tables: Mapping[str, pa.Table],
) -> dict[str, np.ndarray]:
    """One matrix per modality, its rows in the order of ``dicom_ids``.

    ``image`` and ``metadata`` tables are keyed by ``dicom_id``; ``report`` tables by ``study_id`` and
    broadcast to the study's images through the cohort. A dicom_id without an embedding is an error that
    lists the first few, never a silent drop.
    """
    wanted = pd.Index(pd.Series(dicom_ids, dtype=str))
    matrices: dict[str, np.ndarray] = {}
    for modality in modalities:
        if modality not in tables:
            raise BadValueError(f"no embedding table for modality {modality!r}; have {sorted(tables)}")
        if modality == "report":
            study_of = cohort.set_index(cohort["dicom_id"].astype(str))["study_id"]
            missing = wanted.difference(study_of.index)
            if len(missing):
                raise BadValueError(f"{len(missing)} dicom_id(s) not in the cohort, e.g. {list(missing[:5])}")
            study_ids, matrix = table_matrix(tables[modality], "study_id")
            matrices[modality] = broadcast_study_embeddings(
                study_of.loc[wanted].to_numpy(), study_ids, matrix
            )
            continue
        ids, matrix = table_matrix(tables[modality], "dicom_id")
        position = pd.Series(np.arange(len(ids)), index=pd.Index(ids.astype(str)))
        missing = wanted.difference(position.index)
        if len(missing):
            raise BadValueError(
                f"{len(missing)} audit image(s) have no {modality} embedding, e.g. {list(missing[:5])}"
            )
        matrices[modality] = matrix[position.loc[wanted].to_numpy()]
    return matrices
