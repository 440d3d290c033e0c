"""A temporary copy of the project on the `tiny` environment, driven through the real `kedro` CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
KEDRO = Path(sys.executable).parent / "kedro"
LAYERS = (
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)
ENVIRONMENT = {"KEDRO_ENV": "tiny", "HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "1", "PYTHONHASHSEED": "0"}


def kedro_command(*args: str) -> list[str]:
    """The argument list of a `kedro` call."""
    return [str(KEDRO), *args]


def kedro_environment() -> dict[str, str]:
    """The environment every `kedro` call of the tests runs in."""
    return {**os.environ, **ENVIRONMENT}


def run_kedro(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `kedro <args>` in ``project`` in the tests' environment, whatever its exit status."""
    return subprocess.run(
        kedro_command(*args),
        cwd=project,
        env=kedro_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def kedro(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `kedro <args>` in ``project`` and fail the test, with its output, if it fails."""
    result = run_kedro(project, *args, timeout=timeout)
    assert result.returncode == 0, (
        f"kedro {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def new_project(folder: Path, raw_from: Path | None = None) -> Path:
    """A project in ``folder``: the checkout's conf, empty data layers, and a copy of ``raw_from``'s
    synthetic release when given (else none)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "pyproject.toml", folder)
    shutil.copy(PROJECT / ".telemetry", folder)
    # Kedro wants a src/ folder; medslice itself is imported from the installed package.
    (folder / "src").mkdir(exist_ok=True)
    shutil.copytree(PROJECT / "conf", folder / "conf", ignore=shutil.ignore_patterns("local"))
    (folder / "conf" / "local").mkdir()
    for layer in LAYERS:
        (folder / "data" / layer).mkdir(parents=True)
    if raw_from is not None:
        shutil.rmtree(folder / "data" / "01_raw")
        shutil.copytree(raw_from / "data" / "01_raw", folder / "data" / "01_raw")
    return folder


def latest(folder: Path) -> Path:
    """The newest version of a versioned dataset ``<name>/<version>/<name>``."""
    return sorted(folder.glob(f"*/{folder.name}"))[-1]


# The outputs whose bytes a rerun, a resumed run and a Dask run must reproduce.
COMPARED_OUTPUTS = (
    "08_reporting/summary.md",
    "08_reporting/metrics.parquet",
    "07_model_output/spurious_correlation/predictions.parquet",
    "07_model_output/rare_slice/image_metadata/slices.parquet",
    "08_reporting/noisy_label/report/explanations.parquet",
)


def output_bytes(project: Path) -> dict[str, bytes]:
    """The newest bytes of each of ``COMPARED_OUTPUTS`` (versioned or not)."""
    found = {}
    for relative in COMPARED_OUTPUTS:
        path = project / "data" / relative
        found[relative] = (latest(path) if path.is_dir() else path).read_bytes()
    return found
