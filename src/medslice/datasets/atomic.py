"""Catalog datasets that never leave a half-written file under the name a later run would load.

Kedro's datasets write straight to their target, ``<name>/<version>/<name>`` for a versioned one. A run
killed mid-write leaves that file truncated, and since it is the newest version, the next run loads it
and fails (``Parquet magic bytes not found``). These subclasses write to a hidden name beside the target
(``.<stem>.partial<suffix>``, which no version lookup matches) and rename it into place once complete: a
rename within one folder is atomic, so the target is either absent or whole.

Use them in the catalog in place of Kedro's: ``type: medslice.datasets.ParquetDataset`` and so on.
Datasets on a remote filesystem (``s3://``) are written as Kedro writes them.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
from kedro_datasets.json import JSONDataset as _JSONDataset
from kedro_datasets.matplotlib import MatplotlibDataset as _MatplotlibDataset
from kedro_datasets.pandas import CSVDataset as _CSVDataset
from kedro_datasets.pandas import ParquetDataset as _ParquetDataset
from kedro_datasets.pickle import PickleDataset as _PickleDataset
from kedro_datasets.text import TextDataset as _TextDataset

from medslice.datasets.versions import ReadableVersionsMixin
from medslice.mimic.table_io import parse_csv, read_text


def partial_path(target: Path) -> Path:
    """The hidden name a file is written under before it is renamed to ``target``."""
    return target.with_name(f".{target.stem}.partial{target.suffix}")


class AtomicSaveMixin:
    """Redirects a dataset's save to :func:`partial_path` of its target, then renames it into place."""

    _atomic_target: PurePosixPath | None = None

    def location(self) -> str:
        """The file this dataset writes (for a versioned one, the folder of versions)."""
        return str(self._filepath)  # type: ignore[attr-defined]

    def save(self, data: Any) -> None:
        """Save through a temporary name beside the target, then rename (local files only)."""
        following = super().save  # type: ignore[misc]
        # Kedro wraps every dataset's save with its versioning; the wrapper already ran for this call.
        raw = getattr(following, "__wrapped__", None)
        write = (lambda: raw(self, data)) if raw is not None else (lambda: following(data))
        if getattr(self, "_protocol", "file") != "file":
            write()
            return
        target = Path(str(super()._get_save_path()))  # type: ignore[misc]
        temporary = partial_path(target)
        self._atomic_target = PurePosixPath(temporary)
        try:
            write()
        finally:
            self._atomic_target = None
        os.replace(temporary, target)

    def _get_save_path(self) -> PurePosixPath:
        if self._atomic_target is not None:
            return self._atomic_target
        return super()._get_save_path()  # type: ignore[misc]


class ParquetDataset(ReadableVersionsMixin, AtomicSaveMixin, _ParquetDataset):
    """``pandas.ParquetDataset``, written atomically."""


class CSVDataset(ReadableVersionsMixin, AtomicSaveMixin, _CSVDataset):
    """``pandas.CSVDataset``, written atomically; a damaged local file is named with its CSV line.

    Local files are decompressed and parsed by :mod:`medslice.mimic.table_io`, whose errors name the file
    and line (a truncated gzip, bytes that are not UTF-8, a row with too many fields).
    """

    def _read(self) -> pd.DataFrame:
        if self._protocol != "file":
            return super()._read()
        path = str(self._get_load_path())
        arguments = dict(self._load_args)
        compression = arguments.pop("compression", "infer")
        gzipped = compression == "gzip" or (compression == "infer" and path.endswith(".gz"))
        return parse_csv(read_text(path, gzipped=gzipped), path, **arguments)


class JSONDataset(ReadableVersionsMixin, AtomicSaveMixin, _JSONDataset):
    """``json.JSONDataset``, written atomically."""


class PickleDataset(ReadableVersionsMixin, AtomicSaveMixin, _PickleDataset):
    """``pickle.PickleDataset``, written atomically."""


class TextDataset(ReadableVersionsMixin, AtomicSaveMixin, _TextDataset):
    """``text.TextDataset``, written atomically."""


class MatplotlibDataset(AtomicSaveMixin, _MatplotlibDataset):
    """``matplotlib.MatplotlibDataset`` (one figure), written atomically."""
