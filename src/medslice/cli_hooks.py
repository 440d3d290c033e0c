"""Kedro CLI hooks: checks of the command line that must come before Kedro reads any configuration.

Registered through the ``kedro.cli_hooks`` entry point (``pyproject.toml``), Kedro's convention for
extending its CLI. Before a command of the medslice project runs, this

- chains the compact display of medslice's errors (:mod:`medslice.console_errors`), so every refusal from
  then on prints as a few lines with the traceback in ``info.log``;
- refuses an ``--env`` that has no folder under the configuration source, listing those that exist;
- refuses ``--namespaces`` that name no namespace of the environment's pipelines, with "did you mean", and
  says so, and where, when the namespace is a scenario switched off with ``enabled: false``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from kedro.framework.cli.hooks import cli_hook_impl

from medslice import console_errors
from medslice.errors import BadValueError, closest

PACKAGE = "medslice"
ENV_OPTIONS = ("--env", "-e")
NAMESPACE_OPTIONS = ("--namespaces", "--namespace", "-ns")
CONF_SOURCE_OPTIONS = ("--conf-source",)
DEFAULT_ENV = "local"  # settings.CONFIG_LOADER_ARGS["default_run_env"]
BASE_ENV = "base"


class UnknownEnvironmentError(BadValueError):
    """``--env`` names no folder of the configuration source."""


class UnknownNamespaceError(BadValueError):
    """``--namespaces`` names a namespace the environment's pipelines do not have."""


def option_values(args: Sequence[str], names: Sequence[str]) -> list[str]:
    """Every value given to the options ``names`` (``--opt=v``, ``--opt v``), in order."""
    values = []
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                values.append(args[index + 1])
            elif arg.startswith(f"{name}="):
                values.append(arg.split("=", 1)[1])
    return values


def environments(conf_source: Path) -> list[str]:
    """The environment folders of a configuration source, ``base`` aside."""
    if not conf_source.is_dir():
        return []
    return sorted(p.name for p in conf_source.iterdir() if p.is_dir() and p.name != BASE_ENV)


def check_environment(env: str, conf_source: Path) -> None:
    """Raise :class:`UnknownEnvironmentError` when ``conf_source/env`` is not a folder."""
    if env == BASE_ENV or (conf_source / env).is_dir():
        return
    known = environments(conf_source)
    match = closest(env, known)
    hint = f"Did you mean --env={match}? " if match else ""
    raise UnknownEnvironmentError(
        f"there is no environment {env!r}",
        path=conf_source / env,
        fix=f"{hint}The environments are: {', '.join(known) or 'none'} (folders of {conf_source}).",
    )


def _parameter_files(conf_source: Path, env: str) -> list[Path]:
    """The parameter files of ``env``, then of ``base`` (the order an override is looked for in)."""
    files = []
    for folder in (env, BASE_ENV):
        root = conf_source / folder
        files += sorted(root.glob("parameters*.yml")) + sorted(root.glob("parameters/**/*.yml"))
    return files


def disabled_where(scenario: str, conf_source: Path, env: str) -> Path | None:
    """The parameter file that switches ``scenario`` off with ``enabled: false``, if one does."""
    for path in _parameter_files(conf_source, env):
        content: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        spec = (content.get("failure_injection") or {}).get("scenarios", {}).get(scenario)
        if isinstance(spec, dict) and "enabled" in spec:
            return path if spec["enabled"] is False else None
    return None


def known_namespaces(conf_source: Path, env: str) -> set[str]:
    """Every node namespace, and each of its dotted prefixes, of the pipelines ``env`` registers."""
    from medslice.pipeline_registry import register_pipelines
    from medslice.pipelines import declared

    declared.use_config_loader(declared.parameters_loader(str(conf_source), env))
    try:
        pipelines = register_pipelines()
    finally:
        declared.use_config_loader(None)
    names = set()
    for pipeline in pipelines.values():
        for node in pipeline.nodes:
            parts = (node.namespace or "").split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)) if parts[0])
    return names


def check_namespaces(requested: Sequence[str], conf_source: Path, env: str) -> None:
    """Raise :class:`UnknownNamespaceError` for the first requested namespace no pipeline has."""
    known = known_namespaces(conf_source, env)
    for name in requested:
        if name in known:
            continue
        switched_off = disabled_where(name.split(".")[0], conf_source, env)
        if switched_off is not None:
            raise UnknownNamespaceError(
                f"namespace {name!r} belongs to scenario {name.split('.')[0]!r}, which is disabled",
                path=switched_off,
                fix="Set its `enabled: true` there, or pass "
                f'--params "failure_injection.scenarios.{name.split(".")[0]}.enabled=true".',
            )
        match = closest(name, sorted(known))
        hint = f"Did you mean --namespaces={match}? " if match else ""
        scenarios = sorted(n for n in known if "." not in n)
        raise UnknownNamespaceError(
            f"no pipeline of --env={env} has namespace {name!r}",
            fix=f"{hint}The scenario namespaces are: {', '.join(scenarios)} (each with .<variant> inside).",
        )


class CommandLineChecks:
    """The CLI hook implementation medslice registers."""

    @cli_hook_impl
    def before_command_run(self, project_metadata: Any, command_args: list[str]) -> None:
        """Install the compact error display; check ``--env`` and ``--namespaces`` of a medslice command."""
        if project_metadata is None or getattr(project_metadata, "package_name", None) != PACKAGE:
            return
        console_errors.install()
        project = Path(project_metadata.project_path)
        sources = option_values(command_args, CONF_SOURCE_OPTIONS)
        conf_source = Path(sources[-1]) if sources else project / "conf"
        if not conf_source.is_absolute():
            conf_source = Path.cwd() / conf_source
        if not conf_source.is_dir():
            return  # a packaged or remote configuration: Kedro reads it, and reports on it
        envs = option_values(command_args, ENV_OPTIONS)
        named = envs[-1] if envs else os.environ.get("KEDRO_ENV")
        if named:  # the default environment may be absent: Kedro then reads base alone
            check_environment(named, conf_source)
        env = named or DEFAULT_ENV
        requested = [
            name.strip()
            for value in option_values(command_args, NAMESPACE_OPTIONS)
            for name in value.split(",")
            if name.strip()
        ]
        if requested and command_args and command_args[0] == "run":
            check_namespaces(requested, conf_source, env)


cli_hooks = CommandLineChecks()
