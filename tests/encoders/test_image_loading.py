"""DCT-scaled grayscale decoding, batching and corrupt-file skipping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from medslice.encoders.image_loading import (
    ImagePathDataset,
    decode_grayscale,
    iter_image_batches,
    load_images,
)


def _reference(path: Path, size: int) -> np.ndarray:
    """Full-resolution decode, shorter side -> size (antialiased bilinear), center crop."""
    with Image.open(path) as opened:
        image = opened.convert("L")
        width, height = image.size
        scale = size / min(width, height)
        image = image.resize((round(width * scale), round(height * scale)), Image.BILINEAR)
        left, top = (image.size[0] - size) // 2, (image.size[1] - size) // 2
        return np.asarray(image.crop((left, top, left + size, top + size)))


@pytest.fixture(scope="module")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1280x1040 smooth grayscale JPEG: large enough for 1/4 DCT scaling at 224 px."""
    rng = np.random.default_rng(1)
    coarse = Image.fromarray(rng.normal(0, 1, (10, 8)).astype(np.float32), mode="F")
    smooth = np.asarray(coarse.resize((1040, 1280), Image.BICUBIC)) * 25 + 128
    noise = rng.normal(0, 4, smooth.shape)
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    Image.fromarray(np.clip(smooth + noise, 0, 255).astype(np.uint8)).save(path, quality=95)
    return path


def test_decode_matches_full_resolution_resize(large_jpeg: Path) -> None:
    ours = decode_grayscale(large_jpeg, 224)
    reference = _reference(large_jpeg, 224)
    assert ours.shape == (224, 224) and ours.dtype == np.uint8
    mse = np.mean((ours.astype(float) - reference.astype(float)) ** 2)
    assert 10 * np.log10(255**2 / mse) >= 35.0


def test_decode_without_crop_keeps_aspect_ratio(large_jpeg: Path) -> None:
    image = decode_grayscale(large_jpeg, 100, crop=False)
    assert min(image.shape) == 100
    assert image.shape == (round(1280 * 100 / 1040), 100)


def test_decode_converts_rgb_and_png(tmp_path: Path) -> None:
    rgb = np.zeros((60, 80, 3), dtype=np.uint8)
    rgb[..., 0] = 200  # pure red: luminance 0.299 * 200 ~ 60
    Image.fromarray(rgb).save(tmp_path / "red.png")
    Image.fromarray(rgb).save(tmp_path / "red.jpg", quality=95)
    for name in ("red.png", "red.jpg"):
        image = decode_grayscale(tmp_path / name, 32)
        assert image.shape == (32, 32)
        assert abs(float(image.mean()) - 0.299 * 200) < 4


def test_decode_rejects_bad_size(large_jpeg: Path) -> None:
    with pytest.raises(ValueError, match="size"):
        decode_grayscale(large_jpeg, 0)


def test_dataset_items_flag_failures(corrupt_paths: dict) -> None:
    dataset = ImagePathDataset(corrupt_paths["paths"], 24)
    pixels, index, ok = dataset[0]
    assert pixels.shape == (1, 24, 24) and pixels.dtype == torch.uint8 and index == 0 and ok
    pixels, index, ok = dataset[1]
    assert not ok and index == 1 and int(pixels.sum()) == 0
    assert "truncated" in dataset.failure_reason(1).lower()


@pytest.mark.parametrize("num_workers", [0, 1])
def test_batches_skip_corrupt_files(corrupt_paths: dict, num_workers: int) -> None:
    paths = corrupt_paths["paths"]
    batches = iter_image_batches(paths, 24, batch_size=4, num_workers=num_workers, progress=False)
    seen = []
    for batch in batches:
        assert batch.pixels.shape[1:] == (1, 24, 24)
        assert batch.pixels.dtype == torch.uint8
        assert len(batch.indices) == batch.pixels.shape[0]
        for index, pixels in zip(batch.indices, batch.pixels, strict=True):
            np.testing.assert_array_equal(pixels[0].numpy(), decode_grayscale(paths[index], 24))
        seen.extend(batch.indices.tolist())
    report = batches.report
    assert seen == [i for i in range(len(paths)) if i not in corrupt_paths["bad_indices"]]
    assert report.failed_indices.tolist() == corrupt_paths["bad_indices"]
    assert report.n_loaded == 3 and report.n_failed == 3
    reasons = {f.index: f.reason for f in report.failures}
    assert "No such file" in reasons[5] or "FileNotFoundError" in reasons[5]
    assert "UnidentifiedImageError" in reasons[3]
    assert report.to_dict()["failures"][0]["path"] == str(paths[1])


def test_load_images_aligns_rows_with_paths(corrupt_paths: dict) -> None:
    paths = corrupt_paths["paths"]
    images, report = load_images(paths, 16)
    assert images.shape == (len(paths), 16, 16)
    assert report.loaded_mask.tolist() == [True, False, True, False, True, False]
    np.testing.assert_array_equal(images[2], decode_grayscale(paths[2], 16))
    assert not images[1].any()
