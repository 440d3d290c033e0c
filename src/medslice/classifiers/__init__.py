"""The classifiers under audit (small CNN, ResNet-18, frozen Lite0 + head) and their training.

Every classifier takes ``float32 (N, 1, H, W)`` grayscale in [0, 1] and returns two logits; the
training loop and ``predict_proba`` take ``uint8 (N, H, W)`` arrays.
"""

from medslice.classifiers.config import ClassifierConfig, ClassifierConfigError
from medslice.classifiers.heads import mlp_head
from medslice.classifiers.inference import predict_proba
from medslice.classifiers.lite0 import Lite0HeadClassifier
from medslice.classifiers.registry import (
    CLASSIFIERS,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_TRAINING,
    build_classifier,
)
from medslice.classifiers.resnet import ResNet18Classifier
from medslice.classifiers.small_cnn import SmallCNN
from medslice.classifiers.training import train_classifier

__all__ = [
    "CLASSIFIERS",
    "DEFAULT_IMAGE_SIZE",
    "DEFAULT_TRAINING",
    "ClassifierConfig",
    "ClassifierConfigError",
    "Lite0HeadClassifier",
    "ResNet18Classifier",
    "SmallCNN",
    "build_classifier",
    "mlp_head",
    "predict_proba",
    "train_classifier",
]
