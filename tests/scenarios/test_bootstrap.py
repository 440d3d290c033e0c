"""run_scenario on a tiny cohort with in-memory images: training, the gap check and retries."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medslice.classifiers import ClassifierConfigError
from medslice.scenarios import (
    PREDICTION_COLUMNS,
    RUN_KEYS,
    PoolTooSmallError,
    RunConfig,
    RunConfigError,
    ScenarioSpec,
    accuracy_gap,
    run_scenario,
)

SIZE = 16
SPEC = {
    "target": "pneumothorax",
    "attribute": "support_devices == 1",
    "slice": "target == 0 and attribute",
    "mechanism": {
        "kind": "correlation",
        "correlation": 0.8,
        "target_prevalence": 0.5,
        "attribute_prevalence": 0.5,
    },
    "audit_slice_fractions": [0.2, 0.3],
    "n_train": 80,
    "n_validate": 24,
    "n_audit": 40,
}
CLASSIFIER = {
    "name": "small_cnn",
    "image_size": SIZE,
    "width": 4,
    "n_blocks": 2,
    "lr": 2e-2,
    "batch_size": 16,
    "max_epochs": 4,
    "patience": 2,
}


class InMemoryLoader:
    """Serves images by path; support devices show as a bright square. Counts every decode."""

    def __init__(self, cohort: pd.DataFrame, root: Path, unreadable: Sequence[str] = ()) -> None:
        rng = np.random.default_rng(0)
        self.images: dict[str, np.ndarray] = {}
        for path, device in zip(cohort["image_path"], cohort["support_devices"], strict=True):
            image = rng.integers(0, 100, (SIZE, SIZE), dtype=np.uint8)
            if device == 1:
                image[4:12, 4:12] += 150
            self.images[str(root / path)] = image
        self.unreadable = {str(root / p) for p in unreadable}
        self.decodes: Counter[str] = Counter()

    def __call__(self, paths: Sequence[Path], size: int) -> tuple[np.ndarray, np.ndarray]:
        assert size == SIZE
        images = np.zeros((len(paths), size, size), dtype=np.uint8)
        failed = []
        for index, path in enumerate(paths):
            self.decodes[str(path)] += 1
            if str(path) in self.unreadable:
                failed.append(index)
            else:
                images[index] = self.images[str(path)]
        return images, np.array(failed, dtype=np.int64)


@pytest.fixture(scope="module")
def spec() -> ScenarioSpec:
    """A tiny spurious-correlation scenario."""
    return ScenarioSpec.from_dict("spurious_correlation", SPEC)


def _run(cohort: pd.DataFrame, spec: ScenarioSpec, loader: InMemoryLoader, **kwargs: object):
    settings = {"n_bootstraps": 2, "max_retries": 1, "classifier": CLASSIFIER, "seed": 0}
    settings.update(kwargs)
    return run_scenario(cohort, spec, Path("/images"), image_loader=loader, show_progress=False, **settings)


def test_spurious_shortcut_creates_the_failure(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    train_sets, audit_sets, classifiers, predictions, qa = _run(cohort, spec, loader, min_gap=0.1)
    assert list(predictions.columns) == list(PREDICTION_COLUMNS)
    assert sorted(classifiers) == [0, 1] and sorted(predictions["bootstrap"].unique()) == [0, 1]
    for bootstrap in (0, 1):
        audit = audit_sets[audit_sets["bootstrap"] == bootstrap]
        preds = predictions[predictions["bootstrap"] == bootstrap]
        assert preds["dicom_id"].tolist() == audit["dicom_id"].tolist()
        gap = accuracy_gap(preds["target"], preds["pred"], preds["in_slice"])["gap"]
        assert gap == pytest.approx(qa["bootstraps"][bootstrap]["accuracy_gap"])
        train_subjects = set(train_sets.loc[train_sets["bootstrap"] == bootstrap, "subject_id"])
        assert not train_subjects & set(audit["subject_id"])
    # the classifier can only see the devices, so device-bearing negatives fail
    assert qa["mean_accuracy_gap"] >= 0.3 and qa["n_accepted"] == 2
    # ... and they fail against the other negatives too, as the paper's within-class check asks
    assert qa["mean_check_within_class_gap"] >= 0.3
    assert predictions["accepted"].all()
    # every image was decoded at most once across bootstraps and retries
    assert max(loader.decodes.values()) == 1
    assert qa["images_decoded"] == len(loader.decodes)
    json.dumps(qa)  # the QA is stored as JSON by the pipeline


def test_accuracy_gap_on_a_hand_computed_case() -> None:
    # slice: the three target-1 cases at the front; two of them are wrong
    target = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    pred = np.array([0, 0, 1, 0, 1, 0, 0, 1])
    in_slice = np.array([True, True, True, False, False, False, False, False])
    gap = accuracy_gap(target, pred, in_slice)
    assert gap["slice_accuracy"] == pytest.approx(1 / 3)
    assert gap["non_slice_accuracy"] == pytest.approx(3 / 5)
    assert gap["gap"] == pytest.approx(3 / 5 - 1 / 3)
    # within class 1 the other positives score 1 of 2
    assert gap["slice_class"] == 1.0
    assert gap["within_class_non_slice_accuracy"] == pytest.approx(1 / 2)
    assert gap["within_class_gap"] == pytest.approx(1 / 2 - 1 / 3)
    # probabilities give the same gap as the decisions they stand for; mismatched lengths are named
    assert accuracy_gap(target, np.where(pred == 1, 0.9, 0.2), in_slice) == gap
    with pytest.raises(ValueError, match="pred must have shape"):
        accuracy_gap(target, pred[:5], in_slice)
    with pytest.raises(ValueError, match="in_slice must have shape"):
        accuracy_gap(target, pred, in_slice[:5])


def test_within_class_gap_is_nan_without_other_cases_of_the_slice_class() -> None:
    gap = accuracy_gap(np.array([1, 1, 0]), np.array([0, 1, 0]), np.array([True, True, False]))
    assert gap["gap"] == pytest.approx(1.0 - 0.5)
    assert np.isnan(gap["within_class_gap"])


def test_unreachable_gap_is_retried_counted_and_kept(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    _, audit_sets, classifiers, predictions, qa = _run(cohort, spec, loader, min_gap=1.5, max_retries=2)
    assert qa["n_accepted"] == 0 and qa["total_retries"] == 4
    assert [b["retries"] for b in qa["bootstraps"]] == [2, 2]
    assert [len(b["attempts"]) for b in qa["bootstraps"]] == [3, 3]
    assert len({a["draw_seed"] for b in qa["bootstraps"] for a in b["attempts"]}) == 6
    assert [n["bootstrap"] for n in qa["not_accepted"]] == [0, 1]
    assert not predictions["accepted"].any() and len(predictions) == len(audit_sets) == 80
    assert sorted(classifiers) == [0, 1]


def test_easy_gap_is_accepted_without_retries(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    *_, qa = _run(cohort, spec, loader, min_gap=-1.0, max_retries=3)
    assert qa["total_retries"] == 0 and qa["accepted_share"] == 1.0


def test_the_gap_is_checked_on_a_draw_with_the_largest_slice_fraction(
    cohort: pd.DataFrame, spec: ScenarioSpec
) -> None:
    probe = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), min_gap=-1.0, max_retries=0)
    first, second = probe.qa["bootstraps"]
    # bootstrap 0 audits a 20% slice but is checked on a fresh audit-pool draw with the 30% slice
    assert first["audit_slice_fraction"] == 0.2 and first["check_slice_fraction"] == 0.3
    assert first["check_n_slice"] == round(0.3 * SPEC["n_audit"])
    assert first["check_gap"] != pytest.approx(first["accuracy_gap"])
    # bootstrap 1 audits the largest fraction, so its own audit set is the check set
    assert second["check_slice_fraction"] == 0.3 and second["check_gap"] == second["accuracy_gap"]
    # acceptance follows the check gap, not the audit set's: a threshold between them decides
    threshold = (first["check_gap"] + first["accuracy_gap"]) / 2
    run = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), min_gap=threshold, max_retries=0)
    assert run.qa["bootstraps"][0]["check_gap"] == first["check_gap"]
    assert run.qa["bootstraps"][0]["accepted"] == (first["check_gap"] > first["accuracy_gap"])
    assert run.qa["check_set"] == "largest_fraction"


def test_the_gap_can_be_checked_on_each_audit_set(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    run = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), min_gap=-1.0, check_set="audit_set")
    for record in run.qa["bootstraps"]:
        assert record["check_gap"] == record["accuracy_gap"]
        assert record["check_slice_fraction"] == record["audit_slice_fraction"]
    with pytest.raises(ValueError, match="check_set must be one of"):
        _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), check_set="validation")


def test_without_retraining_one_model_serves_every_bootstrap(
    cohort: pd.DataFrame, spec: ScenarioSpec
) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    train_sets, audit_sets, classifiers, _, qa = _run(
        cohort, spec, loader, retrain=False, n_bootstraps=3, min_gap=-1.0
    )
    assert set(train_sets["bootstrap"]) == {0}
    assert classifiers[0] is classifiers[1] is classifiers[2]
    assert audit_sets.groupby("bootstrap")["in_slice"].sum().tolist() == [8, 12, 8]
    audit_subjects = set(audit_sets["subject_id"])
    assert not audit_subjects & set(train_sets["subject_id"])
    assert [a["train_seed"] is None for b in qa["bootstraps"] for a in b["attempts"]] == [
        False,
        True,
        True,
    ]


def test_same_seed_same_run(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    runs = [
        _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), n_bootstraps=1, min_gap=-1)
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].predictions, runs[1].predictions)
    pd.testing.assert_frame_equal(runs[0].train_sets, runs[1].train_sets)


def test_unreadable_images_are_excluded_and_reported(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    probe = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), n_bootstraps=1, min_gap=-1)
    broken = probe.audit_sets["image_path"].iloc[:3].tolist()
    loader = InMemoryLoader(cohort, Path("/images"), unreadable=broken)
    train_sets, audit_sets, _, _, qa = _run(cohort, spec, loader, n_bootstraps=1, min_gap=-1)
    reported = {row["path"] for row in qa["unreadable_images"]}
    assert reported == {str(Path("/images") / p) for p in broken}
    used = set(train_sets["image_path"]) | set(audit_sets["image_path"])
    assert not used & set(broken)
    assert len(audit_sets) == SPEC["n_audit"]


def test_a_redraw_from_a_thin_pool_counts_as_a_failed_attempt(
    cohort: pd.DataFrame, spec: ScenarioSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medslice.scenarios import bootstrap as bootstrap_module

    real_attempt = bootstrap_module._ScenarioRunner.attempt

    def thin_first_draw(self, bootstrap: int, attempt_index: int):  # noqa: ANN001, ANN202
        if attempt_index == 0:
            raise PoolTooSmallError("cell target=1, attribute=True needs 36 rows but the pool has only 33")
        return real_attempt(self, bootstrap, attempt_index)

    monkeypatch.setattr(bootstrap_module._ScenarioRunner, "attempt", thin_first_draw)
    loader = InMemoryLoader(cohort, Path("/images"))
    *_, qa = _run(cohort, spec, loader, min_gap=-1.0, max_retries=2)
    assert [b["pool_errors"] for b in qa["bootstraps"]] == [1, 1]
    assert [b["retries"] for b in qa["bootstraps"]] == [1, 1]
    assert qa["n_accepted"] == 2


def test_a_pool_too_thin_for_every_attempt_is_an_error(
    cohort: pd.DataFrame, spec: ScenarioSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medslice.scenarios import bootstrap as bootstrap_module

    def always_thin(self, bootstrap: int, attempt_index: int):  # noqa: ANN001, ANN202
        raise PoolTooSmallError("the pool has only 3")

    monkeypatch.setattr(bootstrap_module._ScenarioRunner, "attempt", always_thin)
    with pytest.raises(PoolTooSmallError, match="only 3"):
        _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), max_retries=1)


RUN = {
    "n_bootstraps": 3,
    "retrain": True,
    "max_retries": 3,
    "min_gap": 0.1,
    "check_set": "largest_fraction",
    "classifier": CLASSIFIER,
}


def test_run_config_reads_a_full_run_block_and_fills_defaults() -> None:
    config = RunConfig.from_dict(RUN)
    assert (config.n_bootstraps, config.retrain, config.max_retries) == (3, True, 3)
    assert config.classifier.model_kwargs == {"width": 4, "n_blocks": 2}
    assert RunConfig.from_dict(config.run_kwargs()) == config
    minimal = RunConfig.from_dict({"n_bootstraps": 1})
    assert (minimal.max_retries, minimal.min_gap, minimal.check_set) == (2, 0.1, "largest_fraction")
    assert minimal.classifier.name == "small_cnn"


def test_run_config_names_an_unknown_key_and_the_allowed_ones() -> None:
    # `--params "failure_injection.run.n_bootstrap=5"` used to be ignored, running the default count.
    with pytest.raises(RunConfigError) as raised:
        RunConfig.from_dict({**RUN, "n_bootstrap": 5})
    message = str(raised.value)
    assert "failure_injection.run has unknown key(s) ['n_bootstrap']" in message
    assert "did you mean 'n_bootstraps'?" in message
    assert all(repr(key) in message for key in RUN_KEYS)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("n_bootstraps", "two", "failure_injection.run.n_bootstraps must be an integer >= 1, got 'two'"),
        ("n_bootstraps", True, "failure_injection.run.n_bootstraps must be an integer >= 1, got True"),
        ("n_bootstraps", 2.5, "failure_injection.run.n_bootstraps must be an integer >= 1, got 2.5"),
        ("n_bootstraps", 0, "failure_injection.run.n_bootstraps must be >= 1, got 0"),
        ("max_retries", "many", "failure_injection.run.max_retries must be an integer >= 0, got 'many'"),
        ("max_retries", -1, "failure_injection.run.max_retries must be >= 0, got -1"),
        ("min_gap", "big", "failure_injection.run.min_gap must be a number, got 'big'"),
        ("min_gap", False, "failure_injection.run.min_gap must be a number, got False"),
        ("retrain", "yes", "failure_injection.run.retrain must be true or false, got 'yes'"),
        ("check_set", "audit", "failure_injection.run.check_set must be one of"),
    ],
)
def test_run_config_names_the_key_the_value_and_what_is_expected(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(RunConfigError) as raised:
        RunConfig.from_dict({**RUN, key: value})
    assert str(raised.value).startswith(expected)


def test_run_config_requires_n_bootstraps() -> None:
    with pytest.raises(RunConfigError, match="failure_injection.run.n_bootstraps is required"):
        RunConfig.from_dict({"max_retries": 1})


def test_run_config_names_classifier_keys_under_the_run_block() -> None:
    with pytest.raises(
        ClassifierConfigError,
        match=r"failure_injection\.run\.classifier has unknown key\(s\) \['max_epoch'\]",
    ):
        RunConfig.from_dict({**RUN, "classifier": {"name": "small_cnn", "max_epoch": 5}})
    with pytest.raises(
        ClassifierConfigError,
        match="failure_injection.run.classifier.lr must be a positive number, got 'fast'",
    ):
        RunConfig.from_dict({**RUN, "classifier": {"lr": "fast"}})


def test_run_scenario_refuses_a_non_numeric_count_before_any_work() -> None:
    # The cohort is never touched: the arguments are checked first.
    with pytest.raises(RunConfigError, match="^n_bootstraps must be an integer >= 1, got 'two'$"):
        run_scenario(pd.DataFrame(), ScenarioSpec.from_dict("s", SPEC), Path("/images"), n_bootstraps="two")
    with pytest.raises(ValueError, match="^n_bootstraps must be >= 1, got 0$"):
        run_scenario(pd.DataFrame(), ScenarioSpec.from_dict("s", SPEC), Path("/images"), n_bootstraps=0)
