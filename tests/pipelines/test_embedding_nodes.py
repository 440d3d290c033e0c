"""train_encoder with a named (not trained) encoder: the reference passes on only if the model is here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medslice.encoders import MissingModelError
from medslice.pipelines.embedding.nodes import train_encoder


def test_a_named_encoder_must_exist_before_its_reference_is_passed_on(tmp_path: Path) -> None:
    embedding = {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'absent'}"}}
    with pytest.raises(MissingModelError, match="absent"):
        train_encoder(pd.DataFrame(), None, embedding, seed=0)  # type: ignore[arg-type]


def test_train_false_without_a_model_names_the_key() -> None:
    with pytest.raises(ValueError, match="embedding.encoder.model"):
        train_encoder(pd.DataFrame(), None, {"encoder": {"train": False}}, seed=0)  # type: ignore[arg-type]
