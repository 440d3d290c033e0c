"""Device choice and mixed precision for inference."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from medslice.errors import BadValueError


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given, else CUDA, then Apple MPS, then CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@contextlib.contextmanager
def inference_context(device: torch.device) -> Iterator[None]:
    """``torch.inference_mode`` everywhere, plus fp16/bf16 autocast on CUDA (fp32 elsewhere)."""
    dtype = inference_autocast_dtype(device)
    with torch.inference_mode():
        if dtype is not None:
            with torch.autocast(device.type, dtype=dtype):
                yield
        else:
            yield


def inference_autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The autocast dtype :func:`inference_context` uses on ``device``: bf16/fp16 on CUDA, else None."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@contextlib.contextmanager
def deterministic_torch(seed: int) -> Iterator[torch.Generator]:
    """Seed torch and force deterministic kernels for the block; restore both afterwards.

    The caller's global RNG state is left as it was (``fork_rng``), so training inside the block
    does not perturb randomness elsewhere in the process.

    Yields
    ------
    torch.Generator
        A CPU ``torch.Generator`` seeded with ``seed`` for shuffling and sampling.
    """
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    if devices:
        # cuBLAS is only deterministic with a fixed workspace; it must be set before its first use.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        # warn_only: an op without a deterministic kernel should warn, not abort a long run.
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield torch.Generator().manual_seed(seed)
        finally:
            torch.use_deterministic_algorithms(previous, warn_only=previous_warn_only)


@contextlib.contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run the block with ``n_threads`` intra-op threads, then restore the previous count.

    Tiny matrix products (LiT projection training) gain nothing from threads, and on a busy machine
    OpenMP threads waiting for each other make them 10-20x slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def native_bf16_cpu() -> bool:
    """True when this CPU multiplies bfloat16 in hardware (Intel AMX), where bf16 is ~2x faster."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(probe()) if callable(probe) else False


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` ("auto", "fp32" or "bf16"); None means plain fp32.

    "auto" picks bf16 on CUDA and on CPUs with native bf16 (AMX), fp32 elsewhere.
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise BadValueError(f"`precision` must be 'auto', 'fp32' or 'bf16', got {precision!r}")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    native = device.type == "cuda" or (device.type == "cpu" and native_bf16_cpu())
    return torch.bfloat16 if native else None


def autocast_to(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to ``dtype`` on ``device``, or a no-op for None (fp32)."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
