"""A tiny BiomedCLIP look-alike (timm ViT + BERT text tower) loads and embeds offline from an HF cache.

``conf/mimic`` embeds with ``hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224``, whose
open_clip config names a *second* hub repo (``hf_model_name``/``hf_tokenizer_name``) for its BERT text
tower and tokenizer. Here both repos are laid out, tiny and random, in a temporary HF cache
(``models--org--name/{refs/main,snapshots/<rev>/}``) and the model is loaded by its ``hf-hub:`` name
through the code paths the embedding pipeline uses, with no network.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from medslice.encoders.clip_encoder import ClipEncoder
from medslice.encoders.factory import build_text_encoder
from medslice.encoders.image_files import _LOADED, ImageFileEncoder

from .conftest import write_phantoms

CLIP_REPO = "medslice-tests/TinyBiomedCLIP-PubMedBERT-test_vit"
BERT_REPO = "medslice-tests/TinyBiomedBERT-uncased"
REVISION = "1" * 40
EMBED_DIM = 16
CONTEXT_LENGTH = 64
# BiomedCLIP's open_clip_config.json, with the towers swapped for tiny ones. timm's ``test_vit``
# (64 wide, 160 px) stands in for vit_base_patch16_224; open_clip does not pass image_size to timm.
MODEL_CFG = {
    "embed_dim": EMBED_DIM,
    "vision_cfg": {
        "timm_model_name": "test_vit",
        "timm_model_pretrained": False,
        "timm_pool": "",
        "timm_proj": "linear",
        "image_size": 160,
    },
    "text_cfg": {
        "hf_model_name": BERT_REPO,
        "hf_tokenizer_name": BERT_REPO,
        "hf_proj_type": "mlp",
        "hf_pooler_type": "cls_last_hidden_state_pooler",
        "context_length": CONTEXT_LENGTH,
    },
}
PREPROCESS_CFG = {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TEXTS = [
    "Small left pleural effusion.",
    "No acute cardiopulmonary process.",
    "Right chest tube in place, no pneumothorax.",
    "Mild cardiomegaly with pulmonary edema.",
    "Small left pleural effusion.",  # a repeat: same row twice
]


def report_sentences() -> list[str]:
    """A few dozen report-like sentences to train the WordPiece vocabulary on."""
    sizes = ("small", "moderate", "large", "trace")
    sides = ("left", "right", "bilateral")
    findings = ("pleural effusion", "pneumothorax", "consolidation", "atelectasis", "opacity")
    sentences = [f"{a} {b} {c}." for a, b, c in itertools.product(sizes, sides, findings)]
    sentences += [
        "No acute cardiopulmonary process.",
        "Mild cardiomegaly with pulmonary edema.",
        "Right chest tube in place, no pneumothorax.",
        "The heart size is normal. The mediastinum is unremarkable.",
        "Endotracheal tube terminates 4 cm above the carina.",
        "Lungs are clear without focal consolidation.",
        "Interval improvement of the right lower lobe opacity.",
        "Support devices are unchanged in position.",
    ]
    return sentences


def _snapshot(cache: Path, repo_id: str) -> Path:
    """The snapshot folder of ``repo_id`` in an HF hub cache, with ``refs/main`` pointing at it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    return snapshot


def write_tiny_bert(folder: Path) -> None:
    """A 2-layer, 32-wide BERT and a WordPiece tokenizer trained on :func:`report_sentences`."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=SPECIAL_TOKENS, min_frequency=1)
    tokenizer.train_from_iterator(report_sentences(), trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=CONTEXT_LENGTH,
    )
    fast.save_pretrained(folder)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=CONTEXT_LENGTH,
        pad_token_id=fast.pad_token_id,
    )
    torch.manual_seed(1)
    BertModel(config).save_pretrained(folder)


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An HF hub cache holding the tiny BERT repo and the tiny open_clip repo that names it."""
    import open_clip

    cache = tmp_path_factory.mktemp("hf_home") / "hub"
    bert = _snapshot(cache, BERT_REPO)
    write_tiny_bert(bert)
    # Build the CLIP from the BERT folder's config (random init everywhere, seeded), then ship only what
    # BiomedCLIP's repo ships: the open_clip config naming the BERT repo by id, and the full weights.
    text_cfg = {**MODEL_CFG["text_cfg"], "hf_model_name": str(bert), "hf_model_pretrained": False}
    torch.manual_seed(0)
    reference = open_clip.CustomTextCLIP(
        embed_dim=EMBED_DIM, vision_cfg=MODEL_CFG["vision_cfg"], text_cfg=text_cfg
    ).eval()
    clip = _snapshot(cache, CLIP_REPO)
    config = {"model_cfg": MODEL_CFG, "preprocess_cfg": PREPROCESS_CFG}
    (clip / "open_clip_config.json").write_text(json.dumps(config, indent=2))
    torch.save(reference.state_dict(), clip / "open_clip_pytorch_model.bin")
    return {"cache": cache, "bert": bert, "clip": clip, "state": reference.state_dict()}


@pytest.fixture(scope="module")
def offline_cache(hf_cache: dict) -> Iterator[dict]:
    """Point huggingface_hub (constants read at import, and the env for anything imported later) at it."""
    from huggingface_hub import constants

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_HOME", str(hf_cache["cache"].parent))
        patch.setenv("HF_HUB_CACHE", str(hf_cache["cache"]))
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        patch.setattr(constants, "HF_HUB_CACHE", str(hf_cache["cache"]))
        yield hf_cache


