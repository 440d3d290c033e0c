"""Typed settings: unknown keys get "did you mean", values are checked against the annotations."""

from __future__ import annotations

import doctest
import pickle
from dataclasses import dataclass, field
from typing import Literal

import pytest

from medslice import typed_settings
from medslice.typed_settings import Settings, SettingsValueError


@dataclass(frozen=True)
class Encoder(Settings):
    WHERE = "embedding.encoder"
    train: bool = True
    model: str | None = None
    training: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Embedding(Settings):
    WHERE = "embedding"
    report_sections: tuple[str, ...]
    encoder: Encoder = Encoder()
    shard_size: int = 4096
    min_gap: float = 0.1
    precision: Literal["fp32", "bf16"] = "fp32"


def test_the_module_example_runs() -> None:
    assert doctest.testmod(typed_settings).failed == 0


def test_nested_blocks_and_lists_become_settings_and_tuples() -> None:
    built = Embedding.from_dict({"report_sections": ["a", "b"], "encoder": {"train": False}, "min_gap": 1})
    assert built.report_sections == ("a", "b") and built.encoder == Encoder(train=False)
    assert built.min_gap == 1.0 and isinstance(built.min_gap, float)
    assert pickle.loads(pickle.dumps(built)) == built  # Dask ships settings to workers
    assert built.to_dict()["encoder"]["train"] is False


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"report_sections": [], "shard_sise": 1}, r"did you mean embedding\.shard_size\?"),
        ({"report_sections": [], "encoder": {"trian": True}}, r"did you mean embedding\.encoder\.train\?"),
        ({}, r"embedding\.report_sections is required"),
        ({"report_sections": "abc"}, r"embedding\.report_sections must be a list"),
        ({"report_sections": [], "shard_size": True}, r"embedding\.shard_size must be an integer"),
        ({"report_sections": [], "encoder": {"model": 3}}, r"embedding\.encoder\.model must be str \| None"),
        ({"report_sections": [], "precision": "fp16"}, r"must be one of \['fp32', 'bf16'\]"),
        ({"report_sections": [], "encoder": "x"}, r"embedding\.encoder must be a mapping"),
    ],
)
def test_a_bad_block_is_named_with_its_key(mapping: dict, message: str) -> None:
    with pytest.raises(SettingsValueError, match=message):
        Embedding.from_dict(mapping)


def test_kedro_style_keyword_construction_checks_too() -> None:
    # Kedro builds an annotated `params:` input as `Cls(**mapping)`.
    with pytest.raises(SettingsValueError, match="did you mean embedding.shard_size"):
        Embedding(report_sections=(), shard_sise=3)
