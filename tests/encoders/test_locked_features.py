"""Locked-tower features shared by LiT training and ClipEncoder: stored once, identical to fresh ones.

The store may only save time, never change a number: a feature read from it must equal what the
call would have computed, whichever call (training, embedding, a subset, other workers) stored it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from medslice.encoders import locked_towers
from medslice.encoders.clip_encoder import ClipEncoder
from medslice.encoders.feature_store import FeatureStore
from medslice.encoders.lit_training import train_lit_clip
from medslice.encoders.local_dir import WEIGHTS_NAME
from medslice.encoders.locked_towers import IMAGE_STORE_KIND, TEXT_STORE_KIND
from medslice.encoders.settings import EmbeddingSettings
from medslice.pipelines.embedding.nodes import locked_feature_cache

TEXTS = [
    "no acute cardiopulmonary process",
    "right pleural effusion with a bright opacity",
    "left chest tube in place",
    "no acute cardiopulmonary process",
] * 2
SETTINGS = {
    "epochs": 2,
    "batch_size": 4,
    "image_size": 64,
    "embed_dim": 16,
    "num_workers": 2,
    "progress": False,
}


def _weights_digest(folder: Path) -> str:
    return hashlib.sha256((folder / WEIGHTS_NAME).read_bytes()).hexdigest()


def _store_sizes(cache: Path) -> dict[str, int]:
    return {
        folder.name.rsplit("-", 1)[0]: sum(1 for _ in folder.glob("part-*.parquet"))
        for folder in sorted(cache.iterdir())
        if folder.is_dir()  # the cache root also holds the file-fingerprints record
    }


@pytest.fixture(scope="module")
def lit(phantom_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A LiT model trained with a cold feature cache, plus the cache it filled."""
    root = tmp_path_factory.mktemp("locked")
    cache = root / "cache"
    paths = [str(p) for p in phantom_paths[:6]]
    log = train_lit_clip(paths, TEXTS[:6], root / "cold", seed=0, feature_cache=cache, **SETTINGS)
    return {"root": root, "cache": cache, "paths": paths, "log": log, "folder": root / "cold"}


def test_training_from_a_warm_cache_reads_every_feature_and_gives_the_same_weights(
    lit: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_computing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm cache must not compute features again")

    monkeypatch.setattr(locked_towers, "embed_image_files", no_computing)
    monkeypatch.setattr(locked_towers, "map_batches", no_computing)
    log = train_lit_clip(
        lit["paths"], TEXTS[:6], lit["root"] / "warm", seed=0, feature_cache=lit["cache"], **SETTINGS
    )
    assert _weights_digest(lit["root"] / "warm") == _weights_digest(lit["folder"])
    assert log["loss_per_epoch"] == lit["log"]["loss_per_epoch"]
    assert log["settings"]["feature_cache"] is True


def test_training_without_a_cache_stays_close(lit: dict) -> None:
    log = train_lit_clip(lit["paths"], TEXTS[:6], lit["root"] / "plain", seed=0, **SETTINGS)
    assert log["settings"]["feature_cache"] is False
    # Batched features differ from per-item ones only in the last bits.
    np.testing.assert_allclose(log["loss_per_epoch"], lit["log"]["loss_per_epoch"], rtol=1e-4)


def test_embedding_reuses_what_training_stored(lit: dict, phantom_paths: list[Path]) -> None:
    assert set(_store_sizes(lit["cache"])) == {IMAGE_STORE_KIND, TEXT_STORE_KIND}
    encoder = ClipEncoder(f"local-dir:{lit['folder']}", device="cpu", feature_cache=lit["cache"])
    image_store = encoder._store(IMAGE_STORE_KIND)
    text_store = encoder._store(TEXT_STORE_KIND)
    assert image_store is not None and text_store is not None
    assert len(image_store) == 6 and len(text_store) == 3  # 6 images, 3 distinct texts from training
    images, report = encoder.encode_images(phantom_paths, progress=False)
    assert images.shape == (8, 16) and report.n_failed == 0
    assert len(FeatureStore(lit["cache"], IMAGE_STORE_KIND, image_store.identity)) == 8  # only 2 were new
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, rtol=1e-5)


