"""Learning-rate schedule: linear warm-up, then cosine decay to zero."""

from __future__ import annotations

import math


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int) -> float:
    """Learning rate at optimisation ``step`` (0-based).

    Rises linearly from ``base_lr / warmup_steps`` to ``base_lr`` over ``warmup_steps``, then
    follows a half cosine down to 0 at ``total_steps``.
    """
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))
