"""draw_sets: patient-disjoint training, validation and audit sets with exact slice shares."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from medslice.scenarios import SET_COLUMNS, PoolTooSmallError, ScenarioSpec, draw_sets

SPURIOUS = {
    "target": "pneumothorax",
    "attribute": "support_devices == 1",
    "slice": "target == 0 and attribute",
    "mechanism": {
        "kind": "correlation",
        "correlation": 0.7,
        "target_prevalence": 0.5,
        "attribute_prevalence": 0.5,
    },
    "audit_slice_fractions": [0.05, 0.10, 0.20],
    "n_train": 150,
    "n_validate": 40,
    "n_audit": 100,
}
NOISY = {
    "target": "pleural_effusion",
    "attribute": "view == 'frontal'",
    "slice": "target == 1 and attribute",
    "mechanism": {"kind": "label_noise", "flip_fraction": 0.3},
    "audit_slice_fractions": [0.2],
    "n_train": 200,
    "n_validate": 60,
    "n_audit": 100,
}


@pytest.fixture(scope="module")
def spurious() -> ScenarioSpec:
    """A scaled-down spurious-correlation scenario."""
    return ScenarioSpec.from_dict("spurious_correlation", SPURIOUS)


def _subjects(frame: pd.DataFrame, role: str) -> set[int]:
    return set(frame.loc[frame["role"] == role, "subject_id"])


@pytest.mark.parametrize("bootstrap", [0, 1, 2])
def test_sets_are_patient_disjoint_and_sized(
    cohort: pd.DataFrame, spurious: ScenarioSpec, bootstrap: int
) -> None:
    train_set, audit_set, qa = draw_sets(cohort, spurious, bootstrap=bootstrap, seed=7)
    assert list(train_set.columns) == list(SET_COLUMNS) == list(audit_set.columns)
    train, validate = _subjects(train_set, "train"), _subjects(train_set, "validate")
    audit = _subjects(audit_set, "audit")
    assert not train & audit and not validate & audit and not train & validate
    assert (train_set["role"] == "train").sum() == 150
    assert (train_set["role"] == "validate").sum() == 40
    assert len(audit_set) == 100 and set(audit_set["role"]) == {"audit"}
    assert (train_set["bootstrap"] == bootstrap).all() and (audit_set["bootstrap"] == bootstrap).all()
    fraction = SPURIOUS["audit_slice_fractions"][bootstrap]
    assert audit_set["in_slice"].sum() == round(fraction * 100) == qa["audit"]["n_slice"]
    # balanced audit mix: half positives overall
    assert audit_set["target"].sum() == 50
    assert abs(qa["train"]["achieved_correlation"] - 0.7) <= 0.02
    # 40 validation rows resolve phi only in steps of 0.1
    assert abs(qa["validate"]["achieved_correlation"] - 0.7) <= 0.05
    assert not set(train_set["dicom_id"]) & set(audit_set["dicom_id"])


def test_slice_membership_matches_the_expression(cohort: pd.DataFrame, spurious: ScenarioSpec) -> None:
    train_set, audit_set, _ = draw_sets(cohort, spurious, bootstrap=0, seed=1)
    for frame in (train_set, audit_set):
        expected = (frame["true_target"] == 0) & frame["attribute"]
        assert frame["in_slice"].equals(expected)
    rows = cohort.set_index("dicom_id").loc[audit_set["dicom_id"]]
    assert (rows["pneumothorax"].to_numpy() == audit_set["target"].to_numpy()).all()
    assert (rows["support_devices"].eq(1).to_numpy() == audit_set["attribute"].to_numpy()).all()
    assert (rows["image_path"].to_numpy() == audit_set["image_path"].to_numpy()).all()


def test_same_seed_same_sets_other_seed_other_sets(cohort: pd.DataFrame, spurious: ScenarioSpec) -> None:
    first = draw_sets(cohort, spurious, bootstrap=1, seed=3)
    again = draw_sets(cohort.sample(frac=1.0, random_state=0), spurious, bootstrap=1, seed=3)
    other = draw_sets(cohort, spurious, bootstrap=1, seed=4)
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])
    assert set(first[1]["dicom_id"]) != set(other[1]["dicom_id"])


def test_missing_targets_are_counted(cohort: pd.DataFrame, spurious: ScenarioSpec) -> None:
    _, _, qa = draw_sets(cohort, spurious, bootstrap=0, seed=0)
    assert qa["n_missing_target"] == cohort["pneumothorax"].isna().sum() > 0


def test_label_noise_sets_flip_only_training_and_validation_labels(cohort: pd.DataFrame) -> None:
    spec = ScenarioSpec.from_dict("noisy", NOISY)
    train_set, audit_set, qa = draw_sets(cohort, spec, bootstrap=0, seed=2)
    train = train_set[train_set["role"] == "train"]
    subgroup = (train["true_target"] == 1) & train["attribute"]
    assert train["label_flipped"].sum() == round(0.3 * subgroup.sum()) == qa["train"]["flipped_count"]
    assert train_set.loc[train_set["role"] == "validate", "label_flipped"].sum() > 0
    assert not audit_set["label_flipped"].any()
    assert (audit_set["target"] == audit_set["true_target"]).all()
    # a slice of positives counts toward the balanced mix: 20 slice positives, 30 others, 50 negatives
    assert audit_set["in_slice"].sum() == 20
    assert audit_set["target"].sum() == 50 == qa["audit"]["positive_share"] * 100


def test_the_bootstrap_index_draws_other_sets_under_one_seed(
    cohort: pd.DataFrame, spurious: ScenarioSpec
) -> None:
    first = draw_sets(cohort, spurious, bootstrap=0, seed=3)[1]
    # bootstrap 3 uses the first audit fraction again, so only the bootstrap index tells the draws apart
    fourth = draw_sets(cohort, spurious, bootstrap=3, seed=3)[1]
    assert first["in_slice"].sum() == fourth["in_slice"].sum()
    assert set(first["dicom_id"]) != set(fourth["dicom_id"])


def test_natural_audit_mix_samples_the_non_slice_part_uniformly(
    cohort_factory: Callable[..., pd.DataFrame],
) -> None:
    cohort = cohort_factory(600, seed=5, prevalence=0.2)
    mechanism = {"kind": "correlation", "correlation": 0.3}  # keeps the pool's prevalences
    spec = ScenarioSpec.from_dict("natural", {**SPURIOUS, "mechanism": mechanism, "audit_mix": "natural"})
    _, audit_set, _ = draw_sets(cohort, spec, bootstrap=2, seed=0)
    assert audit_set["in_slice"].sum() == 20
    # the pool's pneumothorax prevalence is about 0.2, far from the balanced 0.5
    assert audit_set["target"].mean() < 0.4


def test_too_small_cohort_names_the_set_and_cell(
    cohort_factory: Callable[..., pd.DataFrame],
) -> None:
    tiny = cohort_factory(60, seed=1)
    spec = ScenarioSpec.from_dict("spurious_correlation", SPURIOUS)
    with pytest.raises(PoolTooSmallError, match="'spurious_correlation', training set.*cell"):
        draw_sets(tiny, spec, bootstrap=0, seed=0)


@pytest.mark.parametrize("bootstrap", [0, 1, 2])
def test_audit_compositions_draw_exact_counts_and_replace_the_fractions(
    cohort: pd.DataFrame, bootstrap: int
) -> None:
    """The authors' scripts give counts per audit set (60/240, ...): here scaled to the small cohort."""
    compositions = [[12, 48], [20, 40], [24, 36]]
    spec = ScenarioSpec.from_dict("spurious_correlation", {**SPURIOUS, "audit_compositions": compositions})
    _, audit_set, qa = draw_sets(cohort, spec, bootstrap=bootstrap, seed=7)
    planted, other = compositions[bootstrap]
    assert audit_set["in_slice"].sum() == planted == qa["audit"]["n_slice"]
    assert len(audit_set) == planted + other
    assert audit_set["target"].sum() == round((planted + other) / 2)  # still class-balanced overall
    assert qa["audit"]["requested_slice_fraction"] == pytest.approx(planted / (planted + other))
    assert spec.check_composition().n_slice == 24  # the failure check uses the largest planted share
