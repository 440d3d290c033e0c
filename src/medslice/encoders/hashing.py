"""Content hashes of model weights, for provenance (the encoder ``identity``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

_CHUNK_BYTES = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_state_dict(model: nn.Module) -> str:
    """Hex sha256 over a model's state dict: names, dtypes, shapes and values, in order."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        cpu = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}|{cpu.dtype}|{tuple(cpu.shape)}".encode())
        # bfloat16 has no numpy dtype: hash the raw bytes through a same-width integer view.
        digest.update(cpu.view(-1).view(torch.uint8).numpy().tobytes() if cpu.numel() else b"")
    return digest.hexdigest()
