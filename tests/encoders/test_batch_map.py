"""Batch jobs in forked single-threaded workers give the in-process results, in order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medslice.encoders.batch_map import can_fork, map_batches


def _job(batch: int) -> tuple[int, np.ndarray]:
    generator = torch.Generator().manual_seed(batch)
    weights = torch.randn(16, 8, generator=generator)
    return batch, (torch.ones(4, 16) @ weights).numpy()


@pytest.mark.skipif(not can_fork(), reason="needs the fork start method")
def test_forked_workers_match_in_process_results() -> None:
    here = list(map_batches(_job, 5, 0, progress=False))
    forked = list(map_batches(_job, 5, 2, progress=False))
    assert [b for b, _ in forked] == [0, 1, 2, 3, 4]
    for (_, a), (_, b) in zip(here, forked, strict=True):
        assert isinstance(b, np.ndarray)
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_negative_workers_rejected() -> None:
    with pytest.raises(ValueError, match="n_workers"):
        list(map_batches(_job, 1, -1))
