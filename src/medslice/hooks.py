"""Kedro hooks: namespaces from the session's configuration, missing inputs and bad settings named before
any work, the run's save version for the report, and where the report and summary went."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.framework import project as kedro_project
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import AbstractVersionedDataset, DataCatalog, DatasetError
from kedro.pipeline import Node, Pipeline

from medslice import console_errors
from medslice.datasets.missing_release import HOW_TO_FIX
from medslice.datasets.versions import CorruptVersionError, ReadableVersionsMixin
from medslice.errors import BadValueError, MedsliceError
from medslice.pipelines import declared, preflight
from medslice.pipelines.embedding.nodes import check_named_encoder
from medslice.pipelines.settings_keys import UnknownSettingError, check_runtime_parameters
from medslice.scenarios.user_predictions import (
    PredictionsError,
    check_predictions_table,
    check_rows_per_bootstrap,
)
from medslice.slicing.per_bootstrap import check_slicer_settings

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
        filepath = catalog.get(name)._describe().get("filepath")
        if filepath is not None:
            locations[label] = str(filepath)
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


# How to provide the inputs a user supplies; anything else is made by an earlier run.
INPUT_HINTS: dict[str, str] = {
    "mimic_cxr_jpg": HOW_TO_FIX.format(key="mimic_cxr_jpg"),
    "mimic_cxr_reports": HOW_TO_FIX.format(key="mimic_cxr_reports"),
    "mimic_iv_patients": HOW_TO_FIX.format(key="mimic_iv_hosp"),
    "mimic_iv_admissions": HOW_TO_FIX.format(key="mimic_iv_hosp"),
    "user_predictions": "Write your classifier's predictions there (columns dicom_id, target, prob and "
    "optionally bootstrap); see docs/audit-your-model.md.",
}
MADE_BY_AN_EARLIER_RUN = (
    "It is made by an earlier stage: run that stage first (`kedro run --pipeline=audit` makes every one), "
    "or choose an existing version with `--load-versions`."
)


class MissingInputError(MedsliceError, RuntimeError):
    """A run's input does not exist; raised before any node runs."""


def _location(catalog: DataCatalog, name: str) -> str:
    description = catalog.get(name)._describe()
    location = description.get("filepath") or description.get("path")
    return f" ({location})" if location else ""


def missing_inputs(pipeline: Pipeline, catalog: DataCatalog) -> list[str]:
    """The pipeline's free inputs (parameters aside) that the catalog cannot load."""
    names = [n for n in sorted(pipeline.inputs()) if n != "parameters" and not n.startswith("params:")]
    return [name for name in names if name in catalog and not catalog.exists(name)]


def _pinned_version_note(catalog: DataCatalog, name: str) -> str | None:
    """For a ``--load-versions`` pin that does not exist: say so and list the versions that do."""
    dataset = catalog.get(name)
    pinned = getattr(getattr(dataset, "_version", None), "load", None)
    if not isinstance(dataset, AbstractVersionedDataset) or pinned is None:
        return None
    root = Path(str(dataset._filepath))
    existing = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    shown = ", ".join(existing[-3:]) if existing else "none"
    return f"version {pinned} (--load-versions) does not exist; the newest versions are: {shown}."


class MissingInputsHook:
    """Stop a run whose inputs are missing before it spends time on the stages before them."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Raise :class:`MissingInputError` naming each missing input, where it was sought and the fix."""
        missing = missing_inputs(pipeline, catalog)
        if not missing:
            return
        env = run_params.get("env")
        earlier = MADE_BY_AN_EARLIER_RUN.replace(
            "--pipeline=audit`", f"--pipeline=audit --env={env}`" if env else "--pipeline=audit`"
        )
        lines, made_earlier = [], []
        for name in missing:
            hint = _pinned_version_note(catalog, name) or INPUT_HINTS.get(name)
            if hint is None:  # said once below, however many of a skipped stage's outputs are missing
                made_earlier.append(f"- {name}{_location(catalog, name)}")
            else:
                lines.append(f"- {name}{_location(catalog, name)}: {hint}")
        if made_earlier:
            lines += [*made_earlier, f"  {earlier}"]
        raise MissingInputError("This run's inputs do not exist; nothing was run.\n" + "\n".join(lines))


SYNTHETIC_NODE = "generate_synthetic_release"


class SyntheticReleaseError(MedsliceError, RuntimeError):
    """The synthetic release would be written outside the project's data folder."""


