"""Exemplar montages: a slice's most typical members, captioned for a reviewer."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from PIL import Image, ImageOps
from tqdm.auto import tqdm

from medslice.errors import BadTypeError, BadValueError

ImageLoader = Callable[[str], "Image.Image | np.ndarray"]

# Figures are laid out in pixels: one inch is DPI pixels, so a tile of `size` px is size / DPI
# inches.
DPI = 100
CAPTION_HEIGHT = 28
MAX_COLUMNS = 4


MEMBERSHIP_THRESHOLD = 0.5  # a slice's members, as everywhere else in medslice


def check_count(value: object, name: str) -> int:
    """Return ``value`` as a positive int, or raise naming it (``2.0`` is not a tile count)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise BadTypeError(f"{name} must be an integer, got {value!r}.")
    if value < 1:
        raise BadValueError(f"{name} must be at least 1, got {value!r}.")
    return int(value)


def typical_members(membership: ArrayLike, n: int, *, above: float | None = None) -> np.ndarray:
    """Return the indices of the ``n`` highest-membership samples, ties broken by index.

    With ``above``, only samples whose membership exceeds it are candidates, so fewer than ``n`` may come
    back: a slice of five members shows five, not three outsiders besides.
    """
    scores = np.asarray(membership, dtype=np.float64)
    if scores.ndim != 1:
        raise BadValueError(f"membership must be 1-D (one slice), got shape {scores.shape}.")
    if n < 1:
        raise BadValueError(f"n must be at least 1, got {n!r}.")
    ranked = np.argsort(-scores, kind="mergesort")
    if above is not None:
        ranked = ranked[scores[ranked] > above]
    return ranked[:n]


def as_uint8_image(pixels: ArrayLike, name: str = "image") -> np.ndarray:
    """A 2-D grayscale array as ``uint8`` for display.

    ``uint8`` passes through; floats must lie in [0, 1] and are scaled by 255; booleans become 0/255;
    other integers (e.g. 12-bit radiographs in ``uint16``) are stretched from their minimum to their
    maximum, a display window, since casting them would show a white or black tile.
    """
    array = np.asarray(pixels)
    if array.ndim != 2 and not (array.ndim == 3 and array.shape[2] in (3, 4)):
        raise BadValueError(f"{name} must be a 2-D grayscale or an RGB(A) array, got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise BadValueError(f"{name}: float pixels must be finite and in [0, 1], as uint8 / 255.")
        return np.round(array * 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        span = max(high - low, 1)
        return np.round((array.astype(np.float64) - low) * (255 / span)).astype(np.uint8)
    raise BadTypeError(f"{name} has pixel dtype {array.dtype}; expected uint8, float in [0, 1] or integers.")


def _tile(image_loader: ImageLoader, path: str, size: int) -> tuple[np.ndarray, bool]:
    """Load one image as a ``size`` x ``size`` grayscale tile; a blank tile if it cannot be read."""
    try:
        loaded = image_loader(path)
    except (OSError, ValueError) as error:
        warnings.warn(f"Exemplar image {path!r} could not be loaded: {error}", stacklevel=3)
        return np.zeros((size, size), dtype=np.uint8), False
    image = loaded if isinstance(loaded, Image.Image) else Image.fromarray(as_uint8_image(loaded, path))
    # Pad rather than crop: a reviewer must see the whole radiograph, borders and devices included.
    tile = ImageOps.pad(image.convert("L"), (size, size), color=0)
    return np.asarray(tile), True


def slice_montage(
    image_loader: ImageLoader,
    paths: Sequence[str],
    membership: ArrayLike,
    targets: ArrayLike,
    preds: ArrayLike,
    *,
    n: int = 8,
    size: int = 128,
    title: str | None = None,
) -> Figure:
    """Return a montage of the ``n`` most typical members of one slice (highest membership first).

    Members are the samples with membership above 0.5; a slice with fewer than ``n`` shows them all, and
    one with none is refused.

    Each tile is captioned with the true label ``y``, the prediction ``ŷ`` and the membership
    probability ``p``. The figure measures exactly ``columns * size`` by
    ``rows * (size + CAPTION_HEIGHT)`` pixels at ``DPI`` (``columns = min(n, 4)``), plus
    ``CAPTION_HEIGHT`` rows for a title. Images that cannot be loaded become black tiles marked
    "unreadable", with a warning.
    """
    # Positional, whatever the container: a pandas Series would otherwise be read by its index labels.
    paths = [str(path) for path in paths]
    n = check_count(n, "n")
    size = check_count(size, "size")
    scores = np.asarray(membership, dtype=np.float64)
    n_samples = len(paths)
    if scores.shape != (n_samples,):
        raise BadValueError(f"membership must have shape ({n_samples},), got {scores.shape}.")
    target_array, pred_array = np.asarray(targets), np.asarray(preds)
    for name, array in (("targets", target_array), ("preds", pred_array)):
        if array.shape != (n_samples,):
            raise BadValueError(f"{name} must have shape ({n_samples},), got {array.shape}.")
    if n_samples == 0:
        raise BadValueError("paths is empty; there is nothing to show.")
    if size < 16:
        raise BadValueError(f"size must be at least 16 pixels, got {size!r}.")
    chosen = typical_members(scores, n, above=MEMBERSHIP_THRESHOLD)
    if len(chosen) == 0:
        raise BadValueError(
            f"no sample has membership above {MEMBERSHIP_THRESHOLD}; the slice has no members."
        )
    columns = min(len(chosen), MAX_COLUMNS)
    rows = math.ceil(len(chosen) / columns)
    cell_height = size + CAPTION_HEIGHT
    title_height = CAPTION_HEIGHT if title else 0
    width_px, height_px = columns * size, rows * cell_height + title_height
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    if title:
        figure.text(0.5, 1 - (title_height / 2) / height_px, title, ha="center", va="center", fontsize=9)
    for position, index in enumerate(tqdm(chosen, desc="exemplars", leave=False)):
        tile, readable = _tile(image_loader, paths[index], size)
        row, column = divmod(position, columns)
        # Axes are placed in figure fractions computed from pixels so that tiles are not resampled.
        bottom_px = height_px - title_height - row * cell_height - size
        axes = figure.add_axes(
            (column * size / width_px, bottom_px / height_px, size / width_px, size / height_px)
        )
        axes.imshow(tile, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        axes.set_axis_off()
        caption = f"y={target_array[index]} ŷ={pred_array[index]} p={scores[index]:.2f}"
        if not readable:
            caption = "unreadable\n" + caption
        figure.text(
            (column + 0.5) * size / width_px,
            (bottom_px - CAPTION_HEIGHT / 2) / height_px,
            caption,
            ha="center",
            va="center",
            fontsize=7,
        )
    return figure


def figure_png_bytes(figure: Figure) -> bytes:
    """Render a figure to PNG bytes at its own size and DPI (no tight crop: sizes stay exact)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)
    return buffer.getvalue()


def montage_png_bytes(
    image_loader: ImageLoader,
    paths: Sequence[str],
    membership: ArrayLike,
    targets: ArrayLike,
    preds: ArrayLike,
    *,
    n: int = 8,
    size: int = 128,
    title: str | None = None,
) -> bytes:
    """Return :func:`slice_montage` as PNG bytes, ready to base64-inline in an HTML report."""
    figure = slice_montage(image_loader, paths, membership, targets, preds, n=n, size=size, title=title)
    return figure_png_bytes(figure)
