"""A versioned folder of model files (open_clip ``local-dir`` models, classifier weights)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from kedro.io import AbstractVersionedDataset, DatasetError, Version

from medslice.datasets.atomic import partial_path
from medslice.datasets.errors import CatalogDatasetError
from medslice.datasets.versions import ReadableVersionsMixin

REFERENCE_FILE = "model_reference.json"


class ModelFolderDataset(ReadableVersionsMixin, AbstractVersionedDataset[dict[str, Any], dict[str, Any]]):
    """A model that is either a folder of files or a reference to an external model.

    Saving takes a dict:

    - ``{"model": "local-dir:/tmp/x", ...}``: the folder's files are copied into the versioned folder; with
      ``"scratch": True`` (a folder the producing node made for the catalog) they are moved and the folder
      is removed, so a training run leaves nothing behind in the temporary directory;
    - any other ``{"model": "hf-hub:...", "pretrained": ...}``: only the reference is stored (the weights
      stay in the user's Hugging Face cache or folder, e.g. BiomedCLIP in ``conf/mimic``).

    Loading returns the same dict, with ``model`` pointing at the versioned copy for folders, so downstream
    nodes load ``local-dir:<path>`` exactly as they would load any open_clip folder. Extra keys (identity,
    training log) are kept in the reference file.
    """

    def __init__(
        self,
        *,
        path: str,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the dataset rooted at ``path`` (a folder; versions are sub-folders)."""
        self.metadata = metadata
        filesystem = fsspec.filesystem("file")
        super().__init__(
            filepath=PurePosixPath(Path(path).as_posix()),
            version=version,
            exists_function=filesystem.exists,
            glob_function=filesystem.glob,
        )

    def _read(self) -> dict[str, Any]:
        """Return the stored reference, pointing ``model`` at the stored folder when there is one."""
        folder = Path(str(self._get_load_path()))
        reference_path = folder / REFERENCE_FILE
        if not reference_path.is_file():
            raise CatalogDatasetError(f"No model stored at {folder} (missing {REFERENCE_FILE})")
        reference = json.loads(reference_path.read_text())
        if reference.get("stored_folder"):
            reference["model"] = f"local-dir:{folder.resolve()}"
        return reference

    def save(self, data: dict[str, Any]) -> None:
        """Copy a ``local-dir:`` folder's files, or store a reference to an external model."""
        if not isinstance(data, dict) or "model" not in data:
            raise CatalogDatasetError("ModelFolderDataset saves a dict with a 'model' key")
        target = Path(str(self._get_save_path()))
        # Built under a hidden name and renamed whole: a killed run never leaves a newest version that
        # lacks its weights or its reference file.
        folder = partial_path(target)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        reference = dict(data)
        scratch = bool(reference.pop("scratch", False))
        model = str(data["model"])
        if model.startswith("local-dir:"):
            source = Path(model.removeprefix("local-dir:"))
            if not source.is_dir():
                raise CatalogDatasetError(f"Model folder {source} does not exist")
            for item in sorted(source.iterdir()):
                if item.is_file():
                    (shutil.move if scratch else shutil.copy2)(item, folder / item.name)
            if scratch:
                shutil.rmtree(source)
            reference["stored_folder"] = True
            reference["model"] = "local-dir:."
        (folder / REFERENCE_FILE).write_text(json.dumps(reference, indent=2, sort_keys=True, default=str))
        os.replace(folder, target)

    def _exists(self) -> bool:
        try:
            folder = Path(str(self._get_load_path()))
        except DatasetError:
            return False
        # A version folder without its reference file exists, damaged: loading it names it as corrupt
        # and names the newest good version, instead of reporting the model as never trained.
        return folder.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._filepath), "version": self._version}
