"""train_classifier / predict_proba on tiny images where the class is visible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medslice.classifiers import build_classifier, predict_proba, train_classifier, training
from medslice.classifiers.augment import augment_batch
from medslice.classifiers.small_cnn import SmallCNN
from medslice.classifiers.training import _refresh_subset, refresh_batch_norm_statistics

TINY = {"width": 4, "n_blocks": 3}
FAST = {"lr": 1e-2, "batch_size": 16, "max_epochs": 6, "patience": 3}


def _train(data: dict, seed: int, **overrides: object) -> tuple[torch.nn.Module, dict]:
    model = build_classifier("small_cnn", seed=seed, **TINY)
    settings = {**FAST, **overrides}
    return train_classifier(
        model,
        data["train_x"],
        data["train_y"],
        data["val_x"],
        data["val_y"],
        seed=seed,
        show_progress=False,
        **settings,
    )


def test_small_cnn_learns_a_visible_class_and_beats_chance(square_data: dict) -> None:
    model, history = _train(square_data, seed=0)
    probs = predict_proba(model, square_data["test_x"])
    assert probs.shape == (64,) and ((probs >= 0) & (probs <= 1)).all()
    accuracy = ((probs >= 0.5) == square_data["test_y"]).mean()
    assert accuracy >= 0.8
    assert history["epochs"][history["best_epoch"]]["val_loss"] == history["best_val_loss"]


def test_training_is_deterministic_given_the_seed(square_data: dict) -> None:
    first, _ = _train(square_data, seed=3, max_epochs=2, augment=True)
    second, _ = _train(square_data, seed=3, max_epochs=2, augment=True)
    other, _ = _train(square_data, seed=4, max_epochs=2, augment=True)
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key
    assert any(not torch.equal(v, other.state_dict()[k]) for k, v in first.state_dict().items())


def test_best_weights_are_restored(square_data: dict) -> None:
    model, history = _train(square_data, seed=1, max_epochs=4, patience=1)
    probs = predict_proba(model, square_data["val_x"])
    targets = square_data["val_y"]
    loss = -np.mean(np.log(np.where(targets == 1, probs, 1 - probs)))
    assert loss == pytest.approx(history["best_val_loss"], rel=1e-4)
    assert len(history["epochs"]) <= 4


def test_without_early_stopping_all_epochs_run_and_the_last_weights_are_kept(square_data: dict) -> None:
    model, history = _train(square_data, seed=1, max_epochs=4, patience=1, early_stopping=False)
    assert len(history["epochs"]) == 4 and not history["stopped_early"]
    assert history["kept_epoch"] == 3
    probs = predict_proba(model, square_data["val_x"])
    targets = square_data["val_y"]
    loss = -np.mean(np.log(np.where(targets == 1, probs, 1 - probs)))
    assert loss == pytest.approx(history["epochs"][-1]["val_loss"], rel=1e-4)


def test_batch_norm_statistics_are_re_estimated_over_the_whole_training_set() -> None:
    model = build_classifier("small_cnn", seed=0, **TINY)
    pixels = torch.from_numpy(np.random.default_rng(0).integers(0, 256, size=(8, 32, 32), dtype=np.uint8))
    first_norm = model.features[0][1]
    first_norm.running_mean.fill_(5.0)  # stale statistics, far from what the images give
    momentum = first_norm.momentum

    refresh_batch_norm_statistics(model, pixels, batch_size=4)

    with torch.no_grad():
        inputs = (pixels.float() / 255.0).unsqueeze(1)
        conv_out = model.features[0][0]((inputs - 0.5) / 0.25)
    torch.testing.assert_close(first_norm.running_mean, conv_out.mean(dim=(0, 2, 3)), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(
        first_norm.running_var, conv_out.var(dim=(0, 2, 3), unbiased=True), atol=1e-4, rtol=2e-2
    )
    assert first_norm.momentum == momentum and model.training


def test_the_refresh_subset_is_fixed_by_the_seed_and_drawn_from_the_set(monkeypatch) -> None:
    pixels = torch.arange(40, dtype=torch.uint8).view(40, 1, 1).expand(40, 2, 2).contiguous()
    assert _refresh_subset(pixels, seed=0) is pixels  # at most REFRESH_IMAGES: the whole set
    monkeypatch.setattr(training, "REFRESH_IMAGES", 16)
    chosen = _refresh_subset(pixels, seed=0)[:, 0, 0]
    assert len(chosen) == 16 and len(torch.unique(chosen)) == 16
    assert torch.equal(chosen, chosen.sort().values)
    assert torch.equal(chosen, _refresh_subset(pixels, seed=0)[:, 0, 0])
    assert not torch.equal(chosen, _refresh_subset(pixels, seed=1)[:, 0, 0])


def test_batch_norm_statistics_come_from_the_refresh_subset_and_leave_the_weights_alone(
    square_data: dict, monkeypatch
) -> None:
    full, _ = _train(square_data, seed=2, max_epochs=2, early_stopping=False)
    monkeypatch.setattr(training, "REFRESH_IMAGES", 40)
    subset, history = _train(square_data, seed=2, max_epochs=2, early_stopping=False)
    # The refresh touches only batch-norm buffers, and runs on a fork of the random state (dropout),
    # so the weights train exactly as with a refresh over the whole set ...
    for name, value in full.named_parameters():
        assert torch.equal(value, dict(subset.named_parameters())[name]), name
    norm = subset.features[0][1]
    assert not torch.equal(norm.running_mean, full.features[0][1].running_mean)
    # ... and the kept statistics are those of the seeded subset, which the recorded loss was measured with.
    kept = norm.running_mean.clone()
    refresh_batch_norm_statistics(subset, _refresh_subset(torch.from_numpy(square_data["train_x"]), 2), 16)
    assert torch.equal(norm.running_mean, kept)
    probs = predict_proba(subset, square_data["val_x"])
    targets = square_data["val_y"]
    loss = -np.mean(np.log(np.where(targets == 1, probs, 1 - probs)))
    assert loss == pytest.approx(history["epochs"][-1]["val_loss"], rel=1e-4)


def test_small_cnn_pools_before_its_relu_with_the_same_function_and_gradients() -> None:
    model = build_classifier("small_cnn", seed=0, **TINY).train()
    reference = build_classifier("small_cnn", seed=0, **TINY).train()
    for block in reference.features:  # the textbook order: conv - bn - ReLU - pool
        block[2], block[3] = block[3], block[2]
    assert isinstance(model.features[0][2], torch.nn.MaxPool2d)
    assert isinstance(reference.features[0][2], torch.nn.ReLU)
    images, targets = torch.rand(6, 1, 32, 32), torch.tensor([0, 1, 0, 1, 1, 0])
    for net in (model, reference):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            torch.nn.functional.cross_entropy(net(images), targets).backward()
    for (name, value), other in zip(model.named_parameters(), reference.parameters(), strict=True):
        assert torch.equal(value.grad, other.grad), name
    assert isinstance(model, SmallCNN)
    assert model.features[0][0].weight.is_contiguous(memory_format=torch.channels_last)


class _FrozenStem(torch.nn.Module):
    """A frozen, eval-mode batch norm in front of a trainable one, like ``lite0_head``'s backbone."""

    def __init__(self) -> None:
        super().__init__()
        self.frozen = torch.nn.BatchNorm2d(1)
        self.frozen.running_mean.fill_(0.3)
        self.frozen.requires_grad_(False)
        self.trainable = torch.nn.BatchNorm2d(1)

    def train(self, mode: bool = True) -> _FrozenStem:
        super().train(mode)
        self.frozen.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.trainable(self.frozen(images))


