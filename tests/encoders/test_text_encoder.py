"""TransformersTextEncoder on the real all-MiniLM-L6-v2 weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medslice.encoders.errors import MissingModelError
from medslice.encoders.hashing import sha256_file
from medslice.encoders.text_encoder import TransformersTextEncoder, default_text_model_path


@pytest.fixture(scope="module")
def minilm() -> TransformersTextEncoder:
    return TransformersTextEncoder(default_text_model_path(), batch_size=2, device="cpu")


def test_related_findings_are_closer(minilm: TransformersTextEncoder) -> None:
    query, related, unrelated = minilm.encode_texts(
        ["pleural effusion", "fluid in the pleural space", "fractured femur"], progress=False
    )
    assert query @ related > query @ unrelated


def test_embeddings_are_normalised_and_order_preserving(minilm: TransformersTextEncoder) -> None:
    texts = ["a much longer report text about the heart and lungs", "short", "medium length"]
    together = minilm.encode_texts(texts, progress=False)
    assert together.shape == (3, 384) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = minilm.encode_texts([texts[0]], progress=False)
    np.testing.assert_allclose(alone[0], together[0], atol=1e-5)


def test_identity_hashes_the_weights(minilm: TransformersTextEncoder) -> None:
    identity = minilm.identity
    assert identity["weights_sha256"] == sha256_file(default_text_model_path() / "model.safetensors")
    assert identity["pooling"] == "mean" and identity["max_length"] == 256


def test_missing_folder_names_the_conf_key(tmp_path: Path) -> None:
    with pytest.raises(MissingModelError, match="embedding.report_encoder.model_path"):
        TransformersTextEncoder(tmp_path / "nowhere")


def test_worker_processes_give_the_same_embeddings(minilm: TransformersTextEncoder) -> None:
    texts = ["left lower lobe opacity", "no pneumothorax", "left lower lobe opacity", "stable"]
    here = minilm.encode_texts(texts, progress=False)
    forked = minilm.encode_texts(texts, num_workers=2, progress=False)
    np.testing.assert_allclose(forked, here, atol=1e-5)
    np.testing.assert_array_equal(here[0], here[2])  # a repeated text is encoded once
