"""Shared fixtures for the encoder tests: small JPEGs, a corrupt set and a tiny open_clip config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

TINY_MODEL_NAME = "medslice-test-tiny-vit"
TINY_MODEL_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


def write_phantoms(folder: Path, n: int, size: tuple[int, int] = (180, 150)) -> list[Path]:
    """``n`` grayscale JPEGs: noisy backgrounds, odd ones with a bright square (a "finding")."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        pixels = rng.normal(90, 25, size=size).clip(0, 255).astype(np.uint8)
        if i % 2:
            pixels[size[0] // 4 : size[0] // 2, size[1] // 4 : size[1] // 2] = 240
        path = folder / f"phantom_{i:02d}.jpg"
        Image.fromarray(pixels, mode="L").save(path, quality=92)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def phantom_paths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Eight small grayscale JPEGs."""
    return write_phantoms(tmp_path_factory.mktemp("phantoms"), 8)


@pytest.fixture(scope="session")
def corrupt_paths(tmp_path_factory: pytest.TempPathFactory, phantom_paths: list[Path]) -> dict:
    """A list mixing good JPEGs with a truncated JPEG, a text file named .jpg and a missing file."""
    folder = tmp_path_factory.mktemp("corrupt")
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(phantom_paths[0].read_bytes()[:600])
    text_file = folder / "not_an_image.jpg"
    text_file.write_text("this is a radiology report, not a JPEG\n")
    missing = folder / "missing.jpg"
    paths = [phantom_paths[1], truncated, phantom_paths[2], text_file, phantom_paths[3], missing]
    return {"paths": paths, "bad_indices": [1, 3, 5]}


@pytest.fixture(scope="session")
def tiny_model_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Register a tiny ViT CLIP config with open_clip (random weights build in milliseconds)."""
    import open_clip

    config_path = tmp_path_factory.mktemp("configs") / f"{TINY_MODEL_NAME}.json"
    config_path.write_text(json.dumps(TINY_MODEL_CFG))
    open_clip.add_model_config(config_path)
    return TINY_MODEL_NAME
