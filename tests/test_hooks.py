"""The hooks: missing inputs named before a run, the run's save version, where the report was written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.hooks.manager import _create_hook_manager, _register_hooks
from kedro.io import DataCatalog, MemoryDataset, Version
from kedro.pipeline import Pipeline, node
from kedro_datasets.pandas import CSVDataset, ParquetDataset
from kedro_datasets.text import TextDataset

from medslice import settings
from medslice.encoders import MissingModelError
from medslice.hooks import (
    ENCODER_NODE,
    REPORT_NODE,
    SYNTHETIC_NODE,
    EncoderCheckHook,
    MissingInputError,
    MissingInputsHook,
    ProjectRelativePathsHook,
    ReportLocationHook,
    RunTimestampHook,
    SlicerSettingsCheckHook,
    SlicerSettingsError,
    SyntheticReleaseError,
    SyntheticReleaseGuardHook,
    UserPredictionsCheckHook,
    missing_inputs,
    report_locations,
)
from medslice.reporting.audit import run_label
from medslice.scenarios import PredictionsError


def _identity(value: str) -> str:
    return value


def _pipeline(*outputs: str) -> Pipeline:
    return Pipeline([node(_identity, "metrics", output, name=f"make_{output}") for output in outputs])


def test_the_report_and_summary_paths_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    catalog = DataCatalog(
        {
            "audit_report": TextDataset(filepath=str(tmp_path / "audit_report.html")),
            "audit_summary": TextDataset(filepath=str(tmp_path / "summary.md")),
        }
    )
    run = _pipeline("audit_report", "audit_summary")
    hook = ReportLocationHook()
    hook.before_pipeline_run()
    for made in run.nodes:
        hook.after_node_run(made)
    hook.after_pipeline_run({}, run, catalog)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"Audit report: {tmp_path / 'audit_report.html'}",
        f"Summary: {tmp_path / 'summary.md'}",
    ]
    # --only-missing-outputs skipped every node: nothing was written, so nothing is pointed at
    hook.before_pipeline_run()
    hook.after_pipeline_run({}, run, catalog)
    assert capsys.readouterr().out == ""
    # under DaskRunner the nodes ran in the workers, whose hooks this one never hears from
    hook.before_pipeline_run()
    hook.after_pipeline_run({"runner": "DaskRunner"}, run, catalog)
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_runs_that_do_not_write_the_report_say_nothing(tmp_path: Path) -> None:
    catalog = DataCatalog(
        {
            "audit_report": TextDataset(filepath=str(tmp_path / "audit_report.html")),
            "audit_summary": MemoryDataset(),
        }
    )
    # the report is in the catalog but this run did not build it; the summary has no file
    assert report_locations(_pipeline("audit_summary", "other"), catalog) == {}
    assert report_locations(_pipeline("audit_report"), catalog) == {
        "Audit report": str(tmp_path / "audit_report.html")
    }


def test_missing_inputs_stop_the_run_before_any_node(tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("ok")
    catalog = DataCatalog(
        {
            "user_predictions": TextDataset(filepath=str(tmp_path / "absent.csv")),
            "metrics": TextDataset(filepath=str(present)),
            "cohort": TextDataset(filepath=str(tmp_path / "cohort.txt")),
        }
    )
    pipeline = Pipeline(
        [
            node(_identity, "user_predictions", "a", name="read_predictions"),
            node(_identity, "metrics", "b", name="read_metrics"),
            node(_identity, "cohort", "c", name="read_cohort"),
        ]
    )
    assert missing_inputs(pipeline, catalog) == ["cohort", "user_predictions"]
    with pytest.raises(MissingInputError) as error:
        MissingInputsHook().before_pipeline_run({}, pipeline, catalog)
    message = str(error.value)
    assert f"user_predictions ({tmp_path / 'absent.csv'})" in message
    assert "docs/audit-your-model.md" in message
    assert "cohort" in message and "--load-versions" in message
    assert "metrics" not in message


def test_a_skipped_stages_hint_is_given_once_with_the_runs_environment(tmp_path: Path) -> None:
    names = ("cohort", "images", "reports")
    catalog = DataCatalog({name: TextDataset(filepath=str(tmp_path / f"{name}.txt")) for name in names})
    pipeline = Pipeline([node(_identity, name, f"{name}_out", name=f"read_{name}") for name in names])
    with pytest.raises(MissingInputError) as error:
        MissingInputsHook().before_pipeline_run({"env": "tiny"}, pipeline, catalog)
    message = str(error.value)
    assert all(f"- {name} (" in message for name in names)
    assert message.count("It is made by an earlier stage") == 1
    assert "`kedro run --pipeline=audit --env=tiny`" in message


def test_a_pinned_version_that_does_not_exist_is_named_with_the_existing_ones(tmp_path: Path) -> None:
    ParquetDataset(
        filepath=str(tmp_path / "cohort.parquet"), version=Version(None, "2026-11-28T08.00.00.000Z")
    ).save(pd.DataFrame({"a": [1]}))
    pinned = ParquetDataset(
        filepath=str(tmp_path / "cohort.parquet"), version=Version("2026-01-01T00.00.00.000Z", None)
    )
    pipeline = Pipeline([node(_identity, "cohort", "out", name="read_cohort")])
    with pytest.raises(MissingInputError) as error:
        MissingInputsHook().before_pipeline_run({}, pipeline, DataCatalog({"cohort": pinned}))
    assert "version 2026-01-01T00.00.00.000Z (--load-versions) does not exist" in str(error.value)
    assert "2026-11-28T08.00.00.000Z" in str(error.value)


def test_a_run_with_every_input_present_starts(tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("ok")
    catalog = DataCatalog({"metrics": TextDataset(filepath=str(present))})
    pipeline = _pipeline("audit_report")
    MissingInputsHook().before_pipeline_run({}, pipeline, catalog)  # no error
    assert missing_inputs(pipeline, catalog) == []


def _report_node(*inputs: str) -> object:
    return node(lambda *values: "", list(inputs), "audit_report", name=REPORT_NODE)


def _versioned_summary(tmp_path: Path, *saved_in: str) -> DataCatalog:
    """A catalog whose versioned ``metrics_summary`` was saved in the given runs."""
    for version in saved_in:
        ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, version)).save(
            pd.DataFrame({"value": [1.0]})
        )
    summary = ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, None))
    return DataCatalog({"metrics_summary": summary})


def test_the_report_node_gets_the_runs_save_version_and_no_other_node_does(tmp_path: Path) -> None:
    hook = RunTimestampHook()
    run = "2026-11-29T08.00.00.000Z"
    catalog = _versioned_summary(tmp_path, "2026-11-28T08.00.00.000Z", run)
    report = _report_node("metrics_summary", "parameters")
    other = node(_identity, "parameters", "metrics", name="summarize_metrics")
    parameters = {"seed": 42}
    # no run id: nothing to say
    assert hook.before_node_run(report, catalog, {"parameters": parameters}, None) is None
    # the run id comes with the node run itself, so a Dask worker's hook has it too
    assert hook.before_node_run(report, catalog, {"parameters": parameters}, run) == {
        "parameters": {"seed": 42, "run_timestamp": run}
    }
    assert parameters == {"seed": 42}  # the catalog's parameters are not mutated
    assert hook.before_node_run(other, catalog, {"parameters": parameters}, run) is None


def test_a_report_rebuilt_alone_names_the_results_run_and_the_rebuilding_run(tmp_path: Path) -> None:
    audit_run, rebuild_run = "2026-11-28T08.00.00.000Z", "2026-11-29T09.00.00.000Z"
    catalog = _versioned_summary(tmp_path, audit_run)
    hook = RunTimestampHook()
    stamped = hook.before_node_run(
        _report_node("metrics_summary", "parameters"), catalog, {"parameters": {"seed": 1}}, rebuild_run
    )
    assert stamped == {"parameters": {"seed": 1, "run_timestamp": audit_run, "report_run": rebuild_run}}
    assert run_label(stamped["parameters"]) == f"{audit_run} (report rebuilt in run {rebuild_run})"
    # pinned with --load-versions, the report names the pinned results
    pinned = DataCatalog(
        {
            "metrics_summary": ParquetDataset(
                filepath=str(tmp_path / "summary.parquet"), version=Version(audit_run, None)
            )
        }
    )
    assert (
        hook.before_node_run(
            _report_node("metrics_summary", "parameters"), pinned, {"parameters": {}}, rebuild_run
        )["parameters"]["run_timestamp"]
        == audit_run
    )


def test_an_unversioned_summary_falls_back_to_the_runs_save_version() -> None:
    hook = RunTimestampHook()
    catalog = DataCatalog({"user.metrics_summary": MemoryDataset(pd.DataFrame())})
    report = Pipeline(
        [_report_node("metrics_summary", "parameters")], namespace="user", parameters={"parameters"}
    ).nodes[0]
    stamped = hook.before_node_run(report, catalog, {"parameters": {}}, "2026-11-29T08.00.00.000Z")
    assert stamped == {"parameters": {"run_timestamp": "2026-11-29T08.00.00.000Z"}}
    assert run_label(stamped["parameters"]) == "2026-11-29T08.00.00.000Z"
    assert run_label({}) == "not recorded"


def test_a_named_encoder_that_is_absent_stops_the_run_before_any_node(tmp_path: Path) -> None:
    absent = {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'no-biomedclip'}"}}
    encoder_run = Pipeline([node(_identity, "cohort", "encoder", name=ENCODER_NODE)])
    catalog = DataCatalog({"params:embedding": MemoryDataset(absent)})
    with pytest.raises(MissingModelError, match="no-biomedclip"):
        EncoderCheckHook().before_pipeline_run({}, encoder_run, catalog)
    # a run that trains its encoder, or that does not make one, has nothing to look up
    trained = DataCatalog(
        {"params:embedding": MemoryDataset({"encoder": {**absent["encoder"], "train": True}})}
    )
    EncoderCheckHook().before_pipeline_run({}, encoder_run, trained)
    EncoderCheckHook().before_pipeline_run({}, _pipeline("audit_report"), catalog)


class _Context:
    def __init__(self, project_path: Path) -> None:
        self.project_path = project_path


def test_the_synthetic_release_is_refused_outside_the_projects_data_folder(tmp_path: Path) -> None:
    synthetic = Pipeline([node(_identity, "params:synthetic", "mimic_iv_patients", name=SYNTHETIC_NODE)])
    guard = SyntheticReleaseGuardHook()
    guard.after_context_created(_Context(tmp_path / "project"))
    outside = DataCatalog(
        {"mimic_iv_patients": ParquetDataset(filepath="/data/physionet.org/patients.parquet")}
    )
    with pytest.raises(
        SyntheticReleaseError, match=r"mimic_iv_patients \(/data/physionet.org/patients.parquet\)"
    ):
        guard.before_pipeline_run({}, synthetic, outside)
    inside = DataCatalog(
        {
            "mimic_iv_patients": ParquetDataset(
                filepath=str(tmp_path / "project" / "data" / "01_raw" / "p.parquet")
            )
        }
    )
    guard.before_pipeline_run({}, synthetic, inside)  # no error
    guard.before_pipeline_run({}, _pipeline("audit_report"), outside)  # other pipelines are not its business


def test_missing_inputs_are_reported_before_a_missing_encoder(tmp_path: Path) -> None:
    # pluggy calls implementations last-registered first: settings.HOOKS lists the checks bottom-up
    manager = _create_hook_manager()
    _register_hooks(manager, settings.HOOKS)
    run = Pipeline([node(_identity, "cohort", "encoder", name=ENCODER_NODE)])
    absent = {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'no-biomedclip'}"}}
    catalog = DataCatalog(
        {
            "params:embedding": MemoryDataset(absent),
            "cohort": ParquetDataset(filepath=str(tmp_path / "cohort.parquet")),
        }
    )
    with pytest.raises(MissingInputError, match="cohort"):
        manager.hook.before_pipeline_run(run_params={}, pipeline=run, catalog=catalog)


def test_a_relative_shard_folder_resolves_against_the_project_root(tmp_path: Path) -> None:
    hook = ProjectRelativePathsHook()
    settings_in = {"shard_dir": "data/04_feature/shards", "shard_size": 8}
    assert hook.before_node_run({"params:embedding": settings_in}) is None  # no session, nothing to resolve
    hook.after_context_created(_Context(tmp_path))
    resolved = hook.before_node_run({"params:embedding": settings_in})
    assert resolved == {
        "params:embedding": {"shard_dir": str(tmp_path / "data/04_feature/shards"), "shard_size": 8}
    }
    assert hook.before_node_run({"params:embedding": {"shard_dir": "/abs/shards"}}) is None
    assert hook.before_node_run({"cohort": object()}) is None


SMALL_DOMINO = {"slicer": {"method": "domino", "n_slices": 2, "n_mixture_components": 4}}


def _slicing_run() -> Pipeline:
    return Pipeline(
        [
            node(_identity, "user_predictions", "user.predictions", name="user.validate_user_predictions"),
            node(_identity, "user.predictions", "user.image.slices", name="user.image.discover_slices"),
        ]
    )


def test_invalid_slicer_settings_stop_the_run_before_any_node() -> None:
    bad = {"slicer": {**SMALL_DOMINO["slicer"], "n_slices": 5}}
    catalog = DataCatalog({"params:slice_discovery": MemoryDataset(bad)})
    with pytest.raises(SlicerSettingsError, match=r"slice_discovery.slicer: n_slices \(5\) cannot exceed"):
        SlicerSettingsCheckHook().before_pipeline_run({}, _slicing_run(), catalog)
    typed = DataCatalog({"params:slice_discovery": MemoryDataset({"slicer": {"n_mixture_components": "20"}})})
    with pytest.raises(SlicerSettingsError, match="n_mixture_components must be an integer"):
        SlicerSettingsCheckHook().before_pipeline_run({}, _slicing_run(), typed)
    # a run that does not slice is not held up by slicer settings
    SlicerSettingsCheckHook().before_pipeline_run({}, _pipeline("audit_report"), catalog)
    SlicerSettingsCheckHook().before_pipeline_run(
        {}, _slicing_run(), DataCatalog({"params:slice_discovery": MemoryDataset(SMALL_DOMINO)})
    )


def _user_catalog(path: Path) -> DataCatalog:
    return DataCatalog(
        {
            "user_predictions": CSVDataset(filepath=str(path)),
            "params:slice_discovery": MemoryDataset(SMALL_DOMINO),
        }
    )


def test_a_bad_predictions_file_stops_the_run_before_any_node(tmp_path: Path) -> None:
    csv = tmp_path / "user_predictions.csv"
    hook = UserPredictionsCheckHook()
    csv.write_text("")
    with pytest.raises(PredictionsError, match=r"user_predictions \(.*user_predictions.csv\) cannot be read"):
        hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))
    csv.write_bytes("dicom_id,target,prob\né1,1,0.5\n".encode("latin-1"))
    with pytest.raises(PredictionsError, match="cannot be read.*UTF-8"):
        hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))
    csv.write_text("dicom_id;target;prob\na;1;0.5\n")
    with pytest.raises(PredictionsError, match="by semicolons: write it comma-separated; nothing was run"):
        hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))
    csv.write_text("dicom_id,target,prob\n" + "".join(f"d{i},{i % 2},0.{i}\n" for i in range(3)))
    with pytest.raises(PredictionsError, match="at least 4 rows.*bootstrap 0 has 3"):
        hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))


def test_a_good_or_absent_predictions_file_passes_the_pre_run_check(tmp_path: Path) -> None:
    csv = tmp_path / "user_predictions.csv"
    hook = UserPredictionsCheckHook()
    hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))  # absent: MissingInputsHook's to say
    csv.write_text("dicom_id,target,prob\n" + "".join(f"d{i},{i % 2},0.{i}\n" for i in range(4)))
    hook.before_pipeline_run({}, _slicing_run(), _user_catalog(csv))
    csv.write_text("")  # a run without the validation node does not read the file
    hook.before_pipeline_run({}, _pipeline("audit_report"), _user_catalog(csv))
