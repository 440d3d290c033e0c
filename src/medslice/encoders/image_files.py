"""A picklable "embed these image files" function, so that embedding shards can run on Dask workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medslice.encoders.clip_encoder import ClipEncoder
from medslice.runner.executor import fixed_torch_threads

_LOADED: dict[tuple[str, str | None, str | None], ClipEncoder] = {}


@dataclass(frozen=True)
class ImageFileEncoder:
    """``encoder(paths) -> (N, D)`` image embeddings, NaN rows for files that do not decode.

    Holds only what names the model, so it pickles small; each process loads the model once, on its first
    call, and keeps it for the shards that follow.

    Attributes
    ----------
    model : str
        The open_clip model name (``local-dir:...``, ``hf-hub:...``).
    pretrained : str or None
        Its weights, when not part of ``model``.
    feature_cache : str or None
        The locked towers' feature store (see :class:`ClipEncoder`), or None.
    num_workers : int
        Decoding processes per call.
    torch_threads : int
        Torch threads per call, wherever it runs: the same count gives the same bytes in
        process and on any Dask worker.
    """

    model: str
    pretrained: str | None = None
    feature_cache: str | None = None
    num_workers: int = 0
    torch_threads: int = 1

    def encoder(self) -> ClipEncoder:
        """This process's encoder for the model (loaded on first use)."""
        key = (self.model, self.pretrained, self.feature_cache)
        if key not in _LOADED:
            _LOADED.clear()  # one model at a time: a worker embedding for a new encoder drops the old one
            _LOADED[key] = ClipEncoder(
                self.model, pretrained=self.pretrained, feature_cache=self.feature_cache
            )
        return _LOADED[key]

    @property
    def identity(self) -> dict:
        """The encoder's identity, as stored with its embeddings."""
        return self.encoder().identity

    def __call__(self, paths: Sequence[str | Path]) -> np.ndarray:
        """Embed ``paths``; rows of undecodable images are NaN."""
        with fixed_torch_threads(self.torch_threads):
            vectors, _ = self.encoder().encode_images(list(paths), num_workers=self.num_workers)
        return vectors
