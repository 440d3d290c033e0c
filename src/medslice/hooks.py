"""Kedro hooks: namespaces from the session's configuration, missing inputs and bad settings named before
any work, the run's identity for the report (``run_info``), and where the report and summary went."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import kedro
from kedro.framework import project as kedro_project
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import AbstractVersionedDataset, DataCatalog, DatasetError
from kedro.pipeline import Node, Pipeline

from medslice import console_errors
from medslice.datasets.versions import CorruptVersionError, ReadableVersionsMixin
from medslice.pipelines import declared, preflight
from medslice.reporting.run_info import RunInfo

logger = logging.getLogger(__name__)

# The datasets a reader opens after an audit, with how to name them.
REPORT_OUTPUTS: dict[str, str] = {
    "audit_report": "Audit report",
    "audit_summary": "Summary",
    "user.audit_report": "Audit report",  # `audit_predictions` writes its own, beside the planted audit's
    "user.audit_summary": "Summary",
}


def report_locations(pipeline: Pipeline, catalog: DataCatalog, ran: set[str] | None = None) -> dict[str, str]:
    """``{label: path}`` for every report output this pipeline wrote that the catalog stores in a file.

    ``ran``: the outputs of the nodes that actually ran (``--only-missing-outputs`` may skip them all).
    """
    written = pipeline.all_outputs() if ran is None else pipeline.all_outputs() & ran
    locations = {}
    for name, label in REPORT_OUTPUTS.items():
        if name not in written or name not in catalog:
            continue
        location = getattr(catalog.get(name), "location", None)
        if location is not None:
            locations[label] = location()
    return locations


def writer_of(dataset: str) -> str | None:
    """The name of the registered node that outputs ``dataset``, if one does."""
    for pipeline in kedro_project.pipelines.values():
        for node in pipeline.nodes:
            if dataset in node.outputs:
                return node.name
    return None


class CorruptVersionAdviceHook:
    """Name the dataset and the node behind a corrupt newest version, so the way out can be copied."""

    @hook_impl
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Fill :class:`CorruptVersionError`'s fix with the node to rerun and the ``--load-versions`` pin."""
        corrupt = error if isinstance(error, CorruptVersionError) else error.__cause__
        if not isinstance(corrupt, CorruptVersionError) or corrupt.path is None:
            return
        root = Path(corrupt.path).parent.parent
        for name in sorted(pipeline.datasets()):
            dataset = catalog.get(name) if name in catalog else None
            if isinstance(dataset, ReadableVersionsMixin) and dataset.versions_root() == root:
                env = f" --env={run_params['env']}" if run_params.get("env") else ""
                writer = writer_of(name)
                rerun = f"`kedro run{env} --nodes={writer}`" if writer else "the node that writes it"
                pin = (
                    f", or load the newest good version with `--load-versions={name}:{corrupt.good_version}`"
                    if corrupt.good_version
                    else " (no older version loads)"
                )
                corrupt.fix = f"Rerun {rerun} to write a new version{pin}."
                return


class OneScreenErrorsHook:
    """Print medslice's errors as a few lines on the console, with the traceback in ``info.log``.

    Kedro's logging installs rich's traceback handler when the project is configured; this chains
    :func:`medslice.console_errors.install` in front of it once the context exists, so every error from
    the hooks' checks, the nodes and the datasets is covered. Other exceptions keep the full traceback.
    """

    @hook_impl
    def after_context_created(self) -> None:
        """Chain the compact excepthook (idempotent)."""
        console_errors.install()


class ReportLocationHook:
    """After a run that built the report, print where it is, since that is what people open next."""

    def __init__(self) -> None:
        self._ran: set[str] | None = None

    @hook_impl
    def before_pipeline_run(self) -> None:
        """Start a new record of the outputs written."""
        self._ran = set()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        """Record the outputs of a node that ran."""
        if self._ran is not None:
            self._ran.update(node.outputs)

    @hook_impl
    def after_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Print the report and summary paths of the run, if it wrote them."""
        # Under DaskRunner the nodes run (and call after_node_run) in the workers, not here: then every
        # output of the pipeline counts as written.
        remote = "DaskRunner" in str(run_params.get("runner", ""))
        for label, path in report_locations(pipeline, catalog, None if remote else self._ran).items():
            # Printed, not logged: the rich log handler wraps long paths, and this one is to be copied.
            print(f"{label}: {path}", flush=True)


class DeclaredNamespacesHook:
    """Build the scenario and variant namespaces from the session's own configuration.

    Without it the registry would read the conf folder with a loader of its own, which sees only
    ``KEDRO_ENV`` (not ``--env``) and, worse, replaces the process-wide ``globals`` resolver.
    """

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Hand the session's config loader to :mod:`medslice.pipelines.declared`, and rebuild the registry.

        Kedro builds the pipelines once per process; a second session with another ``--env`` (a notebook,
        a test) would otherwise run the first one's namespaces with its own parameters.
        """
        declared.use_config_loader(context.config_loader)
        package = kedro_project.PACKAGE_NAME  # read now: configure_project sets it after import
        if package:
            kedro_project.pipelines.configure(f"{package}.pipeline_registry")


class PreflightHook:
    """Run every pre-run check (:mod:`medslice.pipelines.preflight`) before the first node, in its order."""

    def __init__(self) -> None:
        self._project_path: Path | None = None
        self._file_parameters: dict[str, Any] | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Remember the project's folder and its environment's parameters as in the files."""
        self._project_path = Path(context.project_path)
        loader = context.config_loader
        env = getattr(loader, "env", None) or getattr(loader, "default_run_env", None) or "local"
        self._file_parameters = declared.file_parameters(str(loader.conf_source), env)

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Raise the first check's error, naming what to fix; nothing has run yet."""
        plan = preflight.RunPlan(pipeline, catalog, run_params, self._project_path, self._file_parameters)
        preflight.run_checks(plan)


RUN_INFO = "run_info"


class RunInfoHook:
    """Put a :class:`~medslice.reporting.run_info.RunInfo` in the catalog as each ``run_info`` the run reads.

    Nodes never read the clock (reruns stay reproducible); the report takes the run's identity as this
    input. The results' version is the version of ``metrics_summary`` (``user.metrics_summary`` for
    ``user.run_info``) that the report loads: this run's save version (the session id) when the run writes
    it, else the one pinned with ``--load-versions`` or the newest stored, so a report rebuilt alone
    (``--nodes=build_audit_report``) names the earlier run beside the rebuilding one. Set before the runner
    starts, it is a free in-memory input, which the DaskRunner publishes to its workers like any other.
    """

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Set every ``[<namespace>.]run_info`` input of the pipeline."""
        run_id = run_params.get("run_id") or run_params.get("session_id")
        pinned = run_params.get("load_versions") or {}
        for name in sorted(pipeline.inputs()):
            if name.rsplit(".", 1)[-1] != RUN_INFO:
                continue
            summary = name[: -len(RUN_INFO)] + "metrics_summary"
            written = summary in pipeline.all_outputs() and summary not in pinned
            catalog[name] = RunInfo(
                run_id=run_id,
                results_version=run_id if written else _load_version(catalog, summary),
                kedro_version=kedro.__version__,
                env=run_params.get("env"),
            )


def _load_version(catalog: DataCatalog, name: str) -> str | None:
    """The version a versioned dataset loads (pinned by ``--load-versions`` or the newest); None otherwise."""
    if name not in catalog:
        return None
    dataset = catalog.get(name)
    if not isinstance(dataset, AbstractVersionedDataset):
        return None
    try:
        return dataset.resolve_load_version()
    except DatasetError:
        return None