def test_a_frozen_batch_norm_keeps_its_statistics() -> None:
    model = _FrozenStem()
    pixels = torch.full((6, 8, 8), 200, dtype=torch.uint8)
    refresh_batch_norm_statistics(model, pixels, batch_size=3)
    assert model.frozen.running_mean.item() == pytest.approx(0.3)
    assert model.frozen.num_batches_tracked.item() == 0
    expected = (200 / 255 - 0.3) / np.sqrt(1.0 + model.frozen.eps)
    assert model.trainable.running_mean.item() == pytest.approx(expected, rel=1e-5)
    assert model.trainable.num_batches_tracked.item() == 2


def test_training_leaves_the_global_rng_alone(square_data: dict) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _train(square_data, seed=0, max_epochs=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("argument", "kwargs", "message"),
    [
        ("train_images", {"train_images": np.zeros((4, 8, 8), dtype=np.float32)}, "uint8"),
        ("train_targets", {"train_targets": np.array([0, 1, 2, 1])}, "only 0 and 1"),
        ("val_targets", {"val_targets": np.array([0, 1])}, r"shape \(4,\)"),
        ("patience", {"patience": 0}, "patience must be"),
        ("train_targets", {"train_targets": np.zeros(4, dtype=int)}, "only class 0; .* both classes"),
    ],
)
def test_bad_inputs_name_the_argument(argument: str, kwargs: dict, message: str) -> None:
    images = np.zeros((4, 8, 8), dtype=np.uint8)
    call = {
        "train_images": images,
        "train_targets": np.array([0, 1, 0, 1]),
        "val_images": images,
        "val_targets": np.array([0, 1, 0, 1]),
        "lr": 1e-3,
        "batch_size": 2,
        "max_epochs": 1,
        "patience": 1,
        "seed": 0,
        **kwargs,
    }
    model = build_classifier("small_cnn", seed=0, width=2, n_blocks=1)
    with pytest.raises(ValueError, match=f"{argument}.*{message}|{message}"):
        train_classifier(model, **call, show_progress=False)


def test_augmentation_is_seeded_and_stays_in_range() -> None:
    images = torch.rand(4, 1, 16, 16)
    first = augment_batch(images, torch.Generator().manual_seed(0))
    second = augment_batch(images, torch.Generator().manual_seed(0))
    other = augment_batch(images, torch.Generator().manual_seed(1))
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert first.shape == images.shape and first.min() >= 0 and first.max() <= 1


@pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(),
    reason="'auto' picks a GPU on this machine",
)
def test_auto_device_trains_on_the_cpu_here_with_the_same_weights(square_data: dict) -> None:
    on_cpu, cpu_history = _train(square_data, seed=3, max_epochs=2, device="cpu")
    auto, auto_history = _train(square_data, seed=3, max_epochs=2, device="auto")
    assert cpu_history["device"] == auto_history["device"] == "cpu"
    for key, value in on_cpu.state_dict().items():
        assert torch.equal(value, auto.state_dict()[key]), key
    probs = predict_proba(auto, square_data["test_x"], device="auto")
    assert np.array_equal(probs, predict_proba(on_cpu, square_data["test_x"]))


def test_a_device_this_machine_lacks_is_refused_before_training(square_data: dict) -> None:
    model = build_classifier("small_cnn", seed=0, **TINY)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"device 'cuda:63' is not available here.*'cpu' or 'auto'"):
        _train(square_data, seed=0, device="cuda:63")
    with pytest.raises(ValueError, match="'cuda:63' is not available"):
        predict_proba(model, square_data["test_x"], device="cuda:63")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
