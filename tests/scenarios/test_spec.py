"""ScenarioSpec: validation of YAML mappings and safe evaluation over a cohort."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from medslice.pipelines.declared import shipped_scenarios
from medslice.scenarios import (
    CorrelationMechanism,
    LabelNoiseMechanism,
    RareMechanism,
    ScenarioError,
    ScenarioSpec,
    load_scenarios,
    resize_scenario,
)

SHIPPED = shipped_scenarios()
PAPER_SCENARIOS = {name: SHIPPED[name] for name in ("spurious_correlation", "rare_slice", "noisy_label")}


def default_scenarios() -> dict[str, ScenarioSpec]:
    """The shipped scenarios, validated (the parameters are their only source)."""
    return load_scenarios(copy.deepcopy(SHIPPED))


def _spurious(**changes: object) -> dict:
    mapping = copy.deepcopy(PAPER_SCENARIOS["spurious_correlation"])
    mapping.update(changes)
    return mapping


def test_paper_scenarios_parse_into_their_mechanisms() -> None:
    specs = default_scenarios()
    assert set(PAPER_SCENARIOS) <= set(specs) and len(specs) == len(SHIPPED) >= 5
    assert isinstance(specs["spurious_correlation"].mechanism, CorrelationMechanism)
    assert specs["spurious_correlation"].mechanism.correlation == 0.7
    rare = specs["rare_slice"].mechanism
    assert isinstance(rare, RareMechanism) and (rare.n_positive, rare.n_negative) == (500, 500)
    assert specs["rare_slice"].n_train == 1000
    assert isinstance(specs["noisy_label"].mechanism, LabelNoiseMechanism)
    assert specs["noisy_label"].audit_slice_fractions == (0.05, 0.10, 0.20)


def test_to_dict_round_trips() -> None:
    for name, spec in default_scenarios().items():
        assert ScenarioSpec.from_dict(name, spec.to_dict()) == spec
        assert "audit_compositions" not in spec.to_dict()
    counted = ScenarioSpec.from_dict("s", _spurious(audit_compositions=[[60, 240], [100, 200]]))
    assert ScenarioSpec.from_dict("s", counted.to_dict()) == counted
    assert counted.audit_composition(3).n_slice == 100 and counted.audit_slice_fraction(2) == 0.2


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"colour": "red"}, "colour"),
        ({"mechanism": {"kind": "teleport"}}, "mechanism.kind"),
        ({"mechanism": {"kind": "correlation", "correlation": 0.7, "strength": 1}}, "strength"),
        ({"mechanism": {"kind": "correlation"}}, "mechanism.correlation"),
        ({"mechanism": {"kind": "correlation", "correlation": 1.5}}, "mechanism.correlation"),
        ({"attribute": "__import__('os').system('true')"}, "attribute"),
        ({"attribute": "view.str.len() > 3"}, "attribute"),
        ({"attribute": "@secret == 1"}, "attribute"),
        ({"attribute": "shoe_size > 40"}, "attribute"),
        ({"target": "pneumothorax +"}, "target"),
        ({"slice": "target == 0 and view == 'AP'"}, "slice"),
        ({"audit_slice_fractions": [0.1, 1.5]}, "audit_slice_fractions"),
        ({"n_audit": 0}, "n_audit"),
        ({"audit_mix": "shuffled"}, "audit_mix"),
        ({"enabled": "no"}, "enabled"),
        ({"audit_compositions": [[60, 240], [100]]}, "audit_compositions"),
        ({"audit_compositions": [[0, 240]]}, "audit_compositions"),
        ({"audit_compositions": "60/240"}, "audit_compositions"),
    ],
)
def test_bad_mappings_name_the_scenario_and_key(changes: dict, key: str) -> None:
    with pytest.raises(ScenarioError) as error:
        ScenarioSpec.from_dict("spurious_correlation", _spurious(**changes))
    assert "'spurious_correlation'" in str(error.value)
    assert key in str(error.value)


def test_enabled_is_accepted_and_load_scenarios_leaves_disabled_ones_out() -> None:
    spec = ScenarioSpec.from_dict("spurious_correlation", _spurious(enabled=True))
    assert spec == ScenarioSpec.from_dict("spurious_correlation", _spurious())
    mappings = {
        "spurious_correlation": _spurious(enabled=False),
        "rare_slice": copy.deepcopy(PAPER_SCENARIOS["rare_slice"]),
    }
    assert list(load_scenarios(mappings)) == ["rare_slice"]
    # a disabled scenario is still validated
    mappings["spurious_correlation"]["colour"] = "red"
    with pytest.raises(ScenarioError, match="colour"):
        load_scenarios(mappings)
    # numpy numbers are numbers
    fractions = [np.float32(0.1), np.float64(0.2)]
    assert ScenarioSpec.from_dict("s", _spurious(audit_slice_fractions=fractions)).audit_slice_fractions == (
        pytest.approx(0.1),
        0.2,
    )


def test_rare_n_train_must_match_its_counts() -> None:
    mapping = copy.deepcopy(PAPER_SCENARIOS["rare_slice"]) | {"n_train": 900}
    with pytest.raises(ScenarioError, match="n_train"):
        ScenarioSpec.from_dict("rare_slice", mapping)


def test_target_excludes_missing_rows_and_evaluates_expressions(cohort: pd.DataFrame) -> None:
    spec = default_scenarios()["noisy_label"]
    target = spec.evaluate_target(cohort)
    known = cohort["no_finding"].notna()
    assert len(target) == known.sum() < len(cohort)
    assert target.dtype == np.int64
    expected = (1 - cohort.loc[known, "no_finding"]).astype("int64")
    pd.testing.assert_series_equal(target, expected, check_names=False)


def test_attribute_treats_missing_labels_as_false(cohort: pd.DataFrame) -> None:
    spec = default_scenarios()["spurious_correlation"]
    attribute = spec.evaluate_attribute(cohort)
    assert attribute.dtype == bool and len(attribute) == len(cohort)
    assert attribute.eq(cohort["support_devices"].eq(1)).all()
    assert not attribute[cohort["support_devices"].isna()].any()


def test_demographic_attribute_expression(cohort: pd.DataFrame) -> None:
    spec = default_scenarios()["elderly_women_rare"]
    attribute = spec.evaluate_attribute(cohort)
    expected = (cohort["gender"] == "F") & (cohort["anchor_age"] >= 80)
    assert attribute.equals(expected) and 0 < attribute.sum() < len(cohort)


def test_non_binary_target_is_refused(cohort: pd.DataFrame) -> None:
    spec = ScenarioSpec.from_dict("ages", _spurious(target="anchor_age"))
    with pytest.raises(ScenarioError, match="'ages', key 'target'"):
        spec.evaluate_target(cohort)


def test_slice_expression_combines_target_and_attribute() -> None:
    spec = default_scenarios()["spurious_correlation"]
    target = pd.Series([0, 0, 1, 1])
    attribute = pd.Series([True, False, True, False])
    assert spec.evaluate_slice(target, attribute).tolist() == [True, False, False, False]


def test_resize_scales_rare_counts_and_keeps_shares() -> None:
    rare = ScenarioSpec.from_dict("rare", resize_scenario(PAPER_SCENARIOS["rare_slice"], 600))
    assert (rare.mechanism.n_positive, rare.mechanism.n_negative) == (300, 300)
    assert rare.n_train == 600 and rare.n_validate == 120
    assert rare.mechanism.attribute_positive_share == 0.02
    noisy = resize_scenario(PAPER_SCENARIOS["noisy_label"], 400, n_validate=50)
    assert (noisy["n_train"], noisy["n_validate"]) == (400, 50)
    assert PAPER_SCENARIOS["noisy_label"]["n_train"] == 1000
