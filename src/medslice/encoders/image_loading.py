"""Fast, fault-tolerant grayscale image loading for chest X-rays.

MIMIC-CXR-JPG images are ~3056x2544 JPEGs; every model here wants 128-224 px. Decoding at full
size and then shrinking wastes most of the time, so libjpeg is asked to scale in the DCT domain
(PIL ``draft``) straight to the smallest power-of-two reduction that still covers the target, and
only a small resize is left. Unreadable files are recorded on a :class:`LoadReport` instead of
crashing a 377k-image run.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from medslice.errors import BadValueError

logger = logging.getLogger(__name__)

# Decoders raise a zoo of exception types on bad input (OSError, SyntaxError, ValueError,
# DecompressionBombError, struct.error, ...). A loader must survive all of them and report them.
_DECODE_ERRORS = (Exception,)


def _validate_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise BadValueError(f"`size` must be a positive integer number of pixels, got {size!r}")
    return int(size)


def decode_grayscale(path: str | Path, size: int, *, crop: bool = True) -> np.ndarray:
    """Decode an image as 8-bit grayscale, shorter side resized to ``size``, optionally cropped.

    JPEGs are decoded with DCT scaling (``Image.draft``): the decoder itself shrinks the image by
    1/2, 1/4 or 1/8 while staying at least ``size`` on both sides; a bilinear (antialiased) resize
    then brings the shorter side to exactly ``size``. Other formats are decoded at full size.

    Parameters
    ----------
    path : str or Path
        Image file (any format Pillow reads; JPEG is the fast path).
    size : int
        Target length of the shorter side, in pixels.
    crop : bool, default=True
        Center-crop to ``(size, size)``; otherwise keep the aspect ratio.

    Returns
    -------
    np.ndarray
        ``uint8`` array of shape ``(size, size)``, or ``(H, W)`` with ``min(H, W) == size`` when
        ``crop`` is False.

    Raises
    ------
    OSError, SyntaxError, ValueError, ...
        Whatever Pillow raises for a missing or corrupt file.
    """
    size = _validate_size(size)
    with Image.open(path) as opened:
        # draft() only lowers the decode resolution; it never goes below the requested box.
        opened.draft("L", (size, size))
        image = opened.convert("L") if opened.mode != "L" else opened
        image.load()
        width, height = image.size
        scale = size / min(width, height)
        new_width = max(size, round(width * scale))
        new_height = max(size, round(height * scale))
        if not crop:
            if (new_width, new_height) != (width, height):
                image = image.resize((new_width, new_height), Image.Resampling.BILINEAR)
            return np.array(image, dtype=np.uint8)
        # Resize only the pre-image of the center crop: same pixels as resize-then-crop, less work.
        left = (new_width - size) // 2
        top = (new_height - size) // 2
        x_ratio, y_ratio = width / new_width, height / new_height
        box = (left * x_ratio, top * y_ratio, (left + size) * x_ratio, (top + size) * y_ratio)
        # After DCT scaling the remaining reduction is < 2x, where BILINEAR (antialiased in Pillow)
        # is the fastest filter that still matches a full-resolution resize at > 35 dB.
        image = image.resize((size, size), Image.Resampling.BILINEAR, box=box)
        return np.array(image, dtype=np.uint8)


@dataclass(frozen=True)
class LoadFailure:
    """One image that could not be decoded."""

    index: int
    path: str
    reason: str


@dataclass
class LoadReport:
    """What happened while loading a list of images: how many were asked for, which failed."""

    n_requested: int = 0
    failures: list[LoadFailure] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        """Number of images that could not be decoded."""
        return len(self.failures)

    @property
    def n_loaded(self) -> int:
        """Number of images decoded successfully."""
        return self.n_requested - self.n_failed

    @property
    def failed_indices(self) -> np.ndarray:
        """Positions (in the input path list) of the images that failed, sorted."""
        return np.array(sorted(f.index for f in self.failures), dtype=np.int64)

    @property
    def loaded_mask(self) -> np.ndarray:
        """Boolean mask over the input paths: True where the image was decoded."""
        mask = np.ones(self.n_requested, dtype=bool)
        mask[self.failed_indices] = False
        return mask

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (for QA reports)."""
        return {
            "n_requested": self.n_requested,
            "n_loaded": self.n_loaded,
            "n_failed": self.n_failed,
            "failures": [
                {"index": f.index, "path": f.path, "reason": f.reason}
                for f in sorted(self.failures, key=lambda f: f.index)
            ],
        }


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class ImagePathDataset(Dataset):
    """Grayscale images center-cropped to ``size``; never raises on bad files.

    Item ``i`` is ``(pixels, i, ok)``: ``pixels`` a ``uint8`` tensor of shape ``(1, size, size)``
    (zeros when the file could not be decoded), ``ok`` a bool. :meth:`failure_reason` says why an
    item failed; it re-decodes the file, which is cheap because failures are rare.
    """

    def __init__(self, paths: Sequence[str | Path], size: int) -> None:
        self.paths = [str(p) for p in paths]
        self.size = _validate_size(size)

    def __len__(self) -> int:
        """Number of paths."""
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, bool]:
        """Decode path ``index``; a failure yields a zero image and ``ok=False``."""
        try:
            pixels = decode_grayscale(self.paths[index], self.size, crop=True)
        except _DECODE_ERRORS:
            return torch.zeros((1, self.size, self.size), dtype=torch.uint8), index, False
        return torch.from_numpy(pixels).unsqueeze(0), index, True

    def failure_reason(self, index: int) -> str:
        """Why path ``index`` cannot be decoded (``"ok"`` if it now can)."""
        try:
            decode_grayscale(self.paths[index], self.size, crop=True)
        except _DECODE_ERRORS as error:
            return _describe_error(error)
        return "ok"


