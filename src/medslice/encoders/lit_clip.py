"""The offline in-domain CLIP: locked ImageNet EfficientNet-Lite0 + locked all-MiniLM-L6-v2 (LiT).

Zhai et al. (2022) showed that locking a pretrained image tower and training only what sits on top
("locked-image tuning") works well; here both towers are locked and only the two linear projections
and the temperature are trained, which is fast enough on a CPU.
"""

from __future__ import annotations

import math
from pathlib import Path

from torch import nn

from medslice.encoders.lite0 import (
    LITE0_MEAN,
    LITE0_STD,
    LITE0_TIMM_NAME,
    load_lite0_imagenet_weights,
)
from medslice.encoders.text_encoder import default_text_model_path

# all-MiniLM-L6-v2 was trained with 256-token inputs.
LIT_CONTEXT_LENGTH = 256


def lit_clip_model_cfg(
    embed_dim: int = 256, image_size: int = 160, text_model_path: str | Path | None = None
) -> dict:
    """The open_clip ``model_cfg`` of the in-domain CLIP.

    Image tower: timm ``efficientnet_lite0``, average pooling, linear projection. Text tower: the
    HF all-MiniLM-L6-v2 folder, mean pooling, linear projection.
    """
    text_path = str(text_model_path or default_text_model_path())
    return {
        "embed_dim": int(embed_dim),
        "vision_cfg": {
            "image_size": int(image_size),
            "timm_model_name": LITE0_TIMM_NAME,
            "timm_model_pretrained": False,
            "timm_pool": "avg",
            "timm_proj": "linear",
        },
        "text_cfg": {
            "hf_model_name": text_path,
            "hf_tokenizer_name": text_path,
            "hf_proj_type": "linear",
            "hf_pooler_type": "mean_pooler",
            "context_length": LIT_CONTEXT_LENGTH,
        },
    }


def lit_clip_preprocess_cfg(image_size: int = 160) -> dict:
    """Preprocessing of the in-domain CLIP: inputs scaled to [-1, 1], as Lite0 was trained."""
    return {
        "size": int(image_size),
        "mean": list(LITE0_MEAN),
        "std": list(LITE0_STD),
        "interpolation": "bilinear",
        "resize_mode": "shortest",
    }


def build_lit_clip(model_cfg: dict, preprocess_cfg: dict) -> nn.Module:
    """Instantiate the in-domain CLIP with pretrained towers (ImageNet Lite0, MiniLM weights).

    Projection weights come from torch's global RNG: seed it first for reproducibility.
    """
    from open_clip import CustomTextCLIP
    from open_clip.model import set_model_preprocess_cfg
    from transformers.utils import logging as hf_logging

    text_cfg = {**model_cfg["text_cfg"], "hf_model_pretrained": True}
    # open_clip builds the MiniLM tower without BERT's pooler (it pools the tokens itself), so
    # transformers prints a "LOAD REPORT" calling the checkpoint's pooler weights UNEXPECTED. That is the
    # intended architecture, not a fault; real load errors are still raised.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = CustomTextCLIP(
            embed_dim=model_cfg["embed_dim"], vision_cfg=model_cfg["vision_cfg"], text_cfg=text_cfg
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    load_lite0_imagenet_weights(model.visual.trunk)
    # open_clip's default temperature, 1/0.07.
    model.logit_scale.data.fill_(math.log(1 / 0.07))
    set_model_preprocess_cfg(model, preprocess_cfg)
    return model
