"""Namespaces come from the running session's configuration, and reading them never changes its catalog."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kedro.framework.project import configure_project, pipelines
from kedro.framework.session import KedroSession

from medslice.pipelines import declared

PROJECT = Path(__file__).resolve().parents[1]
MIMIC_IMAGES = yaml.safe_load((PROJECT / "conf/mimic/globals.yml").read_text())["raw"]["mimic_cxr_jpg"]


@pytest.fixture(autouse=True)
def no_session_loader() -> Iterator[None]:
    declared.use_config_loader(None)
    yield
    declared.use_config_loader(None)


def _release_path(catalog) -> str:
    return str(catalog.get("mimic_cxr_jpg")._describe()["path"])


def test_env_flag_paths_survive_reading_the_declarations() -> None:
    # `kedro run --env=mimic` once read the base data paths: the registry's own loader replaced the
    # process-wide `globals` resolver before the session built its catalog.
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="mimic") as session:
        context = session.load_context()
        declared.declared_scenarios()
        declared.declared_parameters(conf_source=str(PROJECT / "conf"))  # the file path, too
        assert _release_path(context.catalog) == MIMIC_IMAGES


def test_the_session_hook_hands_over_its_environment(tmp_path: Path, monkeypatch) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(PROJECT / "conf", conf)
    (conf / "narrow" / "parameters").mkdir(parents=True)
    (conf / "narrow" / "parameters" / "narrow.yml").write_text(
        "failure_injection:\n  scenarios:\n    rare_slice:\n      enabled: false\n"
    )
    monkeypatch.delenv("KEDRO_ENV", raising=False)
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="narrow", conf_source=str(conf)) as session:
        session.load_context()
        scenarios = declared.declared_scenarios()
    assert "rare_slice" not in scenarios
    assert {"spurious_correlation", "noisy_label"} <= set(scenarios)
    declared.use_config_loader(None)
    assert "rare_slice" in declared.declared_scenarios()  # without a session: conf/base + KEDRO_ENV


def test_without_a_session_kedro_env_selects_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("KEDRO_ENV", "tiny")
    tiny = declared.declared_scenarios()
    monkeypatch.setenv("KEDRO_ENV", "local")
    assert set(tiny) < set(declared.declared_scenarios())


def test_a_missing_conf_folder_declares_nothing(tmp_path: Path) -> None:
    assert declared.declared_parameters(conf_source=str(tmp_path / "absent")) == {}


def test_runtime_params_switch_a_scenario_off_as_the_cli_passes_them() -> None:
    # `--params "failure_injection.scenarios.rare_slice.enabled=false"` reaches the session as a nested dict
    configure_project("medslice")
    off = {"failure_injection": {"scenarios": {"rare_slice": {"enabled": False}}}}
    with KedroSession.create(project_path=PROJECT, env="base", runtime_params=off) as session:
        session.load_context()
        assert "rare_slice" not in declared.declared_scenarios()


def test_a_misspelt_scenario_in_params_is_refused_not_added() -> None:
    configure_project("medslice")
    typo = {"failure_injection": {"scenarios": {"noisy_labell": {"enabled": False}}}}
    with KedroSession.create(project_path=PROJECT, env="base", runtime_params=typo) as session:
        session.load_context()
        with pytest.raises(ValueError, match="noisy_labell declares no target.*Did you mean 'noisy_label'"):
            declared.declared_scenarios()


def test_a_second_session_in_one_process_builds_its_own_namespaces() -> None:
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="tiny") as session:
        session.load_context()
        tiny = {n.namespace.split(".")[0] for n in pipelines["audit"].nodes if n.namespace}
    with KedroSession.create(project_path=PROJECT, env="base") as session:
        session.load_context()
        base = {n.namespace.split(".")[0] for n in pipelines["audit"].nodes if n.namespace}
    assert "elderly_women_rare" not in tiny and "elderly_women_rare" in base
