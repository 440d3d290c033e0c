"""Fixtures shared across test packages: one tiny audit, run once per session through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_project import kedro, new_project


@pytest.fixture(scope="session")
def tiny_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary project on `tiny`: its synthetic release and one uninterrupted, sequential audit.

    Treat it as read-only, apart from reruns that only add versions; tests that kill or distribute runs
    work in copies of its raw data.
    """
    project = new_project(tmp_path_factory.mktemp("project"))
    kedro(project, "run", "--pipelines=synthetic", "--env=tiny")
    kedro(project, "run", "--pipelines=audit", "--env=tiny")
    return project
