"""A Kedro dataset for a MIMIC-CXR-JPG 2.1.0 release folder, real or synthetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from kedro.io import AbstractDataset

from medslice.datasets.errors import CatalogDatasetError
from medslice.datasets.missing_release import require_existing
from medslice.mimic import schemas
from medslice.mimic.reader import MimicCxrJpg
from medslice.mimic.writer import write_release


class ReleaseLike(Protocol):
    """What the dataset saves: the tables and the pixels of a release (``medslice.synth`` makes one)."""

    metadata: pd.DataFrame
    chexpert: pd.DataFrame
    negbio: pd.DataFrame
    split: pd.DataFrame
    test_set_labeled: pd.DataFrame

    def iter_images(self, n_jobs: int = 1) -> Any:  # Iterator[tuple[str, np.ndarray]]
        """Yield ``(dicom_id, uint8 pixels)`` in metadata order."""


class MimicCxrJpgDataset(AbstractDataset[ReleaseLike, MimicCxrJpg]):
    """The PhysioNet layout of MIMIC-CXR-JPG in both directions.

    ``load`` returns a cheap, read-only :class:`~medslice.mimic.reader.MimicCxrJpg` handle: ingestion
    reads the tables and image headers through it and never holds pixels. ``save`` writes a release
    (the ``synthetic`` pipeline's output) into an empty folder; a folder that already holds a release is
    refused, because the real download must never be overwritten.

    Example catalog entry::

        mimic_cxr_jpg:
          type: medslice.datasets.MimicCxrJpgDataset
          path: data/01_raw/mimic-cxr-jpg/2.1.0
          save_args: {n_jobs: 2, jpeg_quality: 95}
    """

    def __init__(
        self,
        *,
        path: str,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Point the dataset at a release folder.

        Parameters
        ----------
        path : str
            The release root, the folder holding ``files/`` and the ``.csv.gz`` tables.
        save_args : dict[str, Any] or None, default=None
            ``n_jobs`` (rendering processes) and ``jpeg_quality`` for ``save``.
        metadata : dict[str, Any] or None, default=None
            Free-form metadata (kedro-viz reads ``kedro-viz`` keys from it).
        """
        self._path = Path(path)
        self._save_args = {"n_jobs": 1, "jpeg_quality": 95, **(save_args or {})}
        unknown = set(self._save_args) - {"n_jobs", "jpeg_quality"}
        if unknown:
            raise CatalogDatasetError(f"MimicCxrJpgDataset: unknown save_args {sorted(unknown)}")
        self.metadata = metadata

    def load(self) -> MimicCxrJpg:
        """Return a read-only handle on the release folder."""
        require_existing(self._path, "MIMIC-CXR-JPG release folder", "mimic_cxr_jpg")
        return MimicCxrJpg(self._path)

    def save(self, data: ReleaseLike) -> None:
        """Write ``data`` in the PhysioNet layout; refuses a folder that already holds a release."""
        n_images = len(data.metadata)
        try:
            write_release(
                self._path,
                metadata=data.metadata,
                chexpert=data.chexpert,
                negbio=data.negbio,
                split=data.split,
                test_set_labeled=data.test_set_labeled,
                images=data.iter_images(n_jobs=int(self._save_args["n_jobs"])),
                n_images=n_images,
                jpeg_quality=int(self._save_args["jpeg_quality"]),
            )
        except FileExistsError as error:
            raise CatalogDatasetError(
                f"{error}. To make a fresh synthetic release in the project, run `make clean-data` first "
                "(it deletes everything generated under data/, and nothing outside it)."
            ) from error

    def _exists(self) -> bool:
        return (self._path / schemas.METADATA_FILE).exists()

    def location(self) -> str:
        """The folder this dataset reads and writes."""
        return str(self._path)

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "save_args": self._save_args}
