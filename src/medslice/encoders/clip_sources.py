"""Find an open_clip model's config and weights locally, or fail fast saying how to provide them.

Nothing here downloads. Every check is a file-system or HF-cache lookup made *before* open_clip is
imported or asked to build anything, so a missing model fails in well under a second instead of
hanging on a hub request. Hub models are turned into their cached snapshot folders and then loaded
exactly like ``local-dir:`` folders.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from medslice.encoders.errors import MissingModelError
from medslice.errors import BadValueError

LOCAL_DIR_PREFIX = "local-dir:"
HF_HUB_PREFIX = "hf-hub:"
MODEL_CONF_KEYS = ("embedding.encoder.model", "embedding.encoder.pretrained")
# The file names open_clip itself prefers, in its order of preference.
CHECKPOINT_NAMES = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
    "model.safetensors",
    "pytorch_model.bin",
    "pytorch_model.pth",
    "model.pth",
)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt")

_HOW_LOCAL = (
    "Provide either a `local-dir:/path` folder holding open_clip_config.json and "
    "open_clip_model.safetensors (e.g. the in-domain CLIP trained by the `embedding` pipeline), or "
    "an `hf-hub:org/name` model whose files are already in the Hugging Face cache (copy a filled "
    "~/.cache/huggingface/hub from a machine with internet, or point HF_HOME/HF_HUB_CACHE at one; "
    "this project never downloads)."
)


@dataclass
class ClipSource:
    """Where an open_clip model comes from, resolved to local files.

    Attributes
    ----------
    kind : str
        ``"local-dir"`` (also used for cached hub snapshots) or ``"builtin"``.
    name : str
        The model argument as given.
    folder : Path or None
        The config/weights folder (``local-dir`` kind).
    model_cfg : dict or None
        The open_clip ``model_cfg``.
    preprocess_cfg : dict
        Preprocessing overrides (mean, std, size, ...).
    weights_file : Path or None
        The weights file that will be loaded, or None for a random init.
    pretrained_tag_cfg : dict or None
        open_clip's pretrained config when ``pretrained`` was a tag.
    text_cfg_override : dict or None
        A text config whose HF names point at local folders, if any changed.
    tokenizer_source : Path or None
        Local folder for an HF tokenizer, or None for open_clip's own tokenizer.
    """

    kind: str
    name: str
    folder: Path | None = None
    model_cfg: dict | None = None
    preprocess_cfg: dict = field(default_factory=dict)
    weights_file: Path | None = None
    pretrained_tag_cfg: dict | None = None
    text_cfg_override: dict | None = None
    tokenizer_source: Path | None = None


def _hf_cached_file(repo_id: str, filename: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, filename)
    except ValueError:  # not a valid repo id, e.g. an absolute path that does not exist
        return None
    return Path(found) if isinstance(found, str) else None


def _hf_cache_hint() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:
        return "~/.cache/huggingface/hub"


def find_checkpoint(folder: Path) -> Path | None:
    """The weights file open_clip would load from ``folder`` (its preferred names first)."""
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    candidates = sorted(p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES)
    return candidates[0] if candidates else None


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


def resolve_hf_name(name: str, *, fallback_folder: Path | None, what: str) -> Path:
    """Turn an HF model or tokenizer name (a folder or a hub id) into a local folder.

    ``fallback_folder`` is used when ``name`` is a stored absolute path that no longer exists
    but the model folder carries its own copy (a ``local-dir`` folder moved to another machine).
    """
    path = Path(name)
    if path.is_dir():
        return path
    if fallback_folder is not None and (fallback_folder / "config.json").is_file():
        return fallback_folder
    cached = _hf_cached_file(name, "config.json") or _hf_cached_file(name, "tokenizer_config.json")
    if cached is not None:
        return cached.parent
    raise MissingModelError(
        what=f"Hugging Face {what} `{name}`",
        looked_for=f"a local folder `{name}` or its files in the HF cache {_hf_cache_hint()}",
        conf_keys=MODEL_CONF_KEYS,
        how=_HOW_LOCAL,
    )


def _localise_text_cfg(model_cfg: dict, folder: Path | None) -> tuple[dict | None, Path | None]:
    """Point the HF text tower and tokenizer at local folders; None when the tower is not HF."""
    text_cfg = dict(model_cfg.get("text_cfg", {}))
    tokenizer_source = None
    hf_model = text_cfg.get("hf_model_name")
    hf_tokenizer = text_cfg.get("hf_tokenizer_name")
    if hf_tokenizer:
        if folder is not None and _has_tokenizer(folder):
            tokenizer_source = folder
        else:
            tokenizer_source = resolve_hf_name(hf_tokenizer, fallback_folder=folder, what="tokenizer")
    if not hf_model:
        return None, tokenizer_source
    text_cfg["hf_model_name"] = str(resolve_hf_name(hf_model, fallback_folder=folder, what="text"))
    return text_cfg, tokenizer_source


def _read_folder_config(folder: Path, name: str) -> dict:
    config_path = folder / "open_clip_config.json"
    if not config_path.is_file():
        raise MissingModelError(
            what=f"open_clip model `{name}`",
            looked_for=f"{config_path}",
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    if "model_cfg" not in config:
        raise BadValueError(f"{config_path} has no `model_cfg` key: not an open_clip model folder")
    return config


def _folder_source(folder: Path, name: str) -> ClipSource:
    config = _read_folder_config(folder, name)
    weights = find_checkpoint(folder)
    if weights is None:
        raise MissingModelError(
            what=f"Weights of open_clip model `{name}`",
            looked_for=f"one of {', '.join(CHECKPOINT_NAMES[:3])} in {folder}",
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    text_cfg, tokenizer_source = _localise_text_cfg(config["model_cfg"], folder)
    return ClipSource(
        kind="local-dir",
        name=name,
        folder=folder,
        model_cfg=config["model_cfg"],
        preprocess_cfg=config.get("preprocess_cfg", {}),
        weights_file=weights,
        text_cfg_override=text_cfg,
        tokenizer_source=tokenizer_source,
    )


def _local_dir_source(name: str) -> ClipSource:
    folder = Path(name[len(LOCAL_DIR_PREFIX) :]).expanduser()
    if not folder.is_dir():
        raise MissingModelError(
            what=f"open_clip model folder `{name}`",
            looked_for=f"the folder {folder} (holding open_clip_config.json + weights)",
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    return _folder_source(folder, name)


def _hub_source(name: str) -> ClipSource:
    repo_id = name[len(HF_HUB_PREFIX) :]
    config_file = _hf_cached_file(repo_id, "open_clip_config.json")
    if config_file is None:
        raise MissingModelError(
            what=f"open_clip hub model `{name}`",
            looked_for=f"open_clip_config.json of `{repo_id}` in the HF cache {_hf_cache_hint()}",
            conf_keys=MODEL_CONF_KEYS,
            how=f"To fill the cache, run `hf download {repo_id}` on a machine with internet and copy "
            f"its HF cache here. {_HOW_LOCAL}",
        )
    snapshot = config_file.parent
    weights = [_hf_cached_file(repo_id, n) for n in CHECKPOINT_NAMES[:4]]
    if not any(weights) and find_checkpoint(snapshot) is None:
        raise MissingModelError(
            what=f"Weights of open_clip hub model `{name}`",
            looked_for=f"{', '.join(CHECKPOINT_NAMES[:3])} of `{repo_id}` in {snapshot}",
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    return _folder_source(snapshot, name)


def _builtin_model_cfg(name: str) -> dict | None:
    """A built-in (or registered) open_clip config, read without importing open_clip if possible."""
    if "open_clip" in sys.modules:  # also sees configs registered with add_model_config
        return sys.modules["open_clip"].get_model_config(name)
    # Importing open_clip alone takes seconds; its config folder answers the question instantly.
    spec = importlib.util.find_spec("open_clip")
    for location in (spec.submodule_search_locations or []) if spec else []:
        config_path = Path(location) / "model_configs" / f"{name}.json"
        if config_path.is_file():
            with open(config_path, encoding="utf-8") as handle:
                return json.load(handle)
    return None


def _looks_like_file(value: str) -> bool:
    return value.endswith(WEIGHT_SUFFIXES) or os.sep in value or "/" in value


def _cached_tag_weights(tag_cfg: dict) -> tuple[Path | None, str]:
    """Local file of a pretrained tag, and a description of where it was looked for."""
    hub = tag_cfg.get("hf_hub", "")
    if hub:
        repo_id, filename = os.path.split(hub)
        names = [filename] if filename else ["open_clip_model.safetensors", *CHECKPOINT_NAMES[1:3]]
        for file_name in names:
            found = _hf_cached_file(repo_id, file_name)
            if found is not None:
                return found, ""
        return None, f"{'/'.join(names)} of `{repo_id}` in the HF cache {_hf_cache_hint()}"
    url = tag_cfg.get("url", "")
    target = Path("~/.cache/clip").expanduser() / os.path.basename(url)
    return (target if target.is_file() else None), str(target)


def _builtin_source(name: str, pretrained: str | None) -> ClipSource:
    model_cfg = _builtin_model_cfg(name.replace("/", "-"))
    if model_cfg is None:
        raise MissingModelError(
            what=f"open_clip model `{name}`",
            looked_for=(
                "a built-in open_clip architecture of that name (see open_clip.list_models()), "
                "a `local-dir:/path` folder or an `hf-hub:org/name` cached model"
            ),
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    text_cfg, tokenizer_source = _localise_text_cfg(model_cfg, None)
    source = ClipSource(
        kind="builtin",
        name=name.replace("/", "-"),
        model_cfg=model_cfg,
        text_cfg_override=text_cfg,
        tokenizer_source=tokenizer_source,
    )
    if pretrained is None:
        return source
    if Path(pretrained).expanduser().is_file():
        source.weights_file = Path(pretrained).expanduser()
        return source
    if _looks_like_file(pretrained):
        raise MissingModelError(
            what=f"Weights file for `{name}`",
            looked_for=str(Path(pretrained).expanduser()),
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    import open_clip

    tag_cfg = open_clip.get_pretrained_cfg(source.name, pretrained)
    if not tag_cfg:
        tags = open_clip.list_pretrained_tags_by_model(source.name)
        raise MissingModelError(
            what=f"Pretrained tag `{pretrained}` of `{name}`",
            looked_for=f"a known tag (one of {tags}) or a local .bin/.pt/.safetensors file",
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    weights, looked_for = _cached_tag_weights(tag_cfg)
    if weights is None:
        raise MissingModelError(
            what=f"Weights of `{name}` pretrained `{pretrained}`",
            looked_for=looked_for,
            conf_keys=MODEL_CONF_KEYS,
            how=_HOW_LOCAL,
        )
    source.weights_file = weights
    source.pretrained_tag_cfg = dict(tag_cfg)
    return source


def resolve_clip_source(model: str, pretrained: str | None = None) -> ClipSource:
    """Resolve ``model``/``pretrained`` to local files, or raise :class:`MissingModelError` fast.

    Parameters
    ----------
    model : str
        A built-in open_clip name, ``local-dir:/path`` or ``hf-hub:org/name``.
    pretrained : str or None, default=None
        For built-in names: a tag (weights must be cached) or a local weights file;
        None for random weights. Ignored (as by open_clip) for ``local-dir:``/``hf-hub:``.
    """
    if not isinstance(model, str) or not model:
        raise BadValueError(f"`model` must be a non-empty string, got {model!r}")
    if model.startswith(LOCAL_DIR_PREFIX):
        return _local_dir_source(model)
    if model.startswith(HF_HUB_PREFIX):
        return _hub_source(model)
    return _builtin_source(model, pretrained)
