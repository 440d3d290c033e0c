"""Exemplar montages have the promised pixel size and show the most typical members."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medslice.explain import montage_png_bytes, slice_montage, typical_members
from medslice.explain.exemplars import CAPTION_HEIGHT, as_uint8_image


def _loader(path: str) -> Image.Image:
    if path == "broken.jpg":
        raise OSError("truncated file")
    value = int(path.split(".", maxsplit=1)[0])
    return Image.fromarray(np.full((90, 60), value * 10, dtype=np.uint8))


def test_typical_members_rank_by_membership_with_stable_ties() -> None:
    np.testing.assert_array_equal(typical_members([0.2, 0.9, 0.5, 0.9], 3), [1, 3, 2])
    np.testing.assert_array_equal(typical_members([0.2, 0.9, 0.5, 0.9], 3, above=0.5), [1, 3])


def test_a_small_slice_shows_its_members_only_and_an_empty_one_is_refused() -> None:
    paths = [f"{i}.jpg" for i in range(6)]
    figure = slice_montage(
        _loader, paths, [0.9, 0.1, 0.8, 0.0, 0.2, 0.3], np.zeros(6, int), np.ones(6, int), n=8
    )
    assert len(figure.axes) == 2  # two members, not eight tiles padded with outsiders
    with pytest.raises(ValueError, match="no sample has membership above 0.5"):
        slice_montage(_loader, paths, np.full(6, 0.2), np.zeros(6, int), np.ones(6, int))


def test_montage_png_has_expected_size_and_content() -> None:
    paths = [f"{i}.jpg" for i in range(7)] + ["broken.jpg"]
    membership = np.array([0.1, 0.6, 0.95, 0.7, 0.9, 0.4, 0.55, 0.99])  # six members (> 0.5)
    targets, preds = np.zeros(8, int), np.ones(8, int)
    with pytest.warns(UserWarning, match="broken.jpg"):
        png = montage_png_bytes(_loader, paths, membership, targets, preds, n=6, size=48)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (4 * 48, 2 * (48 + CAPTION_HEIGHT))
    pixels = np.asarray(image)
    # Second tile: the most typical readable member, image 2 (gray 20), padded; sample its centre.
    assert abs(int(pixels[24, 48 + 24]) - 20) <= 2
    # First tile is the unreadable one: black.
    assert int(pixels[24, 24]) == 0


def test_single_row_and_title_change_the_height() -> None:
    paths = [f"{i}.jpg" for i in range(3)]
    figure = slice_montage(_loader, paths, [0.6, 0.7, 0.8], [1, 1, 0], [0, 0, 0], n=8, size=32, title="t")
    width, height = figure.get_size_inches() * figure.dpi
    assert (round(width), round(height)) == (3 * 32, 32 + 2 * CAPTION_HEIGHT)
    with pytest.raises(ValueError, match="membership must have shape"):
        slice_montage(_loader, paths, [0.1], [1, 1, 0], [0, 0, 0])


def test_paths_are_read_by_position_even_from_a_reindexed_series() -> None:
    asked: list[str] = []

    def recording_loader(path: str) -> Image.Image:
        asked.append(path)
        return _loader(path)

    frame = pd.DataFrame({"path": ["0.png", "1.png", "2.png", "3.png"], "m": [0.9, 0.1, 0.2, 0.3]}).iloc[::-1]
    slice_montage(recording_loader, frame["path"], frame["m"].to_numpy(), np.zeros(4, int), np.zeros(4, int))
    assert asked == ["0.png"]  # the only member, whatever the Series' index says


def test_pixels_of_other_dtypes_are_shown_not_blanked() -> None:
    ramp = np.linspace(0, 1, 64).reshape(8, 8)
    assert as_uint8_image(ramp).max() == 255 and as_uint8_image(ramp).min() == 0
    twelve_bit = (ramp * 4095).astype(np.uint16)
    assert as_uint8_image(twelve_bit).max() == 255  # stretched, not cast to near-black
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        as_uint8_image(ramp * 255.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        slice_montage(_loader, ["a"], [0.9], [1], [0], n=2.0)
