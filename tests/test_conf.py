"""The shipped configuration agrees with the library's defaults and is internally consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from medslice.scenarios import RunConfig, ScenarioSpec
from medslice.slicing.comparison import check_compared_slicers

CONF = Path(__file__).resolve().parents[1] / "conf"


def _parameters(name: str) -> dict:
    return yaml.safe_load((CONF / "base" / "parameters" / f"{name}.yml").read_text())


def test_every_shipped_scenario_validates() -> None:
    scenarios = _parameters("failure_injection")["failure_injection"]["scenarios"]
    assert {"spurious_correlation", "rare_slice", "noisy_label"} <= set(scenarios)
    for name, mapping in scenarios.items():
        ScenarioSpec.from_dict(name, mapping)  # every shipped scenario validates


def test_every_scenario_declares_explanation_synonyms() -> None:
    scenarios = _parameters("failure_injection")["failure_injection"]["scenarios"]
    synonyms = _parameters("evaluation")["evaluation"]["synonyms"]
    assert set(scenarios) == set(synonyms)
    assert all(synonyms[name] for name in scenarios)


def _soft_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """An environment's parameters over base's, key by key (settings.py's "soft" merge)."""
    merged = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _soft_merge(merged[key], value) if both else value
    return merged


CLASSIFIER_OF_ENV = {
    "base": "small_cnn",
    "tiny": "small_cnn",
    "mimic": "resnet18",
    "paper_classifier": "lite0_head",
    "paper_protocol": "small_cnn",
    "paper_code": "small_cnn",
    "every_slicer": "small_cnn",
}
NOT_ENVIRONMENTS = {"local", "dask"}  # conf/dask holds Dask's own settings (DASK_CONFIG), not Kedro's


def test_paper_protocol_runs_the_authors_design() -> None:
    path = CONF / "paper_protocol" / "parameters" / "failure_injection.yml"
    declared = yaml.safe_load(path.read_text())["failure_injection"]
    base = _parameters("failure_injection")["failure_injection"]
    run = _soft_merge(base["run"], declared["run"])
    scenarios = _soft_merge(base["scenarios"], declared["scenarios"])
    enabled = {name: spec for name, spec in scenarios.items() if spec.get("enabled", True)}
    assert set(enabled) == {"spurious_correlation", "rare_slice", "noisy_label"}
    designs = {
        name: (config.n_classifiers, config.audit_draws)
        for name, config in ((n, RunConfig.for_scenario(run, s, n)) for n, s in enabled.items())
    }
    assert designs == {"spurious_correlation": (150, 3), "rare_slice": (100, 3), "noisy_label": (100, 3)}


def test_paper_code_draws_the_scripts_audit_sets_and_pools_the_pca() -> None:
    declared = yaml.safe_load((CONF / "paper_code" / "parameters" / "failure_injection.yml").read_text())
    base = _parameters("failure_injection")["failure_injection"]
    scenarios = _soft_merge(base["scenarios"], declared["failure_injection"]["scenarios"])
    planted = {}
    for name in ("spurious_correlation", "rare_slice", "noisy_label"):
        spec = ScenarioSpec.from_dict(name, scenarios[name])
        planted[name] = [(c.n_slice, c.n) for c in map(spec.audit_composition, range(3))]
    assert planted["spurious_correlation"] == planted["noisy_label"] == [(60, 300), (100, 300), (120, 300)]
    assert planted["rare_slice"] == [(60, 330), (30, 300), (15, 300)]
    # The other scenarios, the design and the classifier stay as in base.
    assert "run" not in declared["failure_injection"]
    assert scenarios["elderly_women_rare"] == base["scenarios"]["elderly_women_rare"]
    fusion = yaml.safe_load((CONF / "paper_code" / "parameters" / "slice_discovery.yml").read_text())
    assert fusion == {"slice_discovery": {"pca_fit": "pooled"}}
    assert _parameters("slice_discovery")["slice_discovery"]["pca_fit"] == "audit_set"


@pytest.mark.parametrize("env", sorted(CLASSIFIER_OF_ENV))
def test_every_environments_compared_slicers_validate(env: str) -> None:
    settings = _parameters("slice_discovery")["slice_discovery"]
    path = CONF / env / "parameters" / "slice_discovery.yml"
    if env != "base" and path.exists():
        settings = _soft_merge(settings, yaml.safe_load(path.read_text())["slice_discovery"])
    methods = [entry["method"] for entry in check_compared_slicers(settings["compared_slicers"])]
    assert settings["slicer"].get("method", "domino") not in methods  # the main slicer is not compared twice
    if env == "every_slicer":
        assert methods == ["error_cluster", "spotlight", "sliceline"]


def test_every_environment_is_checked() -> None:
    shipped = {path.name for path in CONF.iterdir() if path.is_dir() and path.name not in NOT_ENVIRONMENTS}
    assert shipped == set(CLASSIFIER_OF_ENV)


@pytest.mark.parametrize("env", sorted(CLASSIFIER_OF_ENV))
def test_every_environments_run_block_validates(env: str) -> None:
    run = _parameters("failure_injection")["failure_injection"]["run"]
    path = CONF / env / "parameters" / "failure_injection.yml"
    if env != "base" and path.exists():
        run = _soft_merge(run, yaml.safe_load(path.read_text())["failure_injection"].get("run", {}))
    config = RunConfig.from_dict(run)
    assert config.classifier.name == CLASSIFIER_OF_ENV[env]
    if env == "paper_classifier":
        # The paper's optimiser settings on a fine-tuned (not frozen) ImageNet backbone (decision 28).
        assert config.classifier.model_kwargs == {"freeze_backbone": False}
        settings = (config.classifier.image_size, config.classifier.lr, config.classifier.batch_size)
        assert settings == (224, 5e-5, 8)
        assert (config.classifier.max_epochs, config.classifier.patience) == (10, 3)