@pytest.fixture(scope="module")
def encoder(offline_cache: dict) -> ClipEncoder:
    return ClipEncoder(f"hf-hub:{CLIP_REPO}", batch_size=2, device="cpu")


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_phantoms(tmp_path_factory.mktemp("hf_phantoms"), 3, size=(200, 170))


def _assert_unit_rows(vectors: np.ndarray, n: int) -> None:
    assert vectors.shape == (n, EMBED_DIM) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_hub_name_resolves_both_repos_from_the_cache(encoder: ClipEncoder, offline_cache: dict) -> None:
    from open_clip.hf_model import HFTextEncoder
    from open_clip.timm_model import TimmModel

    source = encoder.source_
    assert source.folder == offline_cache["clip"]
    assert source.weights_file == offline_cache["clip"] / "open_clip_pytorch_model.bin"
    # The text tower and tokenizer named by hub id were found in the cache, not downloaded.
    assert source.text_cfg_override["hf_model_name"] == str(offline_cache["bert"])
    assert source.tokenizer_source == offline_cache["bert"]
    assert isinstance(encoder.model_.text, HFTextEncoder) and isinstance(encoder.model_.visual, TimmModel)
    assert encoder.image_size_ == 160 and encoder.embed_dim == EMBED_DIM


def test_weights_come_from_the_clip_checkpoint_not_the_bert_repo(
    encoder: ClipEncoder, offline_cache: dict
) -> None:
    from transformers import BertModel

    loaded = encoder.model_.state_dict()
    saved = offline_cache["state"]
    assert loaded.keys() == saved.keys()
    assert all(torch.equal(loaded[key], saved[key]) for key in saved)
    bert_own = BertModel.from_pretrained(offline_cache["bert"]).embeddings.word_embeddings.weight
    tower = encoder.model_.text.transformer.embeddings.word_embeddings.weight
    assert tower.shape == bert_own.shape and not torch.equal(tower, bert_own)


def test_tokenizer_is_the_trained_wordpiece_one(encoder: ClipEncoder) -> None:
    tokens = encoder.tokenizer_(TEXTS)
    assert tokens.shape == (len(TEXTS), CONTEXT_LENGTH)
    vocab = encoder.tokenizer_.tokenizer.get_vocab()
    assert (tokens[:, 0] == vocab["[CLS]"]).all()
    assert not (tokens == vocab["[UNK]"]).any()  # every word of these reports is in the vocabulary
    assert (tokens == vocab["[PAD]"]).any()


def test_texts_embed_to_unit_vectors_deterministically(encoder: ClipEncoder, offline_cache: dict) -> None:
    first = encoder.encode_texts(TEXTS, progress=False)
    _assert_unit_rows(first, len(TEXTS))
    np.testing.assert_array_equal(first[0], first[4])
    assert not np.allclose(first[0], first[1], atol=1e-3)  # different reports, different vectors
    np.testing.assert_array_equal(encoder.encode_texts(TEXTS, progress=False), first)
    # A fresh encoder and the pipeline's factory (conf/mimic: no report_encoder, so the CLIP tower).
    again = ClipEncoder(f"hf-hub:{CLIP_REPO}", batch_size=5, device="cpu")
    np.testing.assert_allclose(again.encode_texts(TEXTS, progress=False), first, atol=1e-6)
    factory = build_text_encoder(None, {"model": f"hf-hub:{CLIP_REPO}", "pretrained": None})
    assert isinstance(factory, ClipEncoder)
    np.testing.assert_allclose(factory.encode_texts(TEXTS, progress=False), first, atol=1e-6)


def test_images_embed_to_unit_vectors_deterministically(
    encoder: ClipEncoder, offline_cache: dict, images: list[Path]
) -> None:
    first, report = encoder.encode_images(images, progress=False)
    _assert_unit_rows(first, len(images))
    assert not np.allclose(first[0], first[1], atol=1e-3)
    np.testing.assert_array_equal(encoder.encode_images(images, progress=False)[0], first)
    # The image embedding node's per-process encoder, as the pipeline builds it.
    _LOADED.clear()
    try:
        node_encoder = ImageFileEncoder(model=f"hf-hub:{CLIP_REPO}")
        np.testing.assert_allclose(node_encoder(images), first, atol=1e-6)
        assert node_encoder.identity["model"] == f"hf-hub:{CLIP_REPO}"
    finally:
        _LOADED.clear()


def test_identity_names_the_hub_checkpoint(encoder: ClipEncoder, offline_cache: dict) -> None:
    from medslice.encoders.hashing import sha256_file

    identity = encoder.identity
    assert identity["model"] == f"hf-hub:{CLIP_REPO}" and identity["pretrained"] is None
    assert identity["weights_sha256"] == sha256_file(offline_cache["clip"] / "open_clip_pytorch_model.bin")
    assert identity["image_size"] == 160


def test_a_cached_clip_without_its_text_repo_fails_fast_naming_it(
    hf_cache: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import time

    from huggingface_hub import constants

    from medslice.encoders.errors import MissingModelError

    # BiomedCLIP copied into a cache without microsoft/BiomedNLP-BiomedBERT-*: the usual half-filled cache.
    clip_repo = f"models--{CLIP_REPO.replace('/', '--')}"
    shutil.copytree(hf_cache["cache"] / clip_repo, tmp_path / clip_repo)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(MissingModelError, match=BERT_REPO):
        ClipEncoder(f"hf-hub:{CLIP_REPO}", device="cpu")
    assert time.perf_counter() - start < 5
