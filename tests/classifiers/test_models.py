"""The classifier architectures: shapes, the registry, weights loading and the frozen Lite0 head."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torchvision.models import resnet18, resnet50

from medslice.classifiers import (
    CLASSIFIERS,
    ClassifierConfig,
    ClassifierConfigError,
    Lite0HeadClassifier,
    ResNet18Classifier,
    build_classifier,
)
from medslice.classifiers.config import TRAINING_KEYS, model_keys
from medslice.classifiers.lite0 import lite0_weights_file
from medslice.classifiers.small_cnn import SmallCNN
from medslice.errors import BadValueError, DamagedFileError


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


def test_lite0_head_fine_tunes_the_whole_network_when_unfrozen() -> None:
    model = Lite0HeadClassifier(freeze_backbone=False)
    assert all(p.requires_grad for p in model.parameters())
    model.train()
    assert model.backbone.training
    images = torch.rand(2, 1, 64, 64)
    torch.nn.functional.cross_entropy(model(images), torch.tensor([0, 1])).backward()
    assert model.backbone.conv_stem.weight.grad is not None
    assert model.backbone.conv_stem.weight.grad.abs().sum() > 0
    frozen = Lite0HeadClassifier()
    frozen.train()
    frozen_loss = torch.nn.functional.cross_entropy(frozen(images), torch.tensor([0, 1]))
    frozen_loss.backward()
    assert frozen.backbone.conv_stem.weight.grad is None


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


def test_classifier_config_device_is_a_training_setting() -> None:
    assert ClassifierConfig.from_dict(None).device == "cpu"
    on_gpu = ClassifierConfig.from_dict({"name": "lite0_head", "device": "cuda:1", "freeze_backbone": False})
    assert on_gpu.training_kwargs()["device"] == "cuda:1"
    assert on_gpu.model_kwargs == {"freeze_backbone": False}
    assert ClassifierConfig.from_dict(on_gpu.to_dict()) == on_gpu
    assert ClassifierConfig.from_dict({"device": "auto"}).device == "auto"
    for bad in ("gpu", "cuda:x", 0, None):
        with pytest.raises(ClassifierConfigError, match=r"run.classifier.device must be 'cpu', 'cuda'"):
            ClassifierConfig.from_dict({"device": bad}, key="run.classifier")


# Every key each architecture accepts besides the training keys: image_size and its constructor's.
LEGITIMATE_MODEL_KEYS = {
    "small_cnn": {"width": 8, "n_blocks": 2, "dropout": 0.0, "n_classes": 2},
    "resnet18": {"weights_path": "/w.pth", "dropout": 0.1, "n_classes": 2},
    "lite0_head": {"dropout": 0.1, "n_classes": 2, "freeze_backbone": False},
}
TRAINING = {
    "lr": 1e-4,
    "batch_size": 4,
    "max_epochs": 2,
    "patience": 1,
    "augment": True,
    "early_stopping": False,
    "device": "auto",
}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_config_accepts_every_legitimate_key(name: str) -> None:
    assert set(LEGITIMATE_MODEL_KEYS[name]) == set(model_keys(name))
    mapping = {"name": name, "image_size": 96, **TRAINING, **LEGITIMATE_MODEL_KEYS[name]}
    config = ClassifierConfig.from_dict(mapping)
    assert config.model_kwargs == LEGITIMATE_MODEL_KEYS[name] and config.image_size == 96
    assert config.training_kwargs() == TRAINING
    assert ClassifierConfig.from_dict(config.to_dict()) == config


def test_small_cnn_model_keys_reach_the_constructor() -> None:
    config = ClassifierConfig.from_dict({"name": "small_cnn", **LEGITIMATE_MODEL_KEYS["small_cnn"]})
    model = build_classifier(config.name, seed=0, **config.model_kwargs)
    assert model.classifier.in_features == 8 * 2  # width 8, doubled once by the second block


@pytest.mark.parametrize(
    ("mapping", "typo", "suggestion"),
    [
        ({"name": "small_cnn", "max_epoch": 5}, "max_epoch", "max_epochs"),
        ({"name": "resnet18", "weight_path": "/w.pth"}, "weight_path", "weights_path"),
        ({"name": "lite0_head", "width": 8}, "width", None),  # a small_cnn key is not lite0_head's
    ],
)
def test_classifier_config_names_an_unknown_key_and_the_known_ones(
    mapping: dict, typo: str, suggestion: str | None
) -> None:
    with pytest.raises(ClassifierConfigError) as raised:
        ClassifierConfig.from_dict(mapping)
    message = str(raised.value)
    assert f"classifier has unknown key(s) [{typo!r}] for classifier {mapping['name']!r}" in message
    assert all(key in message for key in ("image_size", *TRAINING_KEYS, *model_keys(mapping["name"])))
    assert (f"did you mean {suggestion!r}?" in message) == (suggestion is not None)


@pytest.mark.parametrize("lr", ["fast", True, 0, -1e-3, float("nan")])
def test_classifier_config_names_a_learning_rate_that_is_not_a_positive_number(lr: object) -> None:
    with pytest.raises(ClassifierConfigError, match=f"^classifier.lr must be a positive number, got {lr!r}$"):
        ClassifierConfig.from_dict({"lr": lr})


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"width": "abc"}, "classifier.width must be a int like its default 16, got 'abc'"),
        ({"dropout": "high"}, "classifier.dropout must be a float"),
        ({"n_classes": 3}, "classifier.n_classes must be 2"),
    ],
)
def test_classifier_config_refuses_model_arguments_of_the_wrong_type(mapping: dict, message: str) -> None:
    with pytest.raises(ClassifierConfigError, match=message):
        ClassifierConfig.from_dict(mapping)
    assert ClassifierConfig.from_dict({"width": 8, "dropout": 0}).model_kwargs == {"width": 8, "dropout": 0}


def test_classifier_config_reads_a_learning_rate_yaml_left_as_a_string() -> None:
    # PyYAML reads `lr: 1e-4` (no decimal point) as the string '1e-4'.
    assert ClassifierConfig.from_dict({"lr": "1e-4"}).lr == pytest.approx(1e-4)


def test_classifier_config_names_its_place_in_the_parameters() -> None:
    with pytest.raises(ClassifierConfigError, match=r"^failure_injection\.run\.classifier\.batch_size must"):
        ClassifierConfig.from_dict({"batch_size": "8"}, key="failure_injection.run.classifier")
    with pytest.raises(ClassifierConfigError, match="classifier must be a mapping.*got 'resnet18'"):
        ClassifierConfig.from_dict("resnet18")


@pytest.mark.parametrize("other", ["resnet50", "small_cnn"])
def test_resnet_refuses_a_checkpoint_of_another_network(tmp_path: Path, other: str) -> None:
    state = resnet50(weights=None).state_dict() if other == "resnet50" else SmallCNN().state_dict()
    path = tmp_path / f"{other}.pth"
    torch.save(state, path)
    with pytest.raises(BadValueError, match="is not a torchvision ResNet-18 checkpoint"):
        ResNet18Classifier(weights_path=path)


def test_resnet_names_a_damaged_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "resnet18.pth"
    path.write_bytes(b"\x80\x04 not a checkpoint" * 10)
    with pytest.raises(DamagedFileError, match="cannot be read as a checkpoint") as raised:
        ResNet18Classifier(weights_path=path)
    assert raised.value.path == str(path)
