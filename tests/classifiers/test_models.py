"""The classifier architectures: shapes, the registry, weights loading and the frozen Lite0 head."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torchvision.models import resnet18

from medslice.classifiers import (
    ClassifierConfig,
    Lite0HeadClassifier,
    ResNet18Classifier,
    build_classifier,
)
from medslice.classifiers.lite0 import lite0_weights_file


def test_small_cnn_gives_two_logits_for_any_size() -> None:
    model = build_classifier("small_cnn", seed=0).eval()
    for size in (64, 128):
        assert model(torch.rand(2, 1, size, size)).shape == (2, 2)


def test_seeded_builds_are_identical() -> None:
    first = build_classifier("small_cnn", seed=5).state_dict()
    second = build_classifier("small_cnn", seed=5).state_dict()
    assert all(torch.equal(v, second[k]) for k, v in first.items())


def test_unknown_classifier_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="small_cnn"):
        build_classifier("vgg99")


def test_resnet_without_weights_warns_and_has_the_paper_head() -> None:
    with pytest.warns(UserWarning, match="randomly initialised"):
        model = ResNet18Classifier()
    linear = [m for m in model.backbone.fc if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(512, 512), (512, 128), (128, 2)]
    dropouts = [m.p for m in model.backbone.fc if isinstance(m, torch.nn.Dropout)]
    assert dropouts == [0.2, 0.2]
    assert model.eval()(torch.rand(2, 1, 32, 32)).shape == (2, 2)


def test_resnet_loads_a_local_checkpoint(tmp_path: Path) -> None:
    reference = resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ResNet18Classifier(weights_path=path)
    assert torch.equal(model.backbone.conv1.weight, reference.conv1.weight)
    assert torch.equal(model.backbone.layer4[1].bn2.running_var, reference.layer4[1].bn2.running_var)


def test_resnet_missing_checkpoint_says_what_to_provide(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="weights_path"):
        ResNet18Classifier(weights_path=tmp_path / "absent.pth")


def test_lite0_head_uses_the_packaged_imagenet_weights_frozen() -> None:
    model = Lite0HeadClassifier()
    source = torch.load(lite0_weights_file(), map_location="cpu", weights_only=True)
    assert torch.equal(model.backbone.conv_stem.weight, source["_conv_stem.weight"])
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    model.train()
    assert not model.backbone.training and model.head.training
    assert model(torch.rand(2, 1, 64, 64)).shape == (2, 2)


def test_classifier_config_fills_architecture_defaults() -> None:
    paper = ClassifierConfig.from_dict({"name": "resnet18", "weights_path": "/w.pth"})
    assert (paper.lr, paper.batch_size, paper.max_epochs, paper.patience) == (5e-5, 8, 10, 3)
    assert paper.image_size == 224 and paper.model_kwargs == {"weights_path": "/w.pth"}
    cpu = ClassifierConfig.from_dict({"name": "small_cnn", "max_epochs": 2, "width": 8})
    assert cpu.max_epochs == 2 and cpu.model_kwargs == {"width": 8} and cpu.image_size == 128
    assert ClassifierConfig.from_dict(cpu.to_dict()) == cpu
    with pytest.raises(ValueError, match="classifier.batch_size"):
        ClassifierConfig.from_dict({"batch_size": 0})


def test_classifier_config_early_stopping_is_a_training_switch() -> None:
    assert ClassifierConfig.from_dict(None).early_stopping is True
    fit_all = ClassifierConfig.from_dict({"early_stopping": False, "max_epochs": 20})
    assert fit_all.training_kwargs()["early_stopping"] is False and fit_all.model_kwargs == {}
    assert ClassifierConfig.from_dict(fit_all.to_dict()) == fit_all
    with pytest.raises(ValueError, match="classifier.early_stopping must be true or false"):
        ClassifierConfig.from_dict({"early_stopping": "no"})
