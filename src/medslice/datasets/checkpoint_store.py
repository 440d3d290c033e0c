"""A Kedro dataset for the folder where an audit keeps its finished units of work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from medslice.datasets.errors import CatalogDatasetError
from medslice.runner.checkpoints import CheckpointStore


class CheckpointStoreDataset(AbstractDataset[None, CheckpointStore]):
    """Hands nodes a :class:`~medslice.runner.checkpoints.CheckpointStore` on a folder.

    The store is an input, not an output: nodes write into it unit by unit as each finishes, so that a
    killed run keeps what it had done. It is a cache keyed by the settings that made each unit, so deleting
    the folder loses time, never results.

    Example catalog entry::

        bootstrap_checkpoints:
          type: medslice.datasets.CheckpointStoreDataset
          path: data/06_models/checkpoints
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Point the dataset at the folder (created when the first unit is saved)."""
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> CheckpointStore:
        """The store on the folder."""
        return CheckpointStore(self._path)

    def save(self, data: None) -> None:
        """Refused: units are saved into the store by the nodes that compute them."""
        raise CatalogDatasetError(
            "the checkpoint store is written unit by unit by the nodes, never saved whole"
        )

    def _exists(self) -> bool:
        return True  # an empty store is a valid one: every unit is then computed

    def location(self) -> str:
        """The folder this dataset reads and writes."""
        return str(self._path)

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
