"""Warm-up + cosine learning-rate schedule."""

from __future__ import annotations

import pytest

from medslice.encoders.schedule import warmup_cosine_lr


def test_warmup_rises_then_cosine_decays_to_zero() -> None:
    rates = [warmup_cosine_lr(step, 1.0, warmup_steps=4, total_steps=20) for step in range(20)]
    assert rates[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert all(a >= b for a, b in zip(rates[3:], rates[4:], strict=False))
    assert warmup_cosine_lr(20, 1.0, 4, 20) == pytest.approx(0.0, abs=1e-12)
    assert warmup_cosine_lr(12, 1.0, 4, 20) == pytest.approx(0.5)
