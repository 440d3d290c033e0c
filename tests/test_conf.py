"""The shipped configuration agrees with the library's defaults and is internally consistent."""

from __future__ import annotations

from pathlib import Path

import yaml

from medslice.scenarios import ScenarioSpec
from medslice.scenarios.defaults import DEFAULT_SCENARIOS

CONF = Path(__file__).resolve().parents[1] / "conf"


def _parameters(name: str) -> dict:
    return yaml.safe_load((CONF / "base" / "parameters" / f"{name}.yml").read_text())


def test_failure_injection_yaml_is_the_library_default() -> None:
    scenarios = _parameters("failure_injection")["failure_injection"]["scenarios"]
    assert scenarios == DEFAULT_SCENARIOS
    for name, mapping in scenarios.items():
        ScenarioSpec.from_dict(name, mapping)  # every shipped scenario validates


def test_every_scenario_declares_explanation_synonyms() -> None:
    scenarios = _parameters("failure_injection")["failure_injection"]["scenarios"]
    synonyms = _parameters("evaluation")["evaluation"]["synonyms"]
    assert set(scenarios) == set(synonyms)
    assert all(synonyms[name] for name in scenarios)
