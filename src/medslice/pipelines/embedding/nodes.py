"""Nodes of the `embedding` pipeline: thin wrappers over :mod:`medslice.encoders`."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from medslice.encoders import embed_in_shards, evaluate_encoder, train_lit_clip
from medslice.encoders.clip_sources import resolve_clip_source
from medslice.encoders.factory import build_text_encoder, report_texts
from medslice.encoders.fingerprints import FINGERPRINTS_FILE, content_identities
from medslice.encoders.image_files import ImageFileEncoder
from medslice.encoders.settings import EmbeddingSettings
from medslice.encoders.sharded import embeddings_to_arrow
from medslice.errors import BadValueError
from medslice.mimic.reader import MimicCxrJpg

logger = logging.getLogger(__name__)

LOCKED_FEATURES_FOLDER = "locked"  # in the embedding_shards folder
IMAGE_SHARDS_FOLDER = "image"


def locked_feature_cache(
    embedding: EmbeddingSettings, shards: Path, encoder: dict[str, Any] | None = None
) -> Path | None:
    """Where the locked towers' pooled outputs are kept, or None when they are not to be cached.

    They are cached when ``embedding.cache_locked_features`` is true (the default) and the encoder is
    the in-domain CLIP trained by this project (its towers are locked, so training and embedding run the
    same ones). A named model such as BiomedCLIP is embedded whole, in batches.
    """
    if not embedding.cache_locked_features:
        return None
    if encoder is not None and not encoder.get("locked_towers", False):
        return None
    return shards / LOCKED_FEATURES_FOLDER


def check_named_encoder(embedding: EmbeddingSettings) -> None:
    """Raise ``MissingModelError`` now if ``embedding.encoder`` names a model that is not on this machine.

    Nothing to check when the run trains its own encoder (``train: true``). Resolving is a file lookup:
    no weights are loaded.
    """
    if not embedding.encoder.train and embedding.encoder.model:
        resolve_clip_source(embedding.encoder.model, embedding.encoder.pretrained)


def train_encoder(
    cohort: pd.DataFrame,
    mimic_cxr_jpg: MimicCxrJpg,
    embedding_shards: Path,
    embedding: EmbeddingSettings,
    seed: int,
) -> dict[str, Any]:
    """Train the in-domain CLIP on the training split's (image, report) pairs, or pass a named model on.

    With ``embedding.encoder.train: false`` (``conf/mimic``: BiomedCLIP) nothing is trained and the
    reference is stored as is; otherwise the locked ImageNet EfficientNet-Lite0 and all-MiniLM-L6-v2 towers
    get trained projections (LiT) and the model is saved as an open_clip ``local-dir`` folder.
    """
    settings = embedding.encoder
    if not settings.train:
        if not settings.model:
            raise BadValueError(
                "embedding.encoder.train is false, so embedding.encoder.model must name the model to use "
                "(e.g. hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 or local-dir:/path)"
            )
        check_named_encoder(embedding)
        return {"model": settings.model, "pretrained": settings.pretrained}
    pairs = cohort[(cohort["split"] == "train") & cohort["has_report"]]
    if settings.max_pairs is not None and len(pairs) > settings.max_pairs:
        pairs = pairs.sample(n=settings.max_pairs, random_state=seed)
    texts = report_texts(pairs, list(embedding.report_sections))
    paths = [str(mimic_cxr_jpg.image_path(p)) for p in pairs["image_path"]]
    folder = Path(tempfile.mkdtemp(prefix="medslice-encoder-"))
    log = train_lit_clip(
        paths,
        texts.tolist(),
        folder,
        seed=seed,
        feature_cache=locked_feature_cache(embedding, embedding_shards),
        **settings.training,
    )
    # scratch: the versioned `encoder` dataset moves the files into data/06_models and removes the folder.
    return {
        "model": f"local-dir:{folder}",
        "pretrained": None,
        "training_log": log,
        "locked_towers": True,
        "scratch": True,
    }


def embed_images(
    cohort: pd.DataFrame,
    mimic_cxr_jpg: MimicCxrJpg,
    encoder: dict[str, Any],
    embedding_shards: Path,
    embedding: EmbeddingSettings,
) -> tuple[pa.Table, dict[str, Any]]:
    """One embedding per image, streamed in resumable shards; undecodable images are listed, not fatal.

    A shard is reused only while its images' bytes are unchanged (checked by size and modification time,
    hashed when those differ): a repaired or rewritten image has its shard embedded again.

    The shards still to embed are units of work: under ``medslice.runner.DaskRunner`` they spread over the
    cluster's workers. Rows of undecodable images come back as NaN; ``_finish`` lists and leaves them out.
    """
    cache = locked_feature_cache(embedding, embedding_shards, encoder)
    encode = ImageFileEncoder(
        encoder["model"],
        pretrained=encoder.get("pretrained"),
        feature_cache=None if cache is None else str(cache),
        num_workers=embedding.num_workers,
    )
    paths = [str(mimic_cxr_jpg.image_path(p)) for p in cohort["image_path"]]
    identity = encode.identity
    # One record for the shards and the locked features, so each changed file is read once per run.
    record = (cache if cache is not None else embedding_shards) / FINGERPRINTS_FILE
    frame = embed_in_shards(
        cohort["dicom_id"].tolist(),
        paths,
        encode,
        embedding_shards / IMAGE_SHARDS_FOLDER,
        embedding.shard_size,
        identity,
        id_name="dicom_id",
        content_keys=content_identities(paths, record),
    )
    return _finish(frame, "dicom_id", identity, "image")


def embed_reports(
    cohort: pd.DataFrame, encoder: dict[str, Any], embedding_shards: Path, embedding: EmbeddingSettings
) -> tuple[pa.Table, dict[str, Any]]:
    """One embedding per study, from the report sections named in ``embedding.report_sections``."""
    studies = cohort.drop_duplicates("study_id")
    text_encoder = build_text_encoder(
        embedding.report_encoder,
        encoder,
        feature_cache=locked_feature_cache(embedding, embedding_shards, encoder),
    )
    texts = report_texts(studies, list(embedding.report_sections))
    vectors = text_encoder.encode_texts(texts.tolist(), num_workers=embedding.num_workers)
    frame = pd.DataFrame({"study_id": studies["study_id"].to_numpy(), "embedding": list(vectors)})
    return _finish(frame, "study_id", text_encoder.identity, "report")


def embed_metadata(
    cohort: pd.DataFrame, encoder: dict[str, Any], embedding_shards: Path, embedding: EmbeddingSettings
) -> tuple[pa.Table, dict[str, Any]]:
    """One embedding per image of its metadata sentence, through the same text tower by default."""
    text_encoder = build_text_encoder(
        embedding.metadata_encoder,
        encoder,
        feature_cache=locked_feature_cache(embedding, embedding_shards, encoder),
    )
    vectors = text_encoder.encode_texts(
        cohort["metadata_sentence"].fillna("").tolist(), num_workers=embedding.num_workers
    )
    frame = pd.DataFrame({"dicom_id": cohort["dicom_id"].to_numpy(), "embedding": list(vectors)})
    return _finish(frame, "dicom_id", text_encoder.identity, "metadata")


def evaluate_encoder_quality(
    cohort: pd.DataFrame, image_embeddings: pa.Table, report_embeddings: pa.Table
) -> dict[str, Any]:
    """Retrieval recall@10 and linear-probe AUROCs on the held-out (non-training) images."""
    from medslice.slicing.embedding_tables import aligned_modalities

    held_out = cohort[(cohort["split"] != "train") & cohort["has_report"]]
    tables = {"image": image_embeddings, "report": report_embeddings}
    matrices = aligned_modalities(held_out["dicom_id"].astype(str), ["image", "report"], cohort, tables)
    labels = pd.DataFrame(
        {
            "support_devices": held_out["support_devices"].to_numpy(),
            "cardiomegaly": held_out["cardiomegaly"].to_numpy(),
            "pleural_effusion": held_out["pleural_effusion"].to_numpy(),
            "lateral_view": (held_out["view"] == "lateral").astype(float).to_numpy(),
        }
    )
    return evaluate_encoder(matrices["image"], matrices["report"], labels)


def _finish(frame: pd.DataFrame, id_name: str, identity: dict, modality: str) -> tuple[pa.Table, dict]:
    matrix = np.stack(frame["embedding"].to_numpy()) if len(frame) else np.zeros((0, 0), np.float32)
    ok = np.isfinite(matrix).all(axis=1)
    dropped = frame.loc[~ok, id_name].astype(str).tolist()
    if dropped:
        logger.warning("%d %s embeddings could not be computed, e.g. %s", len(dropped), modality, dropped[:5])
    table = embeddings_to_arrow(frame.loc[ok, id_name].tolist(), id_name, matrix[ok], identity)
    qa = {"modality": modality, "rows": int(len(frame)), "embedded": int(ok.sum()), "failed": dropped}
    return table, qa
