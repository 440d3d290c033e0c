"""Per-item outputs of a locked (frozen) tower, kept on disk so that every node and rerun computes them once.

The in-domain CLIP locks both pretrained towers and trains only their projections (LiT). Training
needs the towers' pooled outputs for the training pairs, and embedding needs them again for every
image and report; a store keyed by the tower's identity lets the second pass, and every later run,
read them instead. A store only helps if what it returns does not depend on which call computed it,
so callers compute each item on its own (:mod:`medslice.encoders.locked_towers`).

Layout: ``root/<kind>-<identity digest>/identity.json`` plus ``part-<digest>.parquet`` files with a
``key`` column and a ``feature`` fixed-size list column. Parts are written atomically and never
modified, so an interrupted run leaves only whole parts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from medslice.errors import BadValueError

KEY_COLUMN = "key"
FEATURE_COLUMN = "feature"
IDENTITY_FILE = "identity.json"
_DIGEST_CHARS = 16

# Rows in, (rows, width) float32 out: NaN rows for items that could not be computed (never stored).
ComputeFn = Callable[[list[int]], np.ndarray]


def identity_digest(identity: dict[str, Any]) -> str:
    """A short hex digest of an identity mapping (keys sorted, values as JSON)."""
    raw = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:_DIGEST_CHARS]


class FeatureStore:
    """Features of one locked tower, one row per key, in Parquet parts under ``root``.

    Parameters
    ----------
    root : str or Path
        Folder holding the stores of every tower (created when first written).
    kind : str
        A readable prefix of the store's folder name, e.g. ``"image-trunk"``.
    identity : dict[str, Any]
        What determines the features besides the key: weights digest, input size,
        normalisation, device, precision. Another identity is another folder.

    Notes
    -----
    Keys must identify the input itself (a digest of an image file's bytes, or a
    digest of a text's token ids), so that a stored row is never served for changed input.
    """

    def __init__(self, root: str | Path, kind: str, identity: dict[str, Any]) -> None:
        if not kind or "/" in kind or os.sep in kind:
            raise BadValueError(f"`kind` must be a plain folder-name prefix, got {kind!r}")
        if not isinstance(identity, dict) or not identity:
            raise BadValueError("`identity` must be a non-empty mapping describing the tower")
        self.root = Path(root)
        self.kind = kind
        self.identity = dict(identity)
        self.folder = self.root / f"{kind}-{identity_digest(self.identity)}"
        self._index: dict[str, tuple[Path, int]] | None = None

    def _load_index(self) -> dict[str, tuple[Path, int]]:
        if self._index is None:
            index: dict[str, tuple[Path, int]] = {}
            for part in sorted(self.folder.glob("part-*.parquet")):
                try:
                    keys = pq.read_table(part, columns=[KEY_COLUMN]).column(KEY_COLUMN).to_pylist()
                except (OSError, pa.ArrowException, KeyError):
                    continue  # an unreadable part is ignored; its items are computed again
                for row, key in enumerate(keys):
                    index.setdefault(key, (part, row))
            self._index = index
        return self._index

    def __len__(self) -> int:
        """Number of stored items."""
        return len(self._load_index())

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is stored."""
        return key in self._load_index()

    def lookup(self, keys: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """Stored features of ``keys`` and a mask of the keys found.

        Returns
        -------
        tuple[np.ndarray | None, np.ndarray]
            ``float32 (len(keys), D)`` with NaN rows where not found (None when nothing is found, as
            the width is then unknown), and the boolean found mask.
        """
        index = self._load_index()
        found = np.array([key in index for key in keys], dtype=bool)
        if not found.any():
            return None, found
        by_part: dict[Path, list[tuple[int, int]]] = {}
        for position, key in enumerate(keys):
            if found[position]:
                part, row = index[key]
                by_part.setdefault(part, []).append((position, row))
        features: np.ndarray | None = None
        for part, pairs in by_part.items():
            column = pq.read_table(part, columns=[FEATURE_COLUMN]).column(FEATURE_COLUMN).combine_chunks()
            width = column.type.list_size
            matrix = column.values.to_numpy(zero_copy_only=False).reshape(-1, width)
            if features is None:
                features = np.full((len(keys), width), np.nan, np.float32)
            positions, rows = zip(*pairs, strict=True)
            features[list(positions)] = matrix[list(rows)]
        return features, found

    def add(self, keys: Sequence[str], features: np.ndarray) -> int:
        """Store the finite rows of ``features`` under ``keys``; returns how many were written."""
        matrix = np.asarray(features, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(keys):
            raise BadValueError(f"`features` must be ({len(keys)}, D), got shape {matrix.shape}")
        if matrix.shape[1] == 0:
            return 0
        keep = np.isfinite(matrix).all(axis=1)
        index = self._load_index()
        fresh = [i for i in np.flatnonzero(keep) if keys[i] not in index]
        if not fresh:
            return 0
        kept_keys = [str(keys[i]) for i in fresh]
        flat = pa.array(np.ascontiguousarray(matrix[fresh]).reshape(-1), type=pa.float32())
        table = pa.table(
            {
                KEY_COLUMN: pa.array(kept_keys, pa.string()),
                FEATURE_COLUMN: pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1]),
            }
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        identity_path = self.folder / IDENTITY_FILE
        if not identity_path.exists():
            _write_text_atomically(
                identity_path, json.dumps(self.identity, indent=2, sort_keys=True, default=str)
            )
        name = hashlib.sha256("\n".join(kept_keys).encode()).hexdigest()[:_DIGEST_CHARS]
        path = self.folder / f"part-{name}.parquet"
        partial = path.with_suffix(".parquet.partial")
        pq.write_table(table, partial)
        os.replace(partial, path)
        for row, key in enumerate(kept_keys):
            index.setdefault(key, (path, row))
        return len(kept_keys)

    def get_or_compute(self, keys: Sequence[str], compute: ComputeFn) -> np.ndarray:
        """Features of every key: stored rows are read, the others computed by ``compute`` and stored.

        ``compute`` receives the positions (in ``keys``) of the missing items and returns their
        features in that order; rows it leaves NaN (e.g. an unreadable image) are returned as NaN and
        not stored, so they are tried again next time.
        """
        keys = [str(key) for key in keys]
        features, found = self.lookup(keys)
        missing = np.flatnonzero(~found).tolist()
        if not missing:
            return features if features is not None else np.zeros((0, 0), np.float32)
        computed = np.asarray(compute(missing), dtype=np.float32)
        if computed.ndim != 2 or computed.shape[0] != len(missing):
            raise BadValueError(
                f"compute returned shape {computed.shape} for {len(missing)} missing items; expected "
                f"({len(missing)}, D)"
            )
        if computed.shape[1] == 0:  # nothing could be computed: no width to learn
            computed = np.full(
                (len(missing), 0 if features is None else features.shape[1]), np.nan, np.float32
            )
        if features is None:
            features = np.full((len(keys), computed.shape[1]), np.nan, np.float32)
        elif features.shape[1] != computed.shape[1]:
            raise BadValueError(
                f"computed features are {computed.shape[1]} wide but the store at {self.folder} holds "
                f"{features.shape[1]}: the identity does not describe the tower"
            )
        features[missing] = computed
        self.add([keys[i] for i in missing], computed)
        return features


def _write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
