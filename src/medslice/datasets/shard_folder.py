"""A Kedro dataset for the folder where the embedding stage keeps its resumable shards and feature caches."""

from __future__ import annotations

from pathlib import Path

from medslice.datasets.work_folder import WorkFolderDataset


class ShardFolderDataset(WorkFolderDataset[Path]):
    """Hands the embedding nodes the folder of their shards (``image/``) and locked features (``locked/``).

    Entries are keyed by the images' content and the encoder that made them. Example catalog entry::

        embedding_shards:
          type: medslice.datasets.ShardFolderDataset
          path: data/04_feature/shards
    """

    WRITTEN = "shard by shard by the embedding nodes"

    def load(self) -> Path:
        """The folder."""
        return self._path
