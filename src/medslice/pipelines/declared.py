"""The scenario and variant names that namespaced pipelines are built from.

Kedro builds pipelines before it loads parameters, so the registry reads the two lists straight from the
conf folder: ``failure_injection.scenarios`` and ``slice_discovery.variants``. They come from
``conf/base`` merged with the environment named by ``KEDRO_ENV`` (default ``local``); an environment
passed only as ``--env`` still changes every setting, but adds no namespaces.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

CONF_SOURCE = Path(__file__).resolve().parents[3] / "conf"


@cache
def declared_parameters(conf_source: str = str(CONF_SOURCE)) -> dict[str, Any]:
    """The merged parameters of ``conf/base`` and the ``KEDRO_ENV`` environment."""
    if not Path(conf_source).is_dir():
        return {}
    loader = OmegaConfigLoader(
        conf_source=conf_source,
        base_env="base",
        default_run_env=os.environ.get("KEDRO_ENV", "local"),
        merge_strategy={"parameters": "soft"},
    )
    return dict(loader["parameters"])


def declared_scenarios() -> list[str]:
    """Names under ``failure_injection.scenarios`` not marked ``enabled: false``, in declaration order."""
    scenarios = declared_parameters().get("failure_injection", {}).get("scenarios", {})
    return [name for name, spec in scenarios.items() if (spec or {}).get("enabled", True)]


def declared_variants() -> list[str]:
    """Names under ``slice_discovery.variants``, in declaration order."""
    return list(declared_parameters().get("slice_discovery", {}).get("variants", {}))