class SyntheticReleaseGuardHook:
    """Refuse to write the synthetic release anywhere but under the project's ``data/`` folder.

    Under ``--env=mimic`` the raw datasets point at the PhysioNet download: a synthetic run there would
    put fake images and reports where real ones are expected (the overwrite check only protects a release
    that already exists).
    """

    def __init__(self) -> None:
        self._data_root: Path | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Remember the project's data folder."""
        self._data_root = (Path(context.project_path) / "data").resolve()

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Raise :class:`SyntheticReleaseError` naming every output that lies outside ``data/``."""
        del run_params
        if self._data_root is None:
            return
        outside = [
            f"- {name}{_location(catalog, name)}"
            for node in pipeline.nodes
            if node.name == SYNTHETIC_NODE
            for name in node.outputs
            if name in catalog and not _is_under(catalog, name, self._data_root)
        ]
        if outside:
            raise SyntheticReleaseError(
                f"The synthetic release is written only under {self._data_root}; this environment points "
                "these outputs elsewhere (a real download's place?), so nothing was run:\n"
                + "\n".join(outside)
                + "\nRun `kedro run --pipeline=synthetic` without --env=mimic, or point "
                "conf/<env>/globals.yml at data/."
            )


def _is_under(catalog: DataCatalog, name: str, root: Path) -> bool:
    """Whether a dataset's file or folder lies under ``root`` (datasets without a path are in memory)."""
    description = catalog.get(name)._describe()
    location = description.get("filepath") or description.get("path")
    return location is None or Path(str(location)).resolve().is_relative_to(root)


class ProjectRelativePathsHook:
    """Resolve the relative folders in parameters against the project root, as Kedro does for the catalog.

    ``embedding.shard_dir`` is a parameter, not a dataset, so a run or a notebook session started outside the
    project root (``notebooks/``) would otherwise write a second, unreused set of shards there.
    """

    def __init__(self) -> None:
        self._project_path: Path | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Remember the project root."""
        self._project_path = Path(context.project_path)

    @hook_impl
    def before_node_run(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        """Make ``params:embedding``'s ``shard_dir`` absolute under the project root."""
        embedding = inputs.get("params:embedding")
        if self._project_path is None or not isinstance(embedding, dict) or "shard_dir" not in embedding:
            return None
        shard_dir = Path(str(embedding["shard_dir"]))
        if shard_dir.is_absolute():
            return None
        return {"params:embedding": {**embedding, "shard_dir": str(self._project_path / shard_dir)}}


REPORT_NODE = "build_audit_report"


class RunTimestampHook:
    """Hand the report node the save version of the results it shows, and the run that built it.

    Nodes never read the clock (reruns stay reproducible). The results' version is the load version of the
    report's ``metrics_summary``: in a whole audit it is this run's save version (the session id); when
    the report is rebuilt alone (``--nodes=build_audit_report``) it is the earlier run's, and the rebuilding
    run is named beside it. Either way the report names the save version of the metrics it shows; pass it
    to ``--load-versions`` as ``metrics_summary:<version>``. The slicer settings it shows are those recorded
    with the slices (``slicing_settings``), whichever run reads them.
    """

    @hook_impl
    def before_node_run(
        self, node: Node, catalog: DataCatalog, inputs: dict[str, Any], run_id: str | None
    ) -> dict[str, Any] | None:
        """Add ``run_timestamp`` (and ``report_run`` when it differs) to the report node's ``parameters``.

        The run id is the session id, which Kedro also uses as the save version. It is taken from the node
        run itself, so the report gets it on a Dask worker as in the driver.
        """
        save_version = run_id
        is_report = node.name.rsplit(".", 1)[-1] == REPORT_NODE  # `user.build_audit_report` too
        if not is_report or save_version is None or "parameters" not in inputs:
            return None
        summaries = [name for name in node.inputs if name.rsplit(".", 1)[-1] == "metrics_summary"]
        results = _load_version(catalog, summaries[0]) if summaries else None
        stamps = {"run_timestamp": results or save_version}
        if results is not None and results != save_version:
            stamps["report_run"] = save_version
        return {"parameters": {**inputs["parameters"], **stamps}}


def _load_version(catalog: DataCatalog, name: str) -> str | None:
    """The version a versioned dataset loads (pinned by ``--load-versions`` or the newest); None otherwise."""
    dataset = catalog.get(name)
    if not isinstance(dataset, AbstractVersionedDataset):
        return None
    try:
        return dataset.resolve_load_version()
    except DatasetError:
        return None


ENCODER_NODE = "train_encoder"


