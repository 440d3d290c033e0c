"""The audit engine end to end on `tiny`: a run killed twice resumes to the same bytes, and a run on a Dask
cluster (scheduler and workers started as the user guide says) gives the same bytes as the sequential one."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.tiny_project import kedro, kedro_command, kedro_environment, latest, new_project, output_bytes


def _run_until(project: Path, ready: Callable[[], bool], timeout: float = 600) -> None:
    """Start a whole audit and SIGKILL its process group as soon as ``ready()`` holds."""
    process = subprocess.Popen(
        kedro_command("run", "--pipelines=audit", "--env=tiny"),
        cwd=project,
        env=kedro_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert process.poll() is None, "the audit ended before the stage it was to be killed at"
            assert time.monotonic() < deadline, "the audit never reached the stage it was to be killed at"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _newest_versions_are_whole(data: Path) -> None:
    """Every newest version a later run would load opens: no half-written file carries a version's name."""
    for folder in data.rglob("*"):
        versions = sorted(folder.glob(f"*/{folder.name}")) if folder.is_dir() else []
        if not versions or not versions[-1].is_file():
            continue
        newest = versions[-1]
        if newest.suffix == ".parquet":
            pq.read_metadata(newest)
        elif newest.suffix == ".json":
            json.loads(newest.read_text())


@pytest.mark.slow
def test_an_audit_killed_twice_resumes_to_the_same_bytes(tiny_audit: Path, tmp_path: Path) -> None:
    expected = output_bytes(tiny_audit)
    project = new_project(tmp_path / "killed", raw_from=tiny_audit)
    data = project / "data"
    checkpoints = data / "06_models" / "checkpoints"
    # 1. during failure injection, once the first unit of work is kept
    _run_until(project, lambda: any(checkpoints.rglob("*.pkl")))
    _newest_versions_are_whole(data)
    kept = {path.name for path in checkpoints.rglob("*.pkl")}
    # 2. during slice discovery, once the first slices are written
    _run_until(project, lambda: any((data / "07_model_output").glob("*/*/slices.parquet/*/slices.parquet")))
    _newest_versions_are_whole(data)
    assert kept <= {path.name for path in checkpoints.rglob("*.pkl")}  # finished units are never lost
    kedro(project, "run", "--pipelines=audit", "--env=tiny")
    assert output_bytes(project) == expected


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_run_on_a_dask_cluster_gives_the_bytes_of_the_sequential_run(
    tiny_audit: Path, tmp_path: Path
) -> None:
    # The user guide's commands: a scheduler, one-thread workers started from the project root, and a run
    # pointed at the scheduler through DASK_SCHEDULER_ADDRESS.
    project = new_project(tmp_path / "dask", raw_from=tiny_audit)
    address = f"tcp://127.0.0.1:{_free_port()}"
    cluster_environment = {**kedro_environment(), "DASK_CONFIG": "conf/dask"}
    dask = str(Path(sys.executable).parent / "dask")
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
             "--no-dashboard"],
            cwd=project, env=cluster_environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
            cwd=project, env=cluster_environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            kedro_command("run", "--pipeline=audit", "--env=tiny", "--runner=medslice.runner.DaskRunner"),
            cwd=project,
            env={**kedro_environment(), "DASK_SCHEDULER_ADDRESS": address},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    logged = result.stdout + result.stderr  # rich wraps the log lines, so look for the address alone
    assert address in logged and "LocalCluster" not in logged
    assert output_bytes(project) == output_bytes(tiny_audit)


@pytest.mark.slow
def test_a_local_cluster_started_by_the_runner_gives_the_same_cohort(
    tiny_audit: Path, tmp_path: Path
) -> None:
    # The user guide's one-machine command, on the ingestion stage: DaskRunner starts its own LocalCluster.
    project = new_project(tmp_path / "local_cluster", raw_from=tiny_audit)
    result = kedro(
        project,
        "run",
        "--pipeline=ingestion",
        "--env=tiny",
        "--runner=medslice.runner.DaskRunner",
        "--params=runner.dask.n_workers=2",
    )
    assert "LocalCluster" in result.stdout + result.stderr
    cohort = Path("data") / "03_primary" / "cohort.parquet"
    assert latest(project / cohort).read_bytes() == latest(tiny_audit / cohort).read_bytes()
