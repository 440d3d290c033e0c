"""The pre-run checks: missing inputs, a misplaced synthetic release, an absent encoder, bad settings and a
bad predictions table are refused before the first node, in the order the checks are listed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset, Version
from kedro.pipeline import Pipeline, node

from medslice.datasets import CSVDataset, ParquetDataset, TextDataset
from medslice.encoders import MissingModelError
from medslice.hooks import PreflightHook
from medslice.pipelines import preflight, tags
from medslice.pipelines.preflight import (
    MissingInputError,
    RunPlan,
    SlicerSettingsError,
    SyntheticReleaseError,
    missing_inputs,
    run_checks,
)
from medslice.pipelines.preflight.inputs import check_missing_inputs, check_synthetic_release_location
from medslice.pipelines.preflight.parameters import check_encoder_present, check_slicer
from medslice.pipelines.preflight.predictions import check_user_predictions
from medslice.pipelines.settings_keys import UnknownSettingError
from medslice.scenarios import PredictionsError


def _identity(value: str) -> str:
    return value


def _pipeline(*outputs: str) -> Pipeline:
    return Pipeline([node(_identity, "metrics", output, name=f"make_{output}") for output in outputs])


def test_the_checks_run_in_the_stated_order() -> None:
    assert [check.__name__ for check in preflight.CHECKS] == [
        "check_synthetic_release_location",
        "check_missing_inputs",
        "check_encoder_present",
        "check_runtime_parameters_and_seed",
        "check_parameter_blocks",
        "check_slicer",
        "check_user_predictions",
    ]


def test_the_hook_runs_the_checks_with_the_projects_files(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "base" / "parameters.yml").write_text(
        "seed: 42\nslice_discovery:\n  slicer:\n    n_slices: 5\n"
    )
    loader = OmegaConfigLoader(conf_source=str(tmp_path), base_env="base", default_run_env="local")
    hook = PreflightHook()
    hook.after_context_created(SimpleNamespace(config_loader=loader, project_path=tmp_path))
    seeded = DataCatalog({"params:seed": MemoryDataset(7)})
    hook.before_pipeline_run({"runtime_params": {"seed": 7}}, _pipeline("x"), seeded)
    with pytest.raises(UnknownSettingError, match="'slicer_discovery'"):
        hook.before_pipeline_run({"runtime_params": {"slicer_discovery": {"n": 1}}}, _pipeline("x"), seeded)
    with pytest.raises(UnknownSettingError, match="seed must be a non-negative integer; got 'abc'"):
        hook.before_pipeline_run({}, _pipeline("x"), DataCatalog({"params:seed": MemoryDataset("abc")}))


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
    assert missing_inputs(RunPlan(pipeline, catalog)) == ["cohort", "user_predictions"]
    with pytest.raises(MissingInputError) as error:
        check_missing_inputs(RunPlan(pipeline, catalog, {}))
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
        check_missing_inputs(RunPlan(pipeline, catalog, {"env": "tiny"}))
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
        check_missing_inputs(RunPlan(pipeline, DataCatalog({"cohort": pinned}), {}))
    assert "version 2026-01-01T00.00.00.000Z (--load-versions) does not exist" in str(error.value)
    assert "2026-11-28T08.00.00.000Z" in str(error.value)


def test_a_run_with_every_input_present_starts(tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("ok")
    catalog = DataCatalog({"metrics": TextDataset(filepath=str(present))})
    pipeline = _pipeline("audit_report")
    check_missing_inputs(RunPlan(pipeline, catalog))  # no error
    assert missing_inputs(RunPlan(pipeline, catalog)) == []


def test_a_named_encoder_that_is_absent_stops_the_run_before_any_node(tmp_path: Path) -> None:
    absent = {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'no-biomedclip'}"}}
    encoder_run = Pipeline(
        [node(_identity, "cohort", "encoder", name="train_encoder", tags=tags.TRAINS_ENCODER)]
    )
    catalog = DataCatalog({"params:embedding": MemoryDataset(absent)})
    with pytest.raises(MissingModelError, match="no-biomedclip"):
        check_encoder_present(RunPlan(encoder_run, catalog))
    # a run that trains its encoder, or that does not make one, has nothing to look up
    trained = DataCatalog(
        {"params:embedding": MemoryDataset({"encoder": {**absent["encoder"], "train": True}})}
    )
    check_encoder_present(RunPlan(encoder_run, trained))
    check_encoder_present(RunPlan(_pipeline("audit_report"), catalog))


def test_the_synthetic_release_is_refused_outside_the_projects_data_folder(tmp_path: Path) -> None:
    synthetic = Pipeline(
        [
            node(
                _identity,
                "params:synthetic",
                "mimic_iv_patients",
                name="generate_synthetic_release",
                tags=tags.WRITES_SYNTHETIC_RELEASE,
            )
        ]
    )
    project = tmp_path / "project"
    outside = DataCatalog(
        {"mimic_iv_patients": ParquetDataset(filepath="/data/physionet.org/patients.parquet")}
    )
    with pytest.raises(
        SyntheticReleaseError, match=r"mimic_iv_patients \(/data/physionet.org/patients.parquet\)"
    ):
        check_synthetic_release_location(RunPlan(synthetic, outside, project_path=project))
    inside = DataCatalog(
        {
            "mimic_iv_patients": ParquetDataset(
                filepath=str(tmp_path / "project" / "data" / "01_raw" / "p.parquet")
            )
        }
    )
    check_synthetic_release_location(RunPlan(synthetic, inside, project_path=project))  # no error
    check_synthetic_release_location(
        RunPlan(_pipeline("audit_report"), outside, project_path=project)
    )  # other pipelines are not its business


def test_missing_inputs_are_reported_before_a_missing_encoder(tmp_path: Path) -> None:
    run = Pipeline([node(_identity, "cohort", "encoder", name="train_encoder", tags=tags.TRAINS_ENCODER)])
    absent = {"encoder": {"train": False, "model": f"local-dir:{tmp_path / 'no-biomedclip'}"}}
    catalog = DataCatalog(
        {
            "params:embedding": MemoryDataset(absent),
            "cohort": ParquetDataset(filepath=str(tmp_path / "cohort.parquet")),
        }
    )
    with pytest.raises(MissingInputError, match="cohort"):
        run_checks(RunPlan(run, catalog))


SMALL_DOMINO = {"slicer": {"method": "domino", "n_slices": 2, "n_mixture_components": 4}}


def _slicing_run() -> Pipeline:
    return Pipeline(
        [
            node(
                _identity,
                "user_predictions",
                "user.predictions",
                name="user.validate_user_predictions",
                tags=tags.VALIDATES_USER_PREDICTIONS,
            ),
            node(
                _identity,
                "user.predictions",
                "user.image.slices",
                name="user.image.discover_slices",
                tags=tags.DISCOVERS_SLICES,
            ),
        ]
    )


def test_invalid_slicer_settings_stop_the_run_before_any_node() -> None:
    bad = {"slicer": {**SMALL_DOMINO["slicer"], "n_slices": 5}}
    catalog = DataCatalog({"params:slice_discovery": MemoryDataset(bad)})
    with pytest.raises(SlicerSettingsError, match=r"slice_discovery.slicer: n_slices \(5\) cannot exceed"):
        check_slicer(RunPlan(_slicing_run(), catalog))
    typed = DataCatalog({"params:slice_discovery": MemoryDataset({"slicer": {"n_mixture_components": "20"}})})
    with pytest.raises(SlicerSettingsError, match="n_mixture_components must be an integer"):
        check_slicer(RunPlan(_slicing_run(), typed))
    # a run that does not slice is not held up by slicer settings
    check_slicer(RunPlan(_pipeline("audit_report"), catalog))
    check_slicer(
        RunPlan(_slicing_run(), DataCatalog({"params:slice_discovery": MemoryDataset(SMALL_DOMINO)}))
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
    csv.write_text("")
    with pytest.raises(PredictionsError, match=r"user_predictions \(.*user_predictions.csv\) cannot be read"):
        check_user_predictions(RunPlan(_slicing_run(), _user_catalog(csv)))
    csv.write_bytes("dicom_id,target,prob\né1,1,0.5\n".encode("latin-1"))
    with pytest.raises(PredictionsError, match="cannot be read.*UTF-8"):
        check_user_predictions(RunPlan(_slicing_run(), _user_catalog(csv)))
    csv.write_text("dicom_id;target;prob\na;1;0.5\n")
    with pytest.raises(PredictionsError, match="by semicolons: write it comma-separated; nothing was run"):
        check_user_predictions(RunPlan(_slicing_run(), _user_catalog(csv)))
    csv.write_text("dicom_id,target,prob\n" + "".join(f"d{i},{i % 2},0.{i}\n" for i in range(3)))
    with pytest.raises(PredictionsError, match="at least 4 rows.*bootstrap 0 has 3"):
        check_user_predictions(RunPlan(_slicing_run(), _user_catalog(csv)))


def test_a_good_or_absent_predictions_file_passes_the_pre_run_check(tmp_path: Path) -> None:
    csv = tmp_path / "user_predictions.csv"
    check_user_predictions(
        RunPlan(_slicing_run(), _user_catalog(csv))
    )  # absent: the missing-inputs check says so
    csv.write_text("dicom_id,target,prob\n" + "".join(f"d{i},{i % 2},0.{i}\n" for i in range(4)))
    check_user_predictions(RunPlan(_slicing_run(), _user_catalog(csv)))
    csv.write_text("")  # a run without the validation node does not read the file
    check_user_predictions(RunPlan(_pipeline("audit_report"), _user_catalog(csv)))
