"""ClipEncoder on a tiny random open_clip model: forward pass, local-dir round trip, errors."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from medslice.encoders.clip_encoder import ClipEncoder
from medslice.encoders.errors import MissingModelError
from medslice.encoders.hashing import sha256_file
from medslice.encoders.local_dir import WEIGHTS_NAME, save_open_clip_folder

from .conftest import TINY_MODEL_CFG

TEXTS = ["pleural effusion", "no acute cardiopulmonary process", "right chest tube", ""]


@pytest.fixture(scope="module")
def tiny_encoder(tiny_model_name: str) -> ClipEncoder:
    torch.manual_seed(0)
    return ClipEncoder(tiny_model_name, batch_size=3, device="cpu")


@pytest.fixture(scope="module")
def tiny_folder(tiny_encoder: ClipEncoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny") / "encoder"
    preprocess = dict(tiny_encoder.model_.visual.preprocess_cfg)
    return save_open_clip_folder(tiny_encoder.model_, TINY_MODEL_CFG, preprocess, folder)


def test_tiny_config_forward_pass(tiny_encoder: ClipEncoder) -> None:
    model = tiny_encoder.model_
    images = torch.randn(2, 3, 32, 32)
    tokens = tiny_encoder.tokenizer_(["a chest x-ray", "pneumothorax"])
    with torch.inference_mode():
        image_features, text_features, logit_scale = model(images, tokens)
    assert image_features.shape == (2, 16) and text_features.shape == (2, 16)
    assert torch.allclose(image_features.norm(dim=-1), torch.ones(2), atol=1e-5)
    assert float(logit_scale) == pytest.approx(1 / 0.07, rel=1e-4)


def test_encodes_images_and_texts(tiny_encoder: ClipEncoder, phantom_paths: list[Path]) -> None:
    images, report = tiny_encoder.encode_images(phantom_paths, progress=False)
    texts = tiny_encoder.encode_texts(TEXTS, progress=False)
    assert images.shape == (len(phantom_paths), 16) and images.dtype == np.float32
    assert texts.shape == (len(TEXTS), 16)
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert report.n_failed == 0
    # Different inputs give different embeddings; order is preserved despite length sorting.
    assert not np.allclose(images[0], images[1])
    single = tiny_encoder.encode_texts([TEXTS[2]], progress=False)
    forked = tiny_encoder.encode_texts(TEXTS, num_workers=2, progress=False)
    np.testing.assert_allclose(forked, texts, atol=1e-5)
    np.testing.assert_allclose(single[0], texts[2], atol=1e-6)


def test_worker_processes_give_the_same_embeddings(tiny_encoder: ClipEncoder, corrupt_paths: dict) -> None:
    here, here_report = tiny_encoder.encode_images(corrupt_paths["paths"], progress=False)
    forked, report = tiny_encoder.encode_images(
        corrupt_paths["paths"], num_workers=2, batch_size=2, progress=False
    )
    np.testing.assert_allclose(forked, here, atol=1e-5)  # NaN rows compare equal
    assert report.to_dict() == here_report.to_dict()


def test_corrupt_images_give_nan_rows(tiny_encoder: ClipEncoder, corrupt_paths: dict) -> None:
    images, report = tiny_encoder.encode_images(corrupt_paths["paths"], progress=False)
    bad = corrupt_paths["bad_indices"]
    assert report.failed_indices.tolist() == bad
    assert np.isnan(images[bad]).all()
    assert np.isfinite(images[report.loaded_mask]).all()


def test_local_dir_round_trip_gives_identical_embeddings(
    tiny_encoder: ClipEncoder, tiny_folder: Path, phantom_paths: list[Path]
) -> None:
    reloaded = ClipEncoder(f"local-dir:{tiny_folder}", batch_size=3, device="cpu")
    np.testing.assert_array_equal(
        reloaded.encode_images(phantom_paths, progress=False)[0],
        tiny_encoder.encode_images(phantom_paths, progress=False)[0],
    )
    np.testing.assert_array_equal(
        reloaded.encode_texts(TEXTS, progress=False),
        tiny_encoder.encode_texts(TEXTS, progress=False),
    )
    identity = reloaded.identity
    assert identity["weights_sha256"] == sha256_file(tiny_folder / WEIGHTS_NAME)
    assert identity["model"] == "local-dir:encoder" and identity["image_size"] == 32


def test_builtin_name_with_local_weights_file(
    tiny_model_name: str, tiny_folder: Path, tiny_encoder: ClipEncoder
) -> None:
    encoder = ClipEncoder(tiny_model_name, pretrained=str(tiny_folder / WEIGHTS_NAME))
    np.testing.assert_allclose(
        encoder.encode_texts(TEXTS, progress=False),
        tiny_encoder.encode_texts(TEXTS, progress=False),
        atol=1e-6,
    )


def test_random_weights_identity_hashes_the_state_dict(tiny_encoder: ClipEncoder) -> None:
    identity = tiny_encoder.identity
    assert len(identity["weights_sha256"]) == 64
    torch.manual_seed(1)
    other = ClipEncoder(tiny_encoder.model, device="cpu")
    assert other.identity["weights_sha256"] != identity["weights_sha256"]


@pytest.mark.parametrize(
    "model, pretrained",
    [
        ("local-dir:/nonexistent/medslice/encoder", None),
        ("hf-hub:medslice-tests/definitely-not-cached", None),
        ("NoSuchArchitecture-B-99", None),
        ("ViT-B-32", "/nonexistent/weights.safetensors"),
    ],
)
def test_missing_model_fails_fast_naming_the_conf_key(model: str, pretrained: str | None) -> None:
    started = time.perf_counter()
    with pytest.raises(MissingModelError) as caught:
        ClipEncoder(model, pretrained=pretrained)
    assert time.perf_counter() - started < 5.0
    message = str(caught.value)
    assert "embedding.encoder.model" in message and "embedding.encoder.pretrained" in message
    assert "parameters/embedding.yml" in message
    looked_for = model.split(":", 1)[-1] if pretrained is None else pretrained
    assert looked_for.split("/")[-1] in message


def test_invalid_arguments_are_named(tiny_model_name: str) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ClipEncoder(tiny_model_name, batch_size=0)
    with pytest.raises(ValueError, match="image_size"):
        ClipEncoder(tiny_model_name, image_size=2)


def test_cached_hub_model_loads_offline(
    tiny_encoder: ClipEncoder, tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    # The HF cache layout: models--org--name/{refs/main, snapshots/<commit>/<files>}.
    repo = tmp_path / "models--medslice-tests--tiny-clip"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    for name in ("open_clip_config.json", WEIGHTS_NAME):
        (snapshot / name).write_bytes((tiny_folder / name).read_bytes())
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))

    encoder = ClipEncoder("hf-hub:medslice-tests/tiny-clip", batch_size=3, device="cpu")
    np.testing.assert_array_equal(
        encoder.encode_texts(TEXTS, progress=False), tiny_encoder.encode_texts(TEXTS, progress=False)
    )
    assert encoder.identity["weights_sha256"] == sha256_file(tiny_folder / WEIGHTS_NAME)
