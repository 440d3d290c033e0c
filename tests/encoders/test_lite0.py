"""The packaged ImageNet EfficientNet-Lite0 weights map onto timm's efficientnet_lite0."""

from __future__ import annotations

import numpy as np
import pytest
import timm
import torch
from PIL import Image
from sklearn.datasets import load_sample_image

from medslice.encoders.lite0 import (
    create_lite0_imagenet,
    lite0_weights_path,
    map_lite0_state_dict,
)

DAISY = 985


def _center_crop_224(image: Image.Image) -> Image.Image:
    width, height = image.size
    scale = 224 / min(width, height)
    image = image.resize((round(width * scale), round(height * scale)), Image.BILINEAR)
    left, top = (image.size[0] - 224) // 2, (image.size[1] - 224) // 2
    return image.crop((left, top, left + 224, top + 224))


def test_flower_is_a_daisy() -> None:
    model = create_lite0_imagenet()
    image = _center_crop_224(Image.fromarray(load_sample_image("flower.jpg")))
    pixels = torch.from_numpy(np.array(image)).permute(2, 0, 1).float()
    inputs = (pixels / 127.5 - 1.0).unsqueeze(0)  # the weights expect [-1, 1]
    with torch.inference_mode():
        top5 = model(inputs).topk(5).indices[0].tolist()
    assert DAISY in top5


def test_mapping_covers_all_tensors_in_order() -> None:
    source = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    with_head = map_lite0_state_dict(source, timm.create_model("efficientnet_lite0"))
    headless = map_lite0_state_dict(source, timm.create_model("efficientnet_lite0", num_classes=0))
    assert len(with_head) == 247
    assert len(headless) == 245
    assert torch.equal(with_head["conv_stem.weight"], source["_conv_stem.weight"])
    assert torch.equal(with_head["classifier.bias"], source["_fc.bias"])


def test_mapping_onto_another_architecture_fails_clearly() -> None:
    source = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    with pytest.raises(ValueError, match="efficientnet_lite0|shape"):
        map_lite0_state_dict(source, timm.create_model("efficientnet_b0"))
