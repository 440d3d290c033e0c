"""A Kedro dataset for the folder where an audit keeps its finished units of work."""

from __future__ import annotations

from medslice.datasets.work_folder import WorkFolderDataset
from medslice.runner.checkpoints import CheckpointStore


class CheckpointStoreDataset(WorkFolderDataset[CheckpointStore]):
    """Hands nodes a :class:`~medslice.runner.checkpoints.CheckpointStore` on a folder.

    Nodes write into it unit by unit as each finishes; units are keyed by the settings and inputs that
    made them. Example catalog entry::

        bootstrap_checkpoints:
          type: medslice.datasets.CheckpointStoreDataset
          path: data/06_models/checkpoints
    """

    WRITTEN = "unit by unit by the nodes"

    def load(self) -> CheckpointStore:
        """The store on the folder."""
        return CheckpointStore(self._path)
