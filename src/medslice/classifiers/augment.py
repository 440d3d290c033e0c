"""Light, label-preserving augmentation for radiographs, driven by a seeded generator.

No flips: left and right carry anatomy (heart side, device positions) that some findings depend on.
Instead each image gets a small random shift and a small brightness/contrast change.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_batch(
    images: torch.Tensor,
    generator: torch.Generator,
    *,
    max_shift: float = 0.06,
    max_intensity: float = 0.1,
) -> torch.Tensor:
    """Randomly shift (edge-padded) and re-expose a ``float (B, 1, H, W)`` batch in [0, 1].

    Shifts reach ``max_shift`` of the side; contrast and brightness change by up to
    ``max_intensity``. Returns a new tensor clipped to [0, 1]; the same generator state gives the
    same result.
    """
    batch, _, height, width = images.shape
    pad = max(1, round(max_shift * max(height, width)))
    padded = F.pad(images, (pad, pad, pad, pad), mode="replicate")
    offsets = torch.randint(0, 2 * pad + 1, (batch, 2), generator=generator)
    shifted = torch.stack(
        [
            padded[i, :, top : top + height, left : left + width]
            for i, (top, left) in enumerate(offsets.tolist())
        ]
    )
    contrast = 1.0 + (torch.rand(batch, 1, 1, 1, generator=generator) * 2 - 1) * max_intensity
    brightness = (torch.rand(batch, 1, 1, 1, generator=generator) * 2 - 1) * max_intensity
    return ((shifted - 0.5) * contrast + 0.5 + brightness).clamp_(0.0, 1.0)
