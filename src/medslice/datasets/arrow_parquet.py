"""Versioned Parquet files loaded and saved as ``pyarrow.Table``, keeping schema metadata intact."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractVersionedDataset, DatasetError, Version
from kedro.io.core import get_filepath_str, get_protocol_and_path

from medslice.datasets.atomic import partial_path
from medslice.datasets.errors import CatalogDatasetError
from medslice.datasets.versions import ReadableVersionsMixin


class ArrowParquetDataset(ReadableVersionsMixin, AbstractVersionedDataset[pa.Table, pa.Table]):
    """A Parquet file as a ``pyarrow.Table``.

    Embedding tables carry the encoder's identity in their schema metadata and a fixed-size-list column;
    a pandas round trip would drop the first and turn the second into Python objects, so these tables stay
    in Arrow from node to disk.
    """

    def __init__(
        self,
        *,
        filepath: str,
        version: Version | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the dataset; ``save_args`` go to ``pyarrow.parquet.write_table``."""
        protocol, path = get_protocol_and_path(filepath, version)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol)
        self._save_args = {"compression": "zstd", **(save_args or {})}
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._fs.exists,
            glob_function=self._fs.glob,
        )

    def _read(self) -> pa.Table:
        """Read the table with its schema metadata."""
        path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(path, "rb") as file:
            return pq.read_table(file)

    def save(self, data: pa.Table) -> None:
        """Write the table; anything but a ``pyarrow.Table`` is refused."""
        if not isinstance(data, pa.Table):
            raise CatalogDatasetError(f"ArrowParquetDataset saves a pyarrow.Table, got {type(data).__name__}")
        path = get_filepath_str(self._get_save_path(), self._protocol)
        self._fs.mkdirs(str(PurePosixPath(path).parent), exist_ok=True)
        # Locally through a hidden name and a rename: a killed run never leaves a truncated newest version.
        local = self._protocol == "file"
        written = str(partial_path(Path(path))) if local else path
        with self._fs.open(written, "wb") as file:
            pq.write_table(data, file, **self._save_args)
        if local:
            os.replace(written, path)
        self._invalidate_cache()

    def _exists(self) -> bool:
        try:
            path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(path)

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "version": self._version}

    def _release(self) -> None:
        super()._release()
        self._invalidate_cache()

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(str(self._filepath))
