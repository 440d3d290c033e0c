"""ModelFolderDataset: versioned model folders and references to external models."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DatasetError, Version

from medslice.datasets import ModelFolderDataset


def _folder(tmp_path: Path) -> Path:
    source = tmp_path / "medslice-encoder-abc"
    source.mkdir()
    (source / "open_clip_config.json").write_text("{}")
    (source / "open_clip_model.safetensors").write_bytes(b"weights")
    return source


def test_a_scratch_folder_is_moved_into_the_version_and_removed(tmp_path: Path) -> None:
    source = _folder(tmp_path)
    dataset = ModelFolderDataset(path=str(tmp_path / "store"), version=Version(None, "v1"))
    dataset.save({"model": f"local-dir:{source}", "pretrained": None, "scratch": True})
    assert not source.exists()
    loaded = ModelFolderDataset(path=str(tmp_path / "store"), version=Version("v1", None)).load()
    stored = Path(loaded["model"].removeprefix("local-dir:"))
    assert (stored / "open_clip_model.safetensors").read_bytes() == b"weights"
    assert "scratch" not in loaded


def test_a_users_folder_is_copied_and_left_alone(tmp_path: Path) -> None:
    source = _folder(tmp_path)
    ModelFolderDataset(path=str(tmp_path / "store"), version=Version(None, "v1")).save(
        {"model": f"local-dir:{source}"}
    )
    assert (source / "open_clip_model.safetensors").exists()


def test_an_external_model_is_stored_as_a_reference(tmp_path: Path) -> None:
    dataset = ModelFolderDataset(path=str(tmp_path / "store"), version=Version(None, "v1"))
    dataset.save({"model": "hf-hub:org/model", "pretrained": None})
    loaded = ModelFolderDataset(path=str(tmp_path / "store"), version=Version("v1", None)).load()
    assert loaded["model"] == "hf-hub:org/model"
    again = ModelFolderDataset(path=str(tmp_path / "store"), version=Version(None, "v2"))
    with pytest.raises(DatasetError, match="does not exist"):
        again.save({"model": f"local-dir:{tmp_path / 'missing'}"})
