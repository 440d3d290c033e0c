"""Save an open_clip model as a ``local-dir`` folder that ``open_clip`` (and ClipEncoder) load."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import save_file
from torch import nn

CONFIG_NAME = "open_clip_config.json"
WEIGHTS_NAME = "open_clip_model.safetensors"


def save_open_clip_folder(
    model: nn.Module,
    model_cfg: dict,
    preprocess_cfg: dict,
    output_dir: str | Path,
    *,
    hf_text_folder: str | Path | None = None,
) -> Path:
    """Write ``open_clip_config.json`` and ``open_clip_model.safetensors`` to ``output_dir``.

    The result loads with ``open_clip.create_model_and_transforms("local-dir:<output_dir>")``.

    Parameters
    ----------
    model : nn.Module
        The open_clip model (CLIP or CustomTextCLIP).
    model_cfg : dict
        Its open_clip model config (``embed_dim``, ``vision_cfg``, ``text_cfg``).
    preprocess_cfg : dict
        Image preprocessing (``size``, ``mean``, ``std``, ...).
    output_dir : str or Path
        Folder to create or overwrite.
    hf_text_folder : str or Path or None, default=None
        For an HF text tower: copy its tokenizer and ``config.json`` here, because
        open_clip reads a ``local-dir`` model's tokenizer from the folder itself, and so the
        folder still loads where the original text model path does not exist.

    Returns
    -------
    Path
        The folder path.
    """
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # safetensors refuses shared or non-contiguous storage; clone each tensor once.
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_NAME))
    with open(folder / CONFIG_NAME, "w", encoding="utf-8") as handle:
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}, handle, indent=2)
    if hf_text_folder is not None:
        from transformers import AutoConfig, AutoTokenizer

        AutoTokenizer.from_pretrained(hf_text_folder, local_files_only=True).save_pretrained(folder)
        AutoConfig.from_pretrained(hf_text_folder, local_files_only=True).save_pretrained(folder)
    return folder
