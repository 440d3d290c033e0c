"""Refusals on the real `kedro` CLI: a few lines naming what, where and the fix; the traceback in info.log.

Every run here is refused before its first node (or on one cheap node), on a tiny synthetic release, so the
file costs a few seconds per case.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from tests.tiny_project import kedro, new_project, run_kedro

METADATA = "data/01_raw/mimic-cxr-jpg/2.1.0/mimic-cxr-2.0.0-metadata.csv.gz"
SCREEN = 12  # lines of an error's own display, Kedro's log lines aside


def refused(project: Path, *args: str) -> str:
    """The stderr of a `kedro` call that must fail; checks the display is short and the log has the rest."""
    log = project / "info.log"
    before = log.stat().st_size if log.exists() else 0
    result = run_kedro(project, *args)
    assert result.returncode != 0, result.stdout[-2000:]
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    assert len(result.stderr.strip().splitlines()) <= SCREEN, result.stderr
    assert "Traceback (most recent call last)" in log.read_text()[before:]
    return result.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = new_project(tmp_path_factory.mktemp("cli_errors"))
    kedro(project, "run", "--pipelines=synthetic", "--env=tiny")
    for layer in (project / "data").iterdir():  # the release's own run may leave versions beside it
        if layer.name != "01_raw":
            shutil.rmtree(layer)
            layer.mkdir()
    return project


def test_an_unknown_environment_lists_those_that_exist(project: Path) -> None:
    shown = refused(project, "run", "--env=tny")
    assert "UnknownEnvironmentError: there is no environment 'tny'" in shown
    assert "Did you mean --env=tiny?" in shown and "mimic" in shown and "paper_code" in shown


def test_a_misspelt_namespace_gets_did_you_mean(project: Path) -> None:
    shown = refused(project, "run", "--env=tiny", "--namespaces=spurius_correlation")
    assert "Did you mean --namespaces=spurious_correlation?" in shown


def test_a_disabled_namespace_says_where_it_is_disabled(project: Path) -> None:
    shown = refused(project, "run", "--env=tiny", "--namespaces=portable_shortcut.image")
    assert "scenario 'portable_shortcut', which is disabled" in shown
    assert "conf/tiny/parameters/failure_injection.yml" in shown


def test_bad_run_settings_stop_the_run_before_ingestion_writes(project: Path) -> None:
    shown = refused(project, "run", "--env=tiny", "--params", "failure_injection.run.audit_draws=-1")
    assert (
        "SettingsError" in shown
        and "failure_injection.run.audit_draws" in shown
        and "nothing was run" in shown
    )
    assert not any((project / "data" / "02_intermediate").iterdir())


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "bad value"])
def test_a_damaged_metadata_table_is_named_with_column_and_line(
    project: Path, tmp_path: Path, damage: str
) -> None:
    copy = new_project(tmp_path / "copy", raw_from=project)
    path = copy / METADATA
    whole = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(whole[: len(whole) // 2])
    elif damage == "random bytes":
        path.write_bytes(bytes(range(256)) * 40)
    else:
        lines = gzip.decompress(whole).decode().split("\n")
        header = lines[0].split(",")
        cells = lines[4].split(",")
        cells[header.index("StudyTime")] = "xyz"
        lines[4] = ",".join(cells)
        path.write_bytes(gzip.compress("\n".join(lines).encode(), mtime=0))
    shown = refused(copy, "run", "--env=tiny", "--pipelines=ingestion")
    assert "DamagedFileError" in shown and "mimic-cxr-2.0.0-metadata.csv.gz" in shown
    if damage == "bad value":
        assert "column 'StudyTime', line 5" in shown
    else:
        assert "Download the file again" in shown


def test_a_corrupt_newest_version_names_the_node_and_the_good_version(project: Path, tmp_path: Path) -> None:
    copy = new_project(tmp_path / "copy", raw_from=project)
    for _ in range(2):
        kedro(copy, "run", "--env=tiny", "--pipelines=ingestion")
    versions = sorted((copy / "data/02_intermediate/images.parquet").iterdir())
    newest = versions[-1] / "images.parquet"
    newest.write_bytes(newest.read_bytes()[:100])
    shown = refused(copy, "run", "--env=tiny", "--nodes=build_cohort")
    assert f"version {versions[-1].name} of images.parquet is corrupt" in shown
    assert "`kedro run --env=tiny --nodes=build_images_table`" in shown
    pin = f"--load-versions=images:{versions[0].name}"
    assert pin in shown
    kedro(copy, "run", "--env=tiny", "--nodes=build_cohort", pin)  # the way out works
    shutil.rmtree(copy)


def test_a_misspelt_typed_setting_gets_did_you_mean_before_any_node(project: Path) -> None:
    shown = refused(project, "run", "--env=tiny", "--params", "explanation.phrases.min_dff=3")
    assert "did you mean explanation.phrases.min_df?" in shown and "nothing was run" in shown
    assert not any((project / "data" / "02_intermediate").iterdir())
