"""The notebook runs for a new user: executed with nbclient against the tiny audit, every cell succeeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.tiny_project import PROJECT

nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")

NOTEBOOK = PROJECT / "notebooks" / "explore_an_audit.ipynb"


def test_the_notebook_runs_on_the_tiny_audit(
    tiny_audit: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel inherits this process's environment: the audit's configuration, and no network.
    monkeypatch.setenv("KEDRO_ENV", "tiny")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tiny_audit / "notebooks"
    folder.mkdir(exist_ok=True)
    copy = folder / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    tables = [output for output in outputs if "text/html" in output.get("data", {})]
    assert images, "the exemplar montage was not shown"
    assert len(tables) >= 3, "the headline, the slice summary and the explanations were not shown"
    shutil.rmtree(folder)
