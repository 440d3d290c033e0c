"""The hooks: missing inputs named before a run, the run's save version, where the report was written."""

from __future__ import annotations

from pathlib import Path

import kedro
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset, Version
from kedro.pipeline import Pipeline, node

from medslice.datasets import ParquetDataset, TextDataset
from medslice.hooks import ReportLocationHook, RunInfoHook, report_locations
from medslice.reporting.run_info import RunInfo


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


def _versioned_summary(tmp_path: Path, *saved_in: str) -> DataCatalog:
    """A catalog whose versioned ``metrics_summary`` was saved in the given runs."""
    for version in saved_in:
        ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, version)).save(
            pd.DataFrame({"value": [1.0]})
        )
    summary = ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, None))
    return DataCatalog({"metrics_summary": summary})


def _report(*inputs: str, namespace: str | None = None) -> Pipeline:
    pipeline = Pipeline([node(lambda *values: "", list(inputs), "audit_report", name="build_audit_report")])
    return Pipeline(pipeline, namespace=namespace) if namespace else pipeline


def test_the_report_gets_the_runs_id_as_a_dataset_and_nothing_else_changes(tmp_path: Path) -> None:
    run = "2026-11-29T08.00.00.000Z"
    catalog = _versioned_summary(tmp_path, "2026-11-28T08.00.00.000Z")
    whole = Pipeline([node(_identity, "metrics", "metrics_summary", name="combine_metrics")]) + _report(
        "metrics_summary", "run_info"
    )
    RunInfoHook().before_pipeline_run({"run_id": run, "env": "tiny"}, whole, catalog)
    info = catalog.load("run_info")
    # the run writes the summary it shows: its results are this run's, whatever is stored
    assert info == RunInfo(run_id=run, results_version=run, kedro_version=kedro.__version__, env="tiny")
    assert info.label == run and not info.rebuilt
    # a pipeline without a run_info input gets none
    bare = DataCatalog({})
    RunInfoHook().before_pipeline_run({"run_id": run}, _pipeline("audit_summary"), bare)
    assert "run_info" not in bare


def test_a_report_rebuilt_alone_names_the_results_run_and_the_rebuilding_run(tmp_path: Path) -> None:
    audit_run, rebuild_run = "2026-11-28T08.00.00.000Z", "2026-11-29T09.00.00.000Z"
    catalog = _versioned_summary(tmp_path, audit_run)
    RunInfoHook().before_pipeline_run(
        {"run_id": rebuild_run}, _report("metrics_summary", "run_info"), catalog
    )
    info = catalog.load("run_info")
    assert info.results_version == audit_run and info.rebuilt
    assert info.label == f"{audit_run} (report rebuilt in run {rebuild_run})"
    # pinned with --load-versions, the report names the pinned results, even in a run that writes them
    pinned = DataCatalog(
        {
            "metrics_summary": ParquetDataset(
                filepath=str(tmp_path / "summary.parquet"), version=Version(audit_run, None)
            )
        }
    )
    whole = Pipeline([node(_identity, "metrics", "metrics_summary", name="combine_metrics")]) + _report(
        "metrics_summary", "run_info"
    )
    params = {"run_id": rebuild_run, "load_versions": {"metrics_summary": audit_run}}
    RunInfoHook().before_pipeline_run(params, whole, pinned)
    assert pinned.load("run_info").results_version == audit_run


def test_an_unversioned_summary_falls_back_to_the_runs_save_version() -> None:
    catalog = DataCatalog({"user.metrics_summary": MemoryDataset(pd.DataFrame())})
    report = _report("metrics_summary", "run_info", namespace="user")
    RunInfoHook().before_pipeline_run({"run_id": "2026-11-29T08.00.00.000Z"}, report, catalog)
    info = catalog.load("user.run_info")
    assert info.results_version is None and info.label == "2026-11-29T08.00.00.000Z"
    assert RunInfo().label == "not recorded"