class EncoderCheckHook:
    """Refuse a run whose named encoder (e.g. BiomedCLIP in ``conf/mimic``) is absent, before any node.

    Kedro orders independent nodes by name, so every scenario's classifiers would be trained before
    ``train_encoder`` got to say that the encoder is missing.
    """

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Resolve ``embedding.encoder`` when the run includes ``train_encoder``."""
        del run_params
        if any(node.name == ENCODER_NODE for node in pipeline.nodes) and "params:embedding" in catalog:
            check_named_encoder(catalog.load("params:embedding"))


SLICER_PARAMETERS = "params:slice_discovery"


def _slicer_config(pipeline: Pipeline, catalog: DataCatalog) -> dict[str, Any] | None:
    """The run's ``slice_discovery.slicer`` settings when it discovers slices; None otherwise."""
    discovers = any(node.name.endswith(".discover_slices") for node in pipeline.nodes)
    if not discovers or SLICER_PARAMETERS not in catalog:
        return None
    return dict(catalog.load(SLICER_PARAMETERS).get("slicer", {}))


class SlicerSettingsError(BadValueError):
    """The run's slicer settings are invalid; raised before any node runs."""


class SlicerSettingsCheckHook:
    """Refuse invalid slicer settings before a run trains classifiers and encoders for minutes first."""

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Build the configured slicer and check its settings as ``fit`` would, when the run slices."""
        del run_params
        config = _slicer_config(pipeline, catalog)
        if config is None:
            return
        try:
            check_slicer_settings(config)
        except (TypeError, ValueError) as error:
            raise SlicerSettingsError(f"slice_discovery.slicer: {error}; nothing was run.") from error


USER_PREDICTIONS = "user_predictions"
UNREADABLE_HINT = (
    "save it as a comma-separated UTF-8 text file with a header row: dicom_id,target,prob "
    "(docs/audit-your-model.md)"
)


class UserPredictionsCheckHook:
    """Check ``user_predictions.csv`` before ingestion and embedding run in front of its validation node.

    The cohort-free checks (columns, values, duplicates) and the slicer's minimum rows per bootstrap run
    here; the node repeats them with the cohort's ids, which only ingestion can supply.
    """

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Load and check the table when the run validates user predictions and the file exists."""
        del run_params
        validates = any(node.name.endswith(".validate_user_predictions") for node in pipeline.nodes)
        if not validates or USER_PREDICTIONS not in catalog or not catalog.exists(USER_PREDICTIONS):
            return  # a missing file is MissingInputsHook's to report
        try:
            table = catalog.load(USER_PREDICTIONS)
        except DatasetError as error:
            # Kedro's message starts with the dataset's repr; its last line is the reader's own complaint.
            cause = str(error.__cause__ or error).strip().splitlines()[-1]
            raise PredictionsError(
                f"{USER_PREDICTIONS}{_location(catalog, USER_PREDICTIONS)} cannot be read ({cause}); "
                f"{UNREADABLE_HINT}; nothing was run."
            ) from error
        try:
            checked = check_predictions_table(table)
            config = _slicer_config(pipeline, catalog)
            if config is not None:
                check_rows_per_bootstrap(checked, check_slicer_settings(config))
        except PredictionsError as error:
            raise PredictionsError(
                f"{USER_PREDICTIONS}{_location(catalog, USER_PREDICTIONS)}: {error}; nothing was run."
            ) from error


class SettingsPreflightHook:
    """Refuse a run whose settings a node would refuse, before ingestion writes its first version."""

    @hook_impl
    def before_pipeline_run(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        """Check every parameter input of the pipeline (:mod:`medslice.pipelines.preflight`)."""
        preflight.check_settings(pipeline, catalog)


class RuntimeParamsCheckHook:
    """Refuse ``--params`` that no node can read, and a non-integer seed, before any node runs.

    Kedro merges any ``--params`` path into the parameters, so a misspelt one runs with the defaults and
    says nothing; the blocks that nodes read key by key check their own keys (``settings_keys``).
    """

    def __init__(self) -> None:
        self._files: dict[str, Any] | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        """Read the parameter files of the session's environment, without its runtime parameters."""
        loader = context.config_loader
        env = getattr(loader, "env", None) or getattr(loader, "default_run_env", None) or "local"
        self._files = declared.file_parameters(str(loader.conf_source), env)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: DataCatalog) -> None:
        """Raise ``UnknownSettingError`` for an undeclared top-level name; log second-level doubts."""
        runtime = run_params.get("runtime_params") or {}
        if runtime and self._files is not None:
            for note in check_runtime_parameters(runtime, self._files):
                logger.warning(note)
        if "params:seed" in catalog:
            seed = catalog.load("params:seed")
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise UnknownSettingError(f"seed must be a non-negative integer; got {seed!r}")