@dataclass(frozen=True)
class ImageBatch:
    """A batch of decoded images and their positions in the input path list."""

    indices: np.ndarray
    pixels: torch.Tensor


class ImageBatchIterator:
    """Streams :class:`ImageBatch` es through a ``DataLoader``; bad files go to :attr:`report`.

    Memory stays bounded by ``batch_size * (1 + 2 * num_workers)`` images (the DataLoader
    prefetch), so it runs over any number of paths.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        size: int,
        batch_size: int = 64,
        num_workers: int = 0,
        *,
        progress: bool = True,
        pin_memory: bool = False,
    ) -> None:
        if batch_size < 1:
            raise BadValueError(f"`batch_size` must be >= 1, got {batch_size!r}")
        if num_workers < 0:
            raise BadValueError(f"`num_workers` must be >= 0, got {num_workers!r}")
        self.dataset = ImagePathDataset(paths, size)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.progress = progress
        self.pin_memory = pin_memory
        self.report = LoadReport(n_requested=len(self.dataset))

    def __len__(self) -> int:
        """Upper bound on the number of batches (failed images make some batches smaller)."""
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[ImageBatch]:
        """Yield batches in input order; failures are appended to :attr:`report` as they are met."""
        self.report = LoadReport(n_requested=len(self.dataset))
        if len(self.dataset) == 0:
            return
        loader = DataLoader(
            self.dataset,
            batch_size=self.batch_size,
            shuffle=False,
            # A daemonic process (a Dask worker) may not have children: it decodes itself.
            num_workers=0 if multiprocessing.current_process().daemon else self.num_workers,
            pin_memory=self.pin_memory,
        )
        with tqdm(total=len(self.dataset), desc="images", unit="img", disable=not self.progress) as bar:
            for pixels, indices, ok in loader:
                ok_mask = ok.numpy().astype(bool)
                indices_np = indices.numpy().astype(np.int64)
                for index in indices_np[~ok_mask]:
                    self._record_failure(int(index))
                bar.update(len(indices_np))
                if ok_mask.any():
                    keep = torch.from_numpy(ok_mask)
                    yield ImageBatch(indices=indices_np[ok_mask], pixels=pixels[keep])

    def _record_failure(self, index: int) -> None:
        path = self.dataset.paths[index]
        reason = self.dataset.failure_reason(index)
        logger.warning("Skipping unreadable image %s (%s)", path, reason)
        self.report.failures.append(LoadFailure(index=index, path=path, reason=reason))


def iter_image_batches(
    paths: Sequence[str | Path],
    size: int,
    batch_size: int = 64,
    num_workers: int = 0,
    *,
    progress: bool = True,
    pin_memory: bool = False,
) -> ImageBatchIterator:
    """Stream grayscale images center-cropped to ``size`` in batches, skipping unreadable files.

    Parameters
    ----------
    paths : Sequence[str | Path]
        Image files, in the order their indices refer to.
    size : int
        Side of the square output images.
    batch_size : int, default=64
        Images per batch (before removing failures).
    num_workers : int, default=0
        DataLoader worker processes decoding in parallel (0 = in this process).
    progress : bool, default=True
        Show a tqdm bar.
    pin_memory : bool, default=False
        Pin batches for faster host-to-GPU copies.

    Returns
    -------
    ImageBatchIterator
        An iterable of :class:`ImageBatch` (``indices`` into ``paths``, ``pixels`` ``uint8
        (B, 1, size, size)``) whose ``report`` attribute (a :class:`LoadReport`) lists the skipped
        files and why.
    """
    return ImageBatchIterator(paths, size, batch_size, num_workers, progress=progress, pin_memory=pin_memory)


def load_images(
    paths: Sequence[str | Path], size: int, num_workers: int = 0, *, progress: bool = False
) -> tuple[np.ndarray, LoadReport]:
    """Load a small set of images into one array (holds every pixel in memory: small sets only).

    Returns
    -------
    tuple[np.ndarray, LoadReport]
        ``uint8 (N, size, size)`` with one row per input path (zeros for failed files), and the
        :class:`LoadReport` naming those failures.
    """
    size = _validate_size(size)
    images = np.zeros((len(paths), size, size), dtype=np.uint8)
    batches = iter_image_batches(paths, size, num_workers=num_workers, progress=progress)
    for batch in batches:
        images[batch.indices] = batch.pixels[:, 0].numpy()
    return images, batches.report
