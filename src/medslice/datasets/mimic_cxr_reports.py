"""A Kedro dataset for the MIMIC-CXR free-text reports: a ``files/`` tree or ``mimic-cxr-reports.zip``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from medslice.datasets.missing_release import require_existing
from medslice.mimic.reader import MimicCxrReports
from medslice.mimic.writer import write_reports


class MimicCxrReportsDataset(AbstractDataset[pd.DataFrame, MimicCxrReports]):
    """Reports at ``files/pXX/pSUBJECT/sSTUDY.txt``, in a folder tree or in the official zip.

    ``load`` returns a streaming :class:`~medslice.mimic.reader.MimicCxrReports` handle, so that 227k reports
    are parsed one at a time. ``save`` takes a frame with ``subject_id``, ``study_id`` and ``text`` and
    writes the tree (the synthetic release keeps the reports beside the study folders, as MIMIC-CXR does).
    """

    def __init__(self, *, path: str, metadata: dict[str, Any] | None = None) -> None:
        """Point the dataset at a reports folder tree or at ``mimic-cxr-reports.zip``."""
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> MimicCxrReports:
        """Return a streaming handle over ``(subject_id, study_id, text)``."""
        require_existing(self._path, "MIMIC-CXR reports location", "mimic_cxr_reports")
        return MimicCxrReports(self._path)

    def save(self, data: pd.DataFrame) -> None:
        """Write one ``sSTUDY.txt`` per row; existing reports are never overwritten."""
        write_reports(self._path, data)

    def _exists(self) -> bool:
        if self._path.suffix == ".zip":
            return self._path.is_file()
        return any((self._path / "files").glob("p*/p*/s*.txt"))

    def location(self) -> str:
        """The folder this dataset reads and writes."""
        return str(self._path)

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
