"""The base of catalog datasets for a folder that nodes write into piece by piece (caches of work)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from kedro.io import AbstractDataset

from medslice.datasets.errors import CatalogDatasetError

Handle = TypeVar("Handle")


class WorkFolderDataset(AbstractDataset[None, Handle]):
    """A folder handed to nodes as an input: they write into it as each piece finishes, never save it whole.

    A killed run keeps what it finished. Its ``path`` is in the catalog, so Kedro resolves it against the
    project root wherever the session starts. Every entry is keyed by what made it, so deleting the folder
    costs time, never results. Subclasses define ``load`` (the handle nodes receive) and ``WRITTEN``.
    """

    WRITTEN: ClassVar[str] = "by the nodes, piece by piece"

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Point the dataset at the folder (created when the first piece is written)."""
        self._path = Path(path)
        self.metadata = metadata

    def save(self, data: None) -> None:
        """Refused: the nodes write the folder's pieces themselves."""
        raise CatalogDatasetError(f"{type(self).__name__} is written {self.WRITTEN}, never saved whole")

    def location(self) -> str:
        """The folder."""
        return str(self._path)

    def _exists(self) -> bool:
        return True  # an empty folder is a valid one: every piece is then computed

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
