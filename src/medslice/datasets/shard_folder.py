"""A Kedro dataset for the folder where the embedding stage keeps its resumable shards and feature caches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from medslice.datasets.errors import CatalogDatasetError


class ShardFolderDataset(AbstractDataset[None, Path]):
    """Hands the embedding nodes the folder of their shards (``image/``) and locked features (``locked/``).

    Like the checkpoint store, it is an input the nodes write into piece by piece, so a killed run keeps
    what it finished. Its ``path`` is in the catalog, so Kedro resolves it against the project root wherever
    the session starts (a notebook in ``notebooks/`` included). Deleting the folder costs time, never
    results: every entry is keyed by the content and encoder that made it.

    Example catalog entry::

        embedding_shards:
          type: medslice.datasets.ShardFolderDataset
          path: data/04_feature/shards
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Point the dataset at the folder (created when the first shard is written)."""
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> Path:
        """The folder."""
        return self._path

    def save(self, data: None) -> None:
        """Refused: shards are written by the nodes that compute them."""
        raise CatalogDatasetError(
            "the shard folder is written shard by shard by the nodes, never saved whole"
        )

    def location(self) -> str:
        """The folder this dataset hands out."""
        return str(self._path)

    def _exists(self) -> bool:
        return True  # an empty folder is a valid one: every shard is then computed

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
