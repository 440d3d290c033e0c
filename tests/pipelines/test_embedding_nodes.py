"""train_encoder with a named (not trained) encoder: the reference passes on only if the model is here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medslice.encoders import MissingModelError
from medslice.encoders.settings import EmbeddingSettings
from medslice.pipelines.embedding.nodes import train_encoder
from medslice.typed_settings import SettingsValueError


def test_a_named_encoder_must_exist_before_its_reference_is_passed_on(tmp_path: Path) -> None:
    embedding = EmbeddingSettings.from_dict(
        {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'absent'}"}}
    )
    with pytest.raises(MissingModelError, match="absent"):
        train_encoder(pd.DataFrame(), None, tmp_path, embedding, seed=0)  # type: ignore[arg-type]


def test_train_false_without_a_model_names_the_key(tmp_path: Path) -> None:
    embedding = EmbeddingSettings.from_dict({"encoder": {"train": False}})
    with pytest.raises(ValueError, match="embedding.encoder.model"):
        train_encoder(pd.DataFrame(), None, tmp_path, embedding, seed=0)  # type: ignore[arg-type]


def test_a_misspelt_embedding_key_gets_did_you_mean() -> None:
    with pytest.raises(SettingsValueError, match=r"did you mean embedding\.encoder\.max_pairs\?"):
        EmbeddingSettings.from_dict({"encoder": {"max_pair": 10}})


def test_the_kedro_parameters_of_every_environment_build_the_settings() -> None:
    from medslice.pipelines.declared import PROJECT_CONF, file_parameters

    for env in ("local", "tiny", "mimic", "paper_code"):
        block = file_parameters(str(PROJECT_CONF), env)["embedding"]
        assert EmbeddingSettings.from_dict(block).shard_size > 0