def test_stored_and_fresh_embeddings_are_identical_whatever_the_call(
    lit: dict, phantom_paths: list[Path], tmp_path: Path
) -> None:
    model = f"local-dir:{lit['folder']}"
    warm = ClipEncoder(model, device="cpu", feature_cache=lit["cache"])
    cold = ClipEncoder(model, device="cpu", feature_cache=tmp_path / "empty")
    full, _ = warm.encode_images(phantom_paths, num_workers=2, progress=False)
    fresh, _ = cold.encode_images(phantom_paths, num_workers=0, batch_size=1, progress=False)
    assert np.array_equal(full, fresh)
    subset, _ = ClipEncoder(model, device="cpu", feature_cache=tmp_path / "other").encode_images(
        phantom_paths[5:7], progress=False
    )
    assert np.array_equal(subset, full[5:7])

    texts = ["a new sentence about cardiomegaly", *TEXTS, ""]
    stored = warm.encode_texts(texts, num_workers=2, progress=False)
    computed = cold.encode_texts(texts, batch_size=2, progress=False)
    assert np.array_equal(stored, computed)
    assert np.array_equal(stored[1], stored[4])  # a repeated text
    alone = ClipEncoder(model, device="cpu", feature_cache=tmp_path / "third").encode_texts(
        texts[2:3], progress=False
    )
    assert np.array_equal(alone[0], stored[2])

    # Without a cache the same model runs whole, in batches: the same function up to rounding.
    plain = ClipEncoder(model, device="cpu")
    np.testing.assert_allclose(plain.encode_images(phantom_paths, progress=False)[0], full, atol=1e-5)
    np.testing.assert_allclose(plain.encode_texts(texts, progress=False), stored, atol=1e-5)
    assert "locked_features" not in plain.identity and warm.identity["locked_features"] == "per-item"


def test_unreadable_images_stay_nan_and_are_not_stored(
    lit: dict, corrupt_paths: dict, tmp_path: Path
) -> None:
    encoder = ClipEncoder(f"local-dir:{lit['folder']}", device="cpu", feature_cache=tmp_path / "cache")
    images, report = encoder.encode_images(corrupt_paths["paths"], num_workers=2, progress=False)
    bad = corrupt_paths["bad_indices"]
    assert report.failed_indices.tolist() == bad
    assert np.isnan(images[bad]).all() and np.isfinite(np.delete(images, bad, axis=0)).all()
    assert len(encoder._store(IMAGE_STORE_KIND)) == len(corrupt_paths["paths"]) - len(bad)
    again, report_again = encoder.encode_images(corrupt_paths["paths"], progress=False)
    assert report_again.failed_indices.tolist() == bad
    assert np.array_equal(np.isnan(again), np.isnan(images))


def test_a_model_without_locked_timm_and_hf_towers_runs_whole(
    tiny_model_name: str, phantom_paths: list[Path], tmp_path: Path
) -> None:
    import torch

    torch.manual_seed(0)
    cached = ClipEncoder(tiny_model_name, device="cpu", feature_cache=tmp_path / "cache")
    torch.manual_seed(0)
    plain = ClipEncoder(tiny_model_name, device="cpu")
    assert cached._store(IMAGE_STORE_KIND) is None and cached._store(TEXT_STORE_KIND) is None
    np.testing.assert_array_equal(
        cached.encode_images(phantom_paths, progress=False)[0],
        plain.encode_images(phantom_paths, progress=False)[0],
    )
    assert not (tmp_path / "cache").exists()


def test_the_node_caches_only_the_encoder_it_trained(tmp_path: Path) -> None:
    embedding = EmbeddingSettings()
    assert locked_feature_cache(embedding, tmp_path) == tmp_path / "locked"
    assert (
        locked_feature_cache(embedding, tmp_path, {"model": "local-dir:x", "locked_towers": True})
        == tmp_path / "locked"
    )
    assert locked_feature_cache(embedding, tmp_path, {"model": "hf-hub:microsoft/BiomedCLIP"}) is None
    off = EmbeddingSettings(cache_locked_features=False)
    assert locked_feature_cache(off, tmp_path) is None
