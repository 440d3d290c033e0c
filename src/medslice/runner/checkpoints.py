"""Each finished unit of an audit saved at once, under a key of everything that made it.

A unit (one trained classifier, one audited bootstrap) is a pure function of its settings and inputs, so
its result can be kept and reused: a rerun with identical settings loads it instead of computing it, and
a run killed half way recomputes only the units that had not finished. The key is a hash of every
setting and input that decides the result, so a changed setting, cohort or release never reuses a stale
unit.

Files are written to a temporary name and renamed into place, so a killed run never leaves a
half-written unit that a rerun would take for a finished one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

CHECKPOINT_SUFFIX = ".pkl"


def fingerprint(value: Any) -> str:
    """A stable hex digest of a value: JSON-able values, NumPy arrays, pandas frames and series, Arrow
    tables and dataclasses, nested in dicts, lists and tuples.

    Two values with the same digest are the same data: arrays are hashed with their dtype and shape,
    frames with their columns, dataclasses with their class name and fields.
    """
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, pd.DataFrame):
        digest.update(b"frame")
        digest.update(json.dumps([str(c) for c in value.columns]).encode())
        digest.update(json.dumps([str(t) for t in value.dtypes]).encode())
        digest.update(pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())
    elif isinstance(value, pd.Series):
        digest.update(b"series")
        _feed(digest, value.to_frame(name=str(value.name)))
    elif isinstance(value, np.ndarray):
        digest.update(b"array")
        digest.update(json.dumps([str(value.dtype), list(value.shape)]).encode())
        if value.dtype.kind == "O":  # strings and other objects: by their text, one per element
            _feed(digest, [str(item) for item in value.ravel().tolist()])
        else:
            digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, pa.Table):
        digest.update(b"arrow")
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, value.schema) as writer:
            writer.write_table(value.combine_chunks())
        digest.update(sink.getvalue().to_pybytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(f"dataclass:{type(value).__qualname__}".encode())
        _feed(digest, {field.name: getattr(value, field.name) for field in dataclasses.fields(value)})
    elif isinstance(value, dict):
        digest.update(b"dict")
        for key in sorted(value, key=str):
            digest.update(str(key).encode())
            _feed(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(b"list")
        for item in value:
            _feed(digest, item)
    elif isinstance(value, np.generic):
        _feed(digest, value.item())
    else:
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())


def write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CheckpointStore:
    """A folder of finished units, ``<root>/<namespace>/<key>/<unit>.pkl``.

    Parameters
    ----------
    root : str or Path or None
        The folder (created on first save). ``None`` keeps nothing: every unit is computed.

    Notes
    -----
    A unit that cannot be read back (a file from another version of medslice, a damaged disk) counts as
    missing and is computed again; nothing is ever loaded from a partial write.
    """

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None

    def path(self, namespace: str, key: str, unit: str) -> Path | None:
        """Where unit ``unit`` of ``namespace`` under settings ``key`` is kept (None: not kept)."""
        if self.root is None:
            return None
        return self.root / namespace / key[:16] / f"{unit}{CHECKPOINT_SUFFIX}"

    def load(self, namespace: str, key: str, unit: str) -> Any | None:
        """The saved result of the unit, or None when there is none (or it cannot be read)."""
        path = self.path(namespace, key, unit)
        if path is None or not path.is_file():
            return None
        try:
            with path.open("rb") as file:
                stored = pickle.load(file)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        return stored["result"]

    def save(self, namespace: str, key: str, unit: str, result: Any) -> None:
        """Keep ``result`` for the unit (atomically; a no-op when the store keeps nothing)."""
        path = self.path(namespace, key, unit)
        if path is None:
            return
        write_atomically(path, pickle.dumps({"key": key, "result": result}, protocol=5))

    def __repr__(self) -> str:
        return f"CheckpointStore({str(self.root)!r})" if self.root is not None else "CheckpointStore(None)"
