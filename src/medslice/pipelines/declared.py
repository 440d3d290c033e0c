"""The scenario and variant names that namespaced pipelines are built from.

Kedro builds pipelines before it hands parameters to nodes, so the registry reads the two lists,
``failure_injection.scenarios`` and ``slice_discovery.variants``, from configuration itself:

- inside a Kedro session (``kedro run``, ``kedro viz``, a notebook's session), from the session's own
  config loader, which :class:`medslice.hooks.DeclaredNamespacesHook` hands over as soon as the
  context exists, so ``--env``, ``KEDRO_ENV``, ``--conf-source`` and ``--params`` all count (the
  loader merges the runtime parameters into ``parameters``);
- without a session (``kedro registry list``, a plain import), from ``conf/base`` merged with the
  ``KEDRO_ENV`` environment (default ``local``).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from kedro.config import AbstractConfigLoader, OmegaConfigLoader

from medslice.errors import BadValueError, closest

PROJECT_CONF = Path(__file__).resolve().parents[3] / "conf"

_session_loader: AbstractConfigLoader | None = None


def use_config_loader(loader: AbstractConfigLoader | None) -> None:
    """Read declarations from a session's config loader from now on (``None``: back to the files)."""
    global _session_loader  # noqa: PLW0603 - one process-wide slot, as Kedro's own `pipelines` is
    _session_loader = loader


def default_conf_source() -> Path:
    """The project's ``conf`` folder: beside the sources in a checkout, else under the working directory."""
    return PROJECT_CONF if PROJECT_CONF.is_dir() else Path.cwd() / "conf"


class _ParametersLoader(OmegaConfigLoader):
    """Reads parameters without replacing the process-wide ``globals`` and ``runtime_params`` resolvers.

    OmegaConf resolvers are global: a second loader that registered its own ``globals`` made a running
    session resolve ``${globals:...}`` in the catalog against this loader's environment (``--env=mimic``
    read the base data paths).
    """

    def _register_globals_resolver(self) -> None:
        return None

    def _register_runtime_params_resolver(self) -> None:
        return None


def parameters_loader(conf_source: str, env: str) -> AbstractConfigLoader:
    """A loader of ``conf/base`` parameters merged with ``env``'s, leaving the session's resolvers alone."""
    return _ParametersLoader(
        conf_source=conf_source,
        base_env="base",
        default_run_env=env,
        merge_strategy={"parameters": "soft"},
    )


@cache
def file_parameters(conf_source: str, env: str) -> dict[str, Any]:
    """``conf/base`` parameters merged with ``env``'s, as in the files (no runtime parameters)."""
    return dict(parameters_loader(conf_source, env)["parameters"])


def declared_parameters(conf_source: str | None = None) -> dict[str, Any]:
    """The merged parameters the namespaces are declared in; see the module docstring for which."""
    if _session_loader is not None and conf_source is None:
        return dict(_session_loader["parameters"])
    source = Path(conf_source) if conf_source is not None else default_conf_source()
    if not source.is_dir():
        return {}
    return file_parameters(str(source), os.environ.get("KEDRO_ENV", "local"))


def declared_scenarios() -> list[str]:
    """Names under ``failure_injection.scenarios`` not marked ``enabled: false``, in declaration order."""
    scenarios = declared_parameters().get("failure_injection", {}).get("scenarios", {})
    for name, spec in scenarios.items():
        # `--params "failure_injection.scenarios.noisy_labell.enabled=false"` would otherwise add a phantom
        # scenario and leave the intended one running.
        if not (spec or {}).get("target"):
            others = [other for other in scenarios if other != name]
            match = closest(name, others)
            hint = f" Did you mean {match!r}?" if match else ""
            raise BadValueError(
                f"failure_injection.scenarios.{name} declares no target, so it is no scenario.{hint} "
                f"Declared: {others}"
            )
    return [name for name, spec in scenarios.items() if spec.get("enabled", True)]


def declared_variants() -> list[str]:
    """Names under ``slice_discovery.variants``, in declaration order."""
    return list(declared_parameters().get("slice_discovery", {}).get("variants", {}))


def shipped_scenarios(env: str = "local") -> dict[str, dict[str, Any]]:
    """The scenario mappings of the project's ``failure_injection.scenarios`` for ``env``, as in the files.

    The parameters are the only place the scenarios are written; scripts and tests read them here.
    """
    parameters = file_parameters(str(default_conf_source()), env)
    return {name: dict(spec) for name, spec in parameters["failure_injection"]["scenarios"].items()}
