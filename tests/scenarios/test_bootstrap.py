"""run_scenario on a tiny cohort with in-memory images: the hierarchical design, the gap check, retries and
checkpoints."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from medslice.classifiers import ClassifierConfigError
from medslice.runner.checkpoints import CheckpointStore
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
from medslice.scenarios import bootstrap as bootstrap_module

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
    settings = {"n_classifiers": 2, "max_retries": 1, "classifier": CLASSIFIER, "seed": 0}
    settings.update(kwargs)
    return run_scenario(cohort, spec, Path("/images"), image_loader=loader, show_progress=False, **settings)


def test_spurious_shortcut_creates_the_failure(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    train_sets, audit_sets, classifiers, predictions, qa = _run(
        cohort, spec, loader, min_gap=0.1, audit_draws=2
    )
    assert list(predictions.columns) == list(PREDICTION_COLUMNS)
    assert sorted(classifiers) == [0, 1] and sorted(predictions["bootstrap"].unique()) == [0, 1, 2, 3]
    # bootstrap b audits classifier b // audit_draws
    assert predictions.groupby("bootstrap")["classifier"].unique().map(list).tolist() == [[0], [0], [1], [1]]
    for bootstrap in range(4):
        audit = audit_sets[audit_sets["bootstrap"] == bootstrap]
        preds = predictions[predictions["bootstrap"] == bootstrap]
        assert preds["dicom_id"].tolist() == audit["dicom_id"].tolist()
        gap = accuracy_gap(preds["target"], preds["pred"], preds["in_slice"])["gap"]
        assert gap == pytest.approx(qa["bootstraps"][bootstrap]["accuracy_gap"])
        classifier = bootstrap // 2
        train_subjects = set(train_sets.loc[train_sets["classifier"] == classifier, "subject_id"])
        assert not train_subjects & set(audit["subject_id"])
    # the classifier can only see the devices, so device-bearing negatives fail
    assert qa["mean_accuracy_gap"] >= 0.3 and qa["n_accepted"] == 4 and qa["n_accepted_classifiers"] == 2
    # ... and they fail against the other negatives too, as the paper's within-class check asks
    assert qa["mean_check_within_class_gap"] >= 0.3
    assert qa["design"] == {"n_classifiers": 2, "audit_draws": 2, "n_bootstraps": 4}
    assert predictions["accepted"].all()
    # every image was decoded at most once across classifiers, draws and retries
    assert max(loader.decodes.values()) == 1
    json.dumps(qa)  # the QA is stored as JSON by the pipeline


def test_one_classifier_serves_all_its_audit_draws(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    train_sets, audit_sets, classifiers, predictions, qa = _run(
        cohort, spec, InMemoryLoader(cohort, Path("/images")), n_classifiers=1, audit_draws=3, min_gap=-1.0
    )
    assert sorted(classifiers) == [0] and set(train_sets["classifier"]) == {0}
    # the audit sets are independent draws, with the slice fractions cycling by bootstrap
    assert audit_sets.groupby("bootstrap")["in_slice"].sum().tolist() == [8, 12, 8]
    first, second = (set(audit_sets.loc[audit_sets["bootstrap"] == b, "dicom_id"]) for b in (0, 2))
    assert first != second
    assert not set(audit_sets["subject_id"]) & set(train_sets["subject_id"])
    assert len(qa["classifiers"]) == 1 and len(qa["bootstraps"]) == 3


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
    assert [c["retries"] for c in qa["classifiers"]] == [2, 2]
    assert [len(c["attempts"]) for c in qa["classifiers"]] == [3, 3]
    assert len({a["draw_seed"] for c in qa["classifiers"] for a in c["attempts"]}) == 6
    assert [n["classifier"] for n in qa["not_accepted"]] == [0, 1]
    assert not predictions["accepted"].any() and len(predictions) == len(audit_sets) == 80
    assert sorted(classifiers) == [0, 1]


def test_easy_gap_is_accepted_without_retries(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    loader = InMemoryLoader(cohort, Path("/images"))
    *_, qa = _run(cohort, spec, loader, min_gap=-1.0, max_retries=3)
    assert qa["total_retries"] == 0 and qa["accepted_share"] == 1.0


def test_the_gap_is_checked_once_per_classifier_at_the_largest_slice_fraction(
    cohort: pd.DataFrame, spec: ScenarioSpec
) -> None:
    probe = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), min_gap=-1.0, max_retries=0)
    first = probe.qa["classifiers"][0]
    assert first["check_slice_fraction"] == 0.3 and first["check_n_slice"] == round(0.3 * SPEC["n_audit"])
    audited = probe.qa["bootstraps"][0]
    assert audited["audit_slice_fraction"] == 0.2 and audited["check_gap"] == first["check_gap"]
    # acceptance follows the check gap, not the audit set's: a threshold between them decides
    threshold = (first["check_gap"] + audited["accuracy_gap"]) / 2
    run = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), min_gap=threshold, max_retries=0)
    assert run.qa["classifiers"][0]["check_gap"] == first["check_gap"]
    assert run.qa["bootstraps"][0]["accepted"] == (first["check_gap"] > audited["accuracy_gap"])


def test_same_seed_same_run(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    runs = [
        _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), n_classifiers=1, min_gap=-1)
        for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].predictions, runs[1].predictions)
    pd.testing.assert_frame_equal(runs[0].train_sets, runs[1].train_sets)


def test_a_unit_does_not_depend_on_which_units_ran_before_it(
    cohort: pd.DataFrame, spec: ScenarioSpec
) -> None:
    # Classifier 1 alone, in a process whose image cache never saw classifier 0, equals classifier 1 of a run.
    loader = InMemoryLoader(cohort, Path("/images"))
    both = _run(cohort, spec, loader, n_classifiers=2, min_gap=-1, audit_draws=2)
    fresh = InMemoryLoader(cohort, Path("/images"))
    settings = bootstrap_module.RunConfig.from_dict(
        {"n_classifiers": 2, "audit_draws": 2, "max_retries": 1, "min_gap": -1, "classifier": CLASSIFIER}
    )
    pool = bootstrap_module.prepare_pool(cohort, spec)
    context = bootstrap_module.ScenarioContext(
        spec, pool, Path("/images"), settings, 0, fresh, None, False, key="any"
    )
    alone = bootstrap_module.train_classifier_unit(context, 1)
    for name, tensor in alone["state"].items():
        assert torch.equal(tensor, both.classifiers[1][name])
    last = bootstrap_module.audit_unit(context, alone, 3)
    expected = both.predictions[both.predictions["bootstrap"] == 3]
    np.testing.assert_array_equal(last["probs"], expected["prob"].to_numpy())


def test_finished_units_are_reused_and_only_missing_ones_computed(
    cohort: pd.DataFrame,
    spec: ScenarioSpec,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")
    first = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), checkpoints=store, audit_draws=2)
    files = sorted((tmp_path / "checkpoints").rglob("*.pkl"))
    assert len(files) == 2 + 4
    # a killed run loses the units it had not finished: take one classifier and one bootstrap away
    (files[0].parent / "classifier-00001.pkl").unlink()
    (files[0].parent / "bootstrap-00000-classifier-00000.pkl").unlink()
    calls: Counter[str] = Counter()
    for name in ("train_classifier_unit", "audit_unit"):
        real = getattr(bootstrap_module, name)

        def counted(*args: object, _real=real, _name=name) -> object:  # noqa: ANN001
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(bootstrap_module, name, counted)
    caplog.set_level("INFO", logger="medslice.scenarios.bootstrap")
    again = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), checkpoints=store, audit_draws=2)
    assert calls == {"train_classifier_unit": 1, "audit_unit": 1}
    assert "reusing 1 of 2 classifiers and 3 of 4 bootstraps" in caplog.text
    pd.testing.assert_frame_equal(again.predictions, first.predictions, check_exact=True)
    assert json.dumps(again.qa, sort_keys=True) == json.dumps(first.qa, sort_keys=True)
    # a changed setting is a different key: nothing is reused
    calls.clear()
    _run(
        cohort, spec, InMemoryLoader(cohort, Path("/images")), checkpoints=store, audit_draws=2, min_gap=-0.5
    )
    assert calls == {"train_classifier_unit": 2, "audit_unit": 4}


def test_a_damaged_checkpoint_counts_as_missing(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    store.save("s", "k" * 64, "unit", {"value": 1})
    assert store.load("s", "k" * 64, "unit") == {"value": 1}
    path = store.path("s", "k" * 64, "unit")
    path.write_bytes(path.read_bytes()[:10])  # a torn file, as a crash outside the atomic rename could leave
    assert store.load("s", "k" * 64, "unit") is None
    assert store.load("s", "x" * 64, "unit") is None and CheckpointStore(None).load("s", "k", "u") is None
    assert not list(tmp_path.rglob("*.partial"))


def test_unreadable_images_are_excluded_and_reported(cohort: pd.DataFrame, spec: ScenarioSpec) -> None:
    probe = _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), n_classifiers=1, min_gap=-1)
    broken = probe.audit_sets.iloc[:3]
    loader = InMemoryLoader(cohort, Path("/images"), unreadable=broken["image_path"].tolist())
    train_sets, audit_sets, _, _, qa = _run(cohort, spec, loader, n_classifiers=1, min_gap=-1)
    assert qa["unreadable_images"] == sorted(broken["dicom_id"])
    used = set(train_sets["image_path"]) | set(audit_sets["image_path"])
    assert not used & set(broken["image_path"])
    assert len(audit_sets) == SPEC["n_audit"]


def test_a_redraw_from_a_thin_pool_counts_as_a_failed_attempt(
    cohort: pd.DataFrame, spec: ScenarioSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_attempt = bootstrap_module._classifier_attempt

    def thin_first_draw(context, classifier: int, attempt_index: int):  # noqa: ANN001, ANN202
        if attempt_index == 0:
            raise PoolTooSmallError("cell target=1, attribute=True needs 36 rows but the pool has only 33")
        return real_attempt(context, classifier, attempt_index)

    monkeypatch.setattr(bootstrap_module, "_classifier_attempt", thin_first_draw)
    loader = InMemoryLoader(cohort, Path("/images"))
    *_, qa = _run(cohort, spec, loader, min_gap=-1.0, max_retries=2)
    assert [c["pool_errors"] for c in qa["classifiers"]] == [1, 1]
    assert [c["retries"] for c in qa["classifiers"]] == [1, 1]
    assert qa["n_accepted"] == 2


def test_a_pool_too_thin_for_every_attempt_is_an_error(
    cohort: pd.DataFrame, spec: ScenarioSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_thin(context, classifier: int, attempt_index: int):  # noqa: ANN001, ANN202
        raise PoolTooSmallError("the pool has only 3")

    monkeypatch.setattr(bootstrap_module, "_classifier_attempt", always_thin)
    with pytest.raises(PoolTooSmallError, match="only 3"):
        _run(cohort, spec, InMemoryLoader(cohort, Path("/images")), max_retries=1)


RUN = {
    "n_classifiers": 3,
    "audit_draws": 2,
    "max_retries": 3,
    "min_gap": 0.1,
    "torch_threads": 1,
    "classifier": CLASSIFIER,
}


def test_run_config_reads_a_full_run_block_and_fills_defaults() -> None:
    config = RunConfig.from_dict(RUN)
    assert (config.n_classifiers, config.audit_draws, config.n_bootstraps, config.max_retries) == (3, 2, 6, 3)
    assert [config.classifier_of(b) for b in range(6)] == [0, 0, 1, 1, 2, 2]
    assert config.classifier.model_kwargs == {"width": 4, "n_blocks": 2}
    assert RunConfig.from_dict(config.to_dict()) == config
    minimal = RunConfig.from_dict({"n_classifiers": 1})
    assert (minimal.audit_draws, minimal.max_retries, minimal.min_gap, minimal.torch_threads) == (
        1,
        2,
        0.1,
        1,
    )
    assert minimal.classifier.name == "small_cnn"


def test_run_config_names_an_unknown_key_and_the_allowed_ones() -> None:
    # `--params "failure_injection.run.n_classifier=5"` must not run the default count.
    with pytest.raises(RunConfigError) as raised:
        RunConfig.from_dict({**RUN, "n_classifier": 5})
    message = str(raised.value)
    assert "failure_injection.run has unknown key(s) ['n_classifier']" in message
    assert "did you mean 'n_classifiers'?" in message
    assert all(repr(key) in message for key in RUN_KEYS)


@pytest.mark.parametrize(
    ("replaced", "advice"),
    [
        ({"n_bootstraps": 3}, "n_bootstraps: N with retrain: true is now n_classifiers: N, audit_draws: 1"),
        ({"retrain": False}, "retrain: false is n_classifiers: 1 with audit_draws"),
        ({"check_set": "audit_set"}, "once per classifier"),
    ],
)
def test_run_config_says_what_replaced_the_flat_design(replaced: dict, advice: str) -> None:
    with pytest.raises(RunConfigError, match="was replaced by the hierarchical design") as raised:
        RunConfig.from_dict({**RUN, **replaced})
    assert advice in str(raised.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("n_classifiers", "two", "failure_injection.run.n_classifiers must be an integer >= 1, got 'two'"),
        ("n_classifiers", True, "failure_injection.run.n_classifiers must be an integer >= 1, got True"),
        ("n_classifiers", 2.5, "failure_injection.run.n_classifiers must be an integer >= 1, got 2.5"),
        ("n_classifiers", 0, "failure_injection.run.n_classifiers must be >= 1, got 0"),
        ("audit_draws", 0, "failure_injection.run.audit_draws must be >= 1, got 0"),
        ("torch_threads", 0, "failure_injection.run.torch_threads must be >= 1, got 0"),
        ("max_retries", "many", "failure_injection.run.max_retries must be an integer >= 0, got 'many'"),
        ("max_retries", -1, "failure_injection.run.max_retries must be >= 0, got -1"),
        ("min_gap", "big", "failure_injection.run.min_gap must be a number, got 'big'"),
        ("min_gap", False, "failure_injection.run.min_gap must be a number, got False"),
    ],
)
def test_run_config_names_the_key_the_value_and_what_is_expected(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(RunConfigError) as raised:
        RunConfig.from_dict({**RUN, key: value})
    assert str(raised.value).startswith(expected)


def test_run_config_requires_n_classifiers() -> None:
    with pytest.raises(RunConfigError, match="failure_injection.run.n_classifiers is required"):
        RunConfig.from_dict({"max_retries": 1})


def test_a_scenario_overrides_the_run_settings_by_key() -> None:
    config = RunConfig.for_scenario(RUN, {"run": {"n_classifiers": 150}}, "spurious_correlation")
    assert (config.n_classifiers, config.audit_draws) == (150, 2)
    assert RunConfig.for_scenario(RUN, {}, "rare_slice") == RunConfig.from_dict(RUN)
    with pytest.raises(
        RunConfigError, match=r"failure_injection\.scenarios\.rare_slice\.run has unknown key"
    ):
        RunConfig.for_scenario(RUN, {"run": {"n_classifier": 5}}, "rare_slice")


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
    with pytest.raises(RunConfigError, match="^n_classifiers must be an integer >= 1, got 'two'$"):
        run_scenario(pd.DataFrame(), ScenarioSpec.from_dict("s", SPEC), Path("/images"), n_classifiers="two")
    with pytest.raises(ValueError, match="^audit_draws must be >= 1, got 0$"):
        run_scenario(
            pd.DataFrame(), ScenarioSpec.from_dict("s", SPEC), Path("/images"), n_classifiers=1, audit_draws=0
        )
