"""The error medslice's catalog datasets raise: a :class:`MedsliceError` that Kedro treats as its own."""

from __future__ import annotations

from kedro.io import DatasetError

from medslice.errors import MedsliceError


class CatalogDatasetError(MedsliceError, DatasetError):
    """A dataset could not be loaded or saved; the message names the file and what to do."""
