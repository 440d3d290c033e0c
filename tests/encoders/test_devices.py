"""Precision choice and RNG hygiene of the training context."""

from __future__ import annotations

import pytest
import torch

from medslice.encoders.devices import deterministic_torch, native_bf16_cpu, resolve_precision


def test_precision_choices() -> None:
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) is None
    assert resolve_precision("bf16", cpu) is torch.bfloat16
    expected = torch.bfloat16 if native_bf16_cpu() else None
    assert resolve_precision("auto", cpu) is expected
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8", cpu)


def test_deterministic_block_restores_global_rng_and_flags() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    before = torch.are_deterministic_algorithms_enabled()
    with deterministic_torch(7) as generator:
        assert torch.are_deterministic_algorithms_enabled()
        first = torch.rand(2, generator=generator)
        torch.rand(5)  # consumes the seeded global stream inside the block only
    assert torch.are_deterministic_algorithms_enabled() == before
    assert torch.equal(torch.rand(3), expected)
    with deterministic_torch(7) as generator:
        assert torch.equal(torch.rand(2, generator=generator), first)
