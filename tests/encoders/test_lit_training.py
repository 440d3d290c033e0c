"""LiT training of the in-domain CLIP: determinism, locked towers, loadable local-dir folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch
from safetensors.torch import load_file

from medslice.encoders.clip_encoder import ClipEncoder
from medslice.encoders.lit_training import train_lit_clip
from medslice.encoders.lite0 import lite0_weights_path
from medslice.encoders.local_dir import WEIGHTS_NAME
from medslice.encoders.text_encoder import default_text_model_path

TEXTS = [
    "no acute cardiopulmonary process",
    "right pleural effusion with a bright opacity",
] * 4
SETTINGS = {
    "epochs": 2,
    "batch_size": 4,
    "image_size": 64,
    "embed_dim": 32,
    "num_workers": 2,
    "progress": False,
}


def _train(phantom_paths: list[Path], folder: Path, seed: int, **overrides: object) -> dict:
    settings = {**SETTINGS, **overrides}
    return train_lit_clip([str(p) for p in phantom_paths], TEXTS, folder, seed=seed, **settings)


@pytest.fixture(scope="module")
def trained(phantom_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("lit") / "encoder"
    log = _train(phantom_paths, folder, seed=0)
    return {"folder": folder, "log": log, "weights": load_file(folder / WEIGHTS_NAME)}


def test_same_seed_gives_identical_weights(trained: dict, phantom_paths: list[Path], tmp_path: Path) -> None:
    log = _train(phantom_paths, tmp_path / "again", seed=0)
    again = load_file(tmp_path / "again" / WEIGHTS_NAME)
    assert again.keys() == trained["weights"].keys()
    for name, tensor in trained["weights"].items():
        assert torch.equal(tensor, again[name]), name
    assert log["loss_per_epoch"] == trained["log"]["loss_per_epoch"]


def test_other_seed_gives_other_projections(trained: dict, phantom_paths: list[Path], tmp_path: Path) -> None:
    _train(phantom_paths, tmp_path / "other", seed=1)
    other = load_file(tmp_path / "other" / WEIGHTS_NAME)
    assert not torch.equal(other["visual.head.proj.weight"], trained["weights"]["visual.head.proj.weight"])


def test_towers_stay_locked(trained: dict) -> None:
    weights = trained["weights"]
    lite0 = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    assert torch.equal(weights["visual.trunk.conv_stem.weight"], lite0["_conv_stem.weight"])
    assert torch.equal(weights["visual.trunk.bn2.running_mean"], lite0["_bn1.running_mean"])
    minilm = load_file(default_text_model_path() / "model.safetensors")
    for name, tensor in minilm.items():
        if not name.startswith("pooler") and not name.endswith("position_ids"):
            assert torch.equal(weights[f"text.transformer.{name}"], tensor), name


def test_log_and_folder_contents(trained: dict) -> None:
    log, folder = trained["log"], trained["folder"]
    assert len(log["loss_per_epoch"]) == 2 and all(np.isfinite(log["loss_per_epoch"]))
    assert log["n_pairs"] == 8 and log["n_failed_images"] == 0 and log["steps"] == 4
    assert json.loads((folder / "training_log.json").read_text()) == log
    config = json.loads((folder / "open_clip_config.json").read_text())
    assert config["model_cfg"]["vision_cfg"]["timm_model_name"] == "efficientnet_lite0"
    assert config["model_cfg"]["text_cfg"]["hf_pooler_type"] == "mean_pooler"
    assert config["preprocess_cfg"]["size"] == 64
    assert (folder / "tokenizer.json").is_file() and (folder / "config.json").is_file()


def test_folder_loads_in_open_clip_and_clip_encoder(trained: dict, phantom_paths: list[Path]) -> None:
    folder = trained["folder"]
    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
    encoder = ClipEncoder(f"local-dir:{folder}", device="cpu")
    ours = encoder.encode_texts(TEXTS[:2], progress=False)
    with torch.inference_mode():
        plain = model.eval().encode_text(tokenizer(TEXTS[:2]), normalize=True).numpy()
    np.testing.assert_allclose(ours, plain, atol=1e-5)
    images, report = encoder.encode_images(phantom_paths, progress=False)
    assert images.shape == (8, 32) and report.n_failed == 0
    assert encoder.identity["image_size"] == 64


def test_top_text_layer_can_be_tuned(phantom_paths: list[Path], tmp_path: Path) -> None:
    _train(phantom_paths, tmp_path / "tuned", seed=0, train_text_layers=1, epochs=1, num_workers=0)
    tuned = load_file(tmp_path / "tuned" / WEIGHTS_NAME)
    minilm = load_file(default_text_model_path() / "model.safetensors")
    top = "encoder.layer.5.intermediate.dense.weight"
    bottom = "encoder.layer.0.intermediate.dense.weight"
    assert not torch.equal(tuned[f"text.transformer.{top}"], minilm[top])
    assert torch.equal(tuned[f"text.transformer.{bottom}"], minilm[bottom])


def test_mismatched_pairs_are_rejected(phantom_paths: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pair up"):
        train_lit_clip([str(p) for p in phantom_paths], TEXTS[:3], tmp_path)


def test_unreadable_images_drop_their_pairs(corrupt_paths: dict, tmp_path: Path) -> None:
    paths = [str(p) for p in corrupt_paths["paths"]]
    texts = [f"report {i}" for i in range(len(paths))]
    log = train_lit_clip(paths, texts, tmp_path / "enc", seed=0, **{**SETTINGS, "batch_size": 2})
    assert log["n_pairs"] == len(paths) - len(corrupt_paths["bad_indices"])
    assert [f["index"] for f in log["failed_images"]] == corrupt_paths["bad_indices"]
