"""Embeddings as Parquet (``id`` + fixed-size float32 list), written in resumable shards.

Each shard carries the encoder identity in its Parquet schema metadata and, when the caller gives each
item's content identity (:mod:`medslice.encoders.fingerprints` for image files), a digest of its members'
identities. A rerun over the same ids with the same encoder and the same content skips the shards already
on disk, so an interrupted 377k-image run resumes where it stopped; a shard written by another encoder, for
other ids or for other content (a repaired or rewritten image) is rewritten, and only that shard.

The missing shards are independent units of work: :func:`medslice.runner.executor.map_units` runs them in
process, or on the active Dask client's workers (each writes its own shard, so the shard folder must be
on a filesystem every worker reaches).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from medslice.errors import BadValueError, UnknownNameError
from medslice.runner.executor import map_units

IDENTITY_METADATA_KEY = b"medslice.encoder_identity"
MEMBERS_METADATA_KEY = b"medslice.members_digest"
EMBEDDING_COLUMN = "embedding"
SHARD_PATTERN = "shard-{index:05d}.parquet"


def _identity_json(identity: dict[str, Any]) -> bytes:
    return json.dumps(identity, sort_keys=True, default=str).encode()


def embeddings_to_arrow(
    ids: Sequence[Any], id_name: str, matrix: np.ndarray, identity: dict[str, Any]
) -> pa.Table:
    """An Arrow table ``{id_name, embedding: fixed_size_list<float32>[D]}`` with the identity.

    Parameters
    ----------
    ids : Sequence[Any]
        One id per row of ``matrix``.
    id_name : str
        Name of the id column (e.g. ``"dicom_id"``).
    matrix : np.ndarray
        ``(N, D)`` embeddings (cast to float32).
    identity : dict[str, Any]
        Encoder provenance, stored as JSON in the schema metadata.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2:
        raise BadValueError(f"`matrix` must be 2-D (N, D), got shape {matrix.shape}")
    if len(ids) != matrix.shape[0]:
        raise BadValueError(f"`ids` has {len(ids)} entries but `matrix` has {matrix.shape[0]} rows")
    if id_name == EMBEDDING_COLUMN:
        raise BadValueError(f"`id_name` cannot be {EMBEDDING_COLUMN!r}")
    width = matrix.shape[1]
    flat = pa.array(np.ascontiguousarray(matrix).reshape(-1), type=pa.float32())
    embedding = pa.FixedSizeListArray.from_arrays(flat, width)
    table = pa.table({id_name: pa.array(list(ids)), EMBEDDING_COLUMN: embedding})
    return table.replace_schema_metadata({IDENTITY_METADATA_KEY: _identity_json(identity)})


def identity_from_arrow(table_or_schema: pa.Table | pa.Schema) -> dict[str, Any] | None:
    """The encoder identity stored by :func:`embeddings_to_arrow`, or None if absent."""
    schema = table_or_schema if isinstance(table_or_schema, pa.Schema) else table_or_schema.schema
    raw = (schema.metadata or {}).get(IDENTITY_METADATA_KEY)
    return json.loads(raw) if raw is not None else None


def embeddings_from_frame(frame: pd.DataFrame, column: str = EMBEDDING_COLUMN) -> np.ndarray:
    """The ``(N, D)`` float32 matrix of an embedding column (lists or arrays, one per row)."""
    if column not in frame.columns:
        raise UnknownNameError(f"Embedding column {column!r} not in frame columns {list(frame.columns)}")
    if len(frame) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    values = frame[column].to_numpy()
    widths = {len(v) for v in values}
    if len(widths) != 1:
        raise BadValueError(f"Column {column!r} mixes embedding widths {sorted(widths)}")
    return np.stack([np.asarray(v, dtype=np.float32) for v in values])


def members_digest(content_keys: Sequence[str]) -> bytes:
    """A sha256 (hex, as bytes) over a shard's members' content identities, in order."""
    digest = hashlib.sha256()
    for key in content_keys:
        digest.update(str(key).encode())
        digest.update(b"\n")
    return digest.hexdigest().encode()


def _shard_is_current(
    path: Path, id_name: str, ids: list[Any], identity: bytes, members: bytes | None
) -> bool:
    """True when ``path`` holds exactly ``ids`` embedded by the encoder ``identity`` from ``members``."""
    try:
        schema = pq.read_schema(path)
        metadata = schema.metadata or {}
        if metadata.get(IDENTITY_METADATA_KEY) != identity:
            return False
        # Without content keys nothing is checked (items such as texts are their own content).
        if members is not None and metadata.get(MEMBERS_METADATA_KEY) != members:
            return False
        stored = pq.read_table(path, columns=[id_name]).column(id_name).to_pylist()
    except (OSError, pa.ArrowException, KeyError):  # unreadable/partial: write it again
        return False
    return stored == ids


