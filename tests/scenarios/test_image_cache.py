"""ImageCache decodes each image once and refuses pixels it would have to guess at."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from medslice.scenarios.image_cache import ImageCache


def _uint8_loader(calls: list[int]):
    def load(paths: Sequence[Path], size: int) -> tuple[np.ndarray, None]:
        calls.append(len(paths))
        return np.stack([np.full((size, size), len(p.name), dtype=np.uint8) for p in paths]), None

    return load


def test_each_image_is_decoded_once_and_returned_in_the_order_asked() -> None:
    calls: list[int] = []
    cache = ImageCache(_uint8_loader(calls), "/images", 8)
    first, failed = cache.fetch(["a", "b"], ["x.jpg", "yy.jpg"])
    again, _ = cache.fetch(["b", "a", "c"], ["yy.jpg", "x.jpg", "zzz.jpg"])
    assert failed == [] and calls == [2, 1] and cache.n_decoded == 3
    assert [int(image[0, 0]) for image in again] == [6, 5, 7]
    np.testing.assert_array_equal(first[0], again[1])


def test_float_or_wrongly_sized_pixels_are_refused_not_cast() -> None:
    def floats(paths: Sequence[Path], size: int) -> tuple[np.ndarray, None]:
        return np.random.default_rng(0).random((len(paths), size, size)), None

    with pytest.raises(TypeError, match="uint8"):
        ImageCache(floats, "/images", 8).fetch(["a"], ["x.jpg"])

    def too_big(paths: Sequence[Path], size: int) -> tuple[np.ndarray, None]:
        return np.zeros((len(paths), size * 2, size * 2), dtype=np.uint8), None

    with pytest.raises(ValueError, match="asked for"):
        ImageCache(too_big, "/images", 8).fetch(["a"], ["x.jpg"])
