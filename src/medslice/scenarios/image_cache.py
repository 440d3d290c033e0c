"""Decode each image once per process, however many units and scenarios draw it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medslice.errors import BadTypeError, BadValueError, MissingDependencyError

# (paths, size) -> (uint8 (N, size, size), report); the report names failed positions through
# ``failed_indices`` (medslice.encoders.image_loading.LoadReport), or is a sequence of them, or
# None.
ImageLoader = Callable[[Sequence[Path], int], tuple[np.ndarray, Any]]


def default_image_loader() -> ImageLoader:
    """``medslice.encoders.image_loading.load_images``, imported only when needed."""
    try:
        from medslice.encoders.image_loading import load_images
    except ImportError as error:  # pragma: no cover - only when the encoders package is absent
        raise MissingDependencyError(
            "run_scenario needs medslice.encoders.image_loading.load_images, or pass image_loader="
        ) from error
    return load_images


def failed_positions(report: Any) -> list[int]:
    """Positions a loader reported as unreadable, whatever form its report takes."""
    if report is None:
        return []
    failed = getattr(report, "failed_indices", report)
    return sorted(int(i) for i in np.asarray(failed, dtype=np.int64).ravel())


class ImageCache:
    """A ``dicom_id -> uint8 (H, W)`` cache in front of an image loader.

    Parameters
    ----------
    loader : ImageLoader
        The image loader (see ``ImageLoader``).
    image_root : str or Path
        Folder the cohort's relative ``image_path`` values are resolved against.
    size : int
        Side in pixels asked of the loader.
    max_images : int or None, default=None
        Evict the oldest cached images beyond this count (None: keep all).

    Notes
    -----
    Unreadable images are remembered in ``unreadable`` (``dicom_id -> path``) and never asked for
    again.
    """

    def __init__(
        self,
        loader: ImageLoader,
        image_root: str | Path,
        size: int,
        *,
        max_images: int | None = None,
    ) -> None:
        self.loader = loader
        self.image_root = Path(image_root)
        self.size = size
        self.max_images = max_images
        self.unreadable: dict[str, str] = {}
        self.n_decoded = 0
        self._images: dict[str, np.ndarray] = {}

    def fetch(self, dicom_ids: Sequence[str], image_paths: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """Images for ``dicom_ids`` in order, decoding only those not cached yet.

        Returns the stacked ``uint8 (N, H, W)`` array and the ids that could not be read (empty when
        all loaded; the array is then only meaningful once the caller has dropped those rows and
        asked again).
        """
        ids = [str(i) for i in dicom_ids]
        wanted = {i: p for i, p in zip(ids, image_paths, strict=True) if i not in self._images}
        new_failures = [i for i in ids if i in self.unreadable]
        wanted = {i: p for i, p in wanted.items() if i not in self.unreadable}
        if wanted:
            paths = [self.image_root / p for p in wanted.values()]
            images, report = self.loader(paths, self.size)
            images = np.asarray(images)
            if images.shape[0] != len(paths):
                raise BadValueError(f"image_loader returned {images.shape[0]} images for {len(paths)} paths")
            # Casting floats in [0, 1] or 12-bit integers to uint8 would train the classifier on black or
            # saturated images without a word; the classifiers take uint8 grayscale only.
            if images.dtype != np.uint8:
                raise BadTypeError(
                    f"image_loader must return uint8 (N, {self.size}, {self.size}) arrays (0-255 grayscale), "
                    f"got dtype {images.dtype}; scale the pixels in the loader."
                )
            if images.shape[1:] != (self.size, self.size):
                raise BadValueError(
                    f"image_loader returned images of shape {images.shape[1:]}, asked for "
                    f"({self.size}, {self.size})."
                )
            failed = set(failed_positions(report))
            for position, (dicom_id, path) in enumerate(wanted.items()):
                if position in failed:
                    self.unreadable[dicom_id] = str(self.image_root / path)
                    new_failures.append(dicom_id)
                else:
                    self._images[dicom_id] = images[position]
            self.n_decoded += len(paths) - len(failed)
            self._evict(keep=set(ids))
        if new_failures:
            return np.zeros((0, self.size, self.size), dtype=np.uint8), sorted(set(new_failures))
        if not ids:
            return np.zeros((0, self.size, self.size), dtype=np.uint8), []
        return np.stack([self._images[i] for i in ids]), []

    def __len__(self) -> int:
        """Number of cached images."""
        return len(self._images)

    def _evict(self, keep: set[str]) -> None:
        if self.max_images is None:
            return
        for dicom_id in list(self._images):
            if len(self._images) <= self.max_images:
                break
            if dicom_id not in keep:
                del self._images[dicom_id]


_PROCESS_CACHES: dict[tuple[int, str, int, int | None], ImageCache] = {}
_MAX_PROCESS_CACHES = 4  # loaders, roots and sizes in use at once; older caches are dropped


def shared_image_cache(
    loader: ImageLoader, image_root: str | Path, size: int, max_images: int | None = None
) -> ImageCache:
    """This process's cache for ``(loader, image_root, size)``, shared by every unit that runs here.

    Decoding is deterministic, so a unit gets the same pixels and the same unreadable ids whether they come
    from this cache or from the disk: sharing it across units (and scenarios) saves decoding without
    making any unit's result depend on what ran before it.
    """
    key = (id(loader), str(Path(image_root).resolve()), int(size), max_images)
    cache = _PROCESS_CACHES.get(key)
    if cache is None or cache.loader is not loader:
        cache = ImageCache(loader, image_root, size, max_images=max_images)
    _PROCESS_CACHES.pop(key, None)
    _PROCESS_CACHES[key] = cache  # most recently used last
    while len(_PROCESS_CACHES) > _MAX_PROCESS_CACHES:
        del _PROCESS_CACHES[next(iter(_PROCESS_CACHES))]
    return cache