def _write_atomically(table: pa.Table, path: Path) -> None:
    # A crash mid-write must not leave a shard that looks complete.
    partial = path.with_suffix(".parquet.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)


def _embed_shard(  # noqa: PLR0917  (one unit of work: the arguments map_units shares, then the shard)
    ids: Sequence[Any],
    items: Sequence[Any],
    encode_fn: Callable[[Sequence[Any]], np.ndarray],
    folder: Path,
    shard_size: int,
    identity: dict[str, Any],
    id_name: str,
    content_keys: Sequence[str] | None,
    index: int,
) -> int:
    """Embed shard ``index`` and write it atomically; returns ``index``."""
    lo, hi = index * shard_size, min(len(ids), (index + 1) * shard_size)
    matrix = np.asarray(encode_fn(items[lo:hi]))
    table = embeddings_to_arrow(list(ids[lo:hi]), id_name, matrix, identity)
    if content_keys is not None:
        metadata = dict(table.schema.metadata or {})
        metadata[MEMBERS_METADATA_KEY] = members_digest(content_keys[lo:hi])
        table = table.replace_schema_metadata(metadata)
    _write_atomically(table, folder / SHARD_PATTERN.format(index=index))
    return index


def embed_in_shards(  # noqa: PLR0917  (positional order is the published API)
    ids: Sequence[Any],
    items: Sequence[Any],
    encode_fn: Callable[[Sequence[Any]], np.ndarray],
    shard_dir: str | Path,
    shard_size: int,
    identity: dict[str, Any],
    *,
    id_name: str = "id",
    progress: bool = True,
    content_keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Embed ``items`` shard by shard into Parquet files, resuming from shards already written.

    Parameters
    ----------
    ids : Sequence[Any]
        One id per item (stored in the ``id_name`` column).
    items : Sequence[Any]
        What ``encode_fn`` takes (image paths, texts, ...).
    encode_fn : Callable[[Sequence[Any]], np.ndarray]
        Maps a slice of ``items`` to an ``(n, D)`` array; picklable to run on a Dask cluster.
    shard_dir : str or Path
        Folder of ``shard-00000.parquet``, ``shard-00001.parquet``...
    shard_size : int
        Items per shard.
    identity : dict[str, Any]
        Encoder provenance; shards written with another identity are redone.
    id_name : str, default="id"
        Name of the id column.
    progress : bool, default=True
        Show a tqdm bar over the shards to embed.
    content_keys : Sequence[str] or None, default=None
        One content identity per item (e.g. from
        :func:`medslice.encoders.fingerprints.content_identities`), or None when the items are their
        own content. A shard whose members' identities changed (a repaired, rewritten, removed or
        unreadable file) is embedded again; the other shards are reused.

    Returns
    -------
    pd.DataFrame
        All embeddings, ``{id_name, embedding}``, in input order.
    """
    if len(ids) != len(items):
        raise BadValueError(f"`ids` ({len(ids)}) and `items` ({len(items)}) must have equal length")
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise BadValueError(f"`shard_size` must be a positive integer, got {shard_size!r}")
    folder = Path(shard_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if content_keys is not None:
        content_keys = [str(key) for key in content_keys]
        if len(content_keys) != len(ids):
            raise BadValueError(
                f"`content_keys` ({len(content_keys)}) must have one entry per id ({len(ids)})"
            )
    identity_bytes = _identity_json(identity)
    n_shards = (len(ids) + shard_size - 1) // shard_size
    missing = [
        index
        for index in range(n_shards)
        if not _shard_is_current(
            folder / SHARD_PATTERN.format(index=index),
            id_name,
            list(ids[index * shard_size : (index + 1) * shard_size]),
            identity_bytes,
            None
            if content_keys is None
            else members_digest(content_keys[index * shard_size : (index + 1) * shard_size]),
        )
    ]
    map_units(
        _embed_shard,
        missing,
        shared=(list(ids), list(items), encode_fn, folder, shard_size, identity, id_name, content_keys),
        desc="embedding shards",
        key_prefix="embedding-shard",
        show_progress=progress,
    )
    tables = [pq.read_table(folder / SHARD_PATTERN.format(index=index)) for index in range(n_shards)]
    # Shards past the end belong to an earlier, longer id list.
    for stale in folder.glob("shard-*.parquet"):
        if int(stale.stem.split("-")[1]) >= n_shards:
            stale.unlink()
    if not tables:
        return pd.DataFrame({id_name: [], EMBEDDING_COLUMN: []})
    return pa.concat_tables(tables).to_pandas()
