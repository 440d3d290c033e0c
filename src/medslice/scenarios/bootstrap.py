"""Bootstrapped failure injection with a hierarchical design, one pure unit of work at a time.

A scenario's audit is ``n_classifiers`` independently drawn and trained classifiers, each audited on
``audit_draws`` independent audit sets: ``n_classifiers x audit_draws`` bootstraps. Bootstrap ``b`` belongs
to classifier ``b // audit_draws`` and uses the audit slice fraction ``spec.audit_slice_fraction(b)``. The
paper's text (one audit set per retrained classifier) is ``audit_draws: 1``; the authors' scripts (one
classifier audited on three sets, one per slice fraction) are ``audit_draws: 3``.

Two kinds of unit, each a pure function seeded only by (seed, scenario, index):

- :func:`train_classifier_unit` draws a classifier's training, validation and audit pools, trains it and
  runs the paper's failure check: the accuracy gap (non-slice minus slice accuracy) on an audit-pool draw
  at the largest slice fraction. A classifier whose gap stays below ``min_gap`` is redrawn and retrained,
  up to ``max_retries`` times; one that never reaches it is kept with ``accepted = False``, never dropped
  silently, and all its bootstraps carry that flag.
- :func:`audit_unit` draws one bootstrap's audit set from its classifier's audit pool and predicts it.

:func:`run_scenario` maps the units with :func:`medslice.runner.executor.map_units` (in process, or over the
active Dask client) and keeps each finished unit in a :class:`~medslice.runner.checkpoints.CheckpointStore`
under a hash of every setting and input that made it, so a rerun, a resumed run and a Dask run all give the
same bytes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch

from medslice.classifiers import ClassifierConfig, build_classifier, predict_proba, train_classifier
from medslice.classifiers.config import did_you_mean, finite_number
from medslice.errors import BadValueError
from medslice.predictions import hard_predictions
from medslice.runner.checkpoints import CheckpointStore, fingerprint
from medslice.runner.executor import fixed_torch_threads, map_units
from medslice.scenarios.draw import (
    ScenarioPool,
    draw_audit_set,
    draw_classifier_sets,
    finalise_set,
    prepare_pool,
)
from medslice.scenarios.image_cache import ImageLoader, default_image_loader, shared_image_cache
from medslice.scenarios.mechanisms import PoolTooSmallError
from medslice.scenarios.spec import AuditComposition, ScenarioSpec

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "bootstrap",
    "classifier",
    "target",
    "prob",
    "pred",
    "in_slice",
    "attribute",
    "accepted",
)
# The headline number of each mechanism, lifted from the training QA into the per-classifier QA.
INJECTION_KEYS: tuple[str, ...] = ("achieved_correlation", "achieved_rare_share", "flipped_count")
_GAP_EPSILON = 1e-9  # a gap of exactly min_gap must pass despite floating-point rounding
RUN_KEYS: tuple[str, ...] = (
    "n_classifiers",
    "audit_draws",
    "max_retries",
    "min_gap",
    "torch_threads",
    "classifier",
)
# Settings of the flat design this one replaced, with what to write instead.
REPLACED_KEYS: dict[str, str] = {
    "n_bootstraps": "n_bootstraps: N with retrain: true is now n_classifiers: N, audit_draws: 1; "
    "with retrain: false it is n_classifiers: 1, audit_draws: N",
    "retrain": "retrain: true is now audit_draws: 1 (one audit set per trained classifier); "
    "retrain: false is n_classifiers: 1 with audit_draws set to the number of audit sets",
    "check_set": "the failure check is now made once per classifier, on an audit-pool draw with the "
    "largest audit slice fraction (the paper's code); remove check_set",
}
RUN_PARAMETERS = "failure_injection.run"  # where the run settings sit in the Kedro parameters
UNIT_FORMAT = 1  # bump when a unit's result changes shape, so old checkpoints are not reused


class RunConfigError(BadValueError):
    """The run settings (``failure_injection.run``) are invalid; the message names the offending key."""


def _integer(key: str, value: Any, *, minimum: int) -> int:
    """An integer >= minimum (bools refused: ``true`` is not a count), or a RunConfigError naming the key."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise RunConfigError(f"{key} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise RunConfigError(f"{key} must be >= {minimum}, got {value}")
    return int(value)


def _number(key: str, value: Any) -> float:
    """A finite float, or a RunConfigError naming the key."""
    number = finite_number(value)
    if number is None:
        raise RunConfigError(f"{key} must be a number, got {value!r}")
    return number


@dataclass(frozen=True)
class RunConfig:
    """How every scenario is run: the validated ``failure_injection.run`` mapping.

    Attributes
    ----------
    n_classifiers : int
        Independently drawn and trained classifiers per scenario (required, >= 1).
    audit_draws : int
        Independent audit sets per classifier (>= 1); bootstraps = n_classifiers x audit_draws.
    max_retries : int
        Redraws and retrainings per classifier while its accuracy gap stays below
        ``min_gap`` (>= 0).
    min_gap : float
        Accuracy gap a classifier needs to count; gaps lie in [-1, 1], so above 1 nothing is
        accepted and at -1 everything is.
    torch_threads : int
        Torch threads every unit runs with, wherever it runs (>= 1); the same count gives
        the same bytes in process and on any Dask worker.
    classifier : ClassifierConfig
        The classifier under audit.
    """

    n_classifiers: int
    audit_draws: int = 1
    max_retries: int = 2
    min_gap: float = 0.10
    torch_threads: int = 1
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)

    @property
    def n_bootstraps(self) -> int:
        """``n_classifiers x audit_draws``."""
        return self.n_classifiers * self.audit_draws

    def classifier_of(self, bootstrap: int) -> int:
        """The classifier that bootstrap ``bootstrap`` audits."""
        return int(bootstrap) // self.audit_draws

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], *, where: str = RUN_PARAMETERS) -> RunConfig:
        """Validate a run mapping such as ``{"n_classifiers": 3, "audit_draws": 10}``.

        ``where`` prefixes the key names in error messages (``""`` for bare argument names). Raises
        ``RunConfigError`` (a ``ValueError``) for a key outside ``RUN_KEYS`` (a replaced key says what to
        write instead), a missing ``n_classifiers`` and a value of the wrong type or range, and
        ``ClassifierConfigError`` for the ``classifier`` mapping.
        """
        prefix = f"{where}." if where else ""
        label = where or "run settings"
        if not isinstance(mapping, Mapping):
            raise RunConfigError(f"{label} must be a mapping, got {mapping!r}")
        replaced = [key for key in REPLACED_KEYS if key in mapping]
        if replaced:
            raise RunConfigError(
                f"{prefix}{replaced[0]} was replaced by the hierarchical design: "
                f"{REPLACED_KEYS[replaced[0]]}."
            )
        # An unknown key is refused rather than ignored: `n_classifier=5` must not run the default.
        unknown = sorted(str(k) for k in set(mapping) - set(RUN_KEYS))
        if unknown:
            raise RunConfigError(
                f"{label} has unknown key(s) {unknown}{did_you_mean(unknown, RUN_KEYS)}; "
                f"allowed: {list(RUN_KEYS)}"
            )
        if "n_classifiers" not in mapping:
            raise RunConfigError(f"{prefix}n_classifiers is required (an integer >= 1)")
        return cls(
            n_classifiers=_integer(f"{prefix}n_classifiers", mapping["n_classifiers"], minimum=1),
            audit_draws=_integer(
                f"{prefix}audit_draws", mapping.get("audit_draws", cls.audit_draws), minimum=1
            ),
            max_retries=_integer(
                f"{prefix}max_retries", mapping.get("max_retries", cls.max_retries), minimum=0
            ),
            min_gap=_number(f"{prefix}min_gap", mapping.get("min_gap", cls.min_gap)),
            torch_threads=_integer(
                f"{prefix}torch_threads", mapping.get("torch_threads", cls.torch_threads), minimum=1
            ),
            classifier=ClassifierConfig.from_dict(mapping.get("classifier"), key=f"{prefix}classifier"),
        )

    @classmethod
    def for_scenario(cls, run: Mapping[str, Any], scenario: Mapping[str, Any], name: str) -> RunConfig:
        """The run settings of scenario ``name``: ``run`` with the scenario's own ``run:`` keys over it.

        ``conf/paper_protocol`` uses it to train 150 classifiers for the spurious correlation and 100 for
        the others. Errors in an override name ``failure_injection.scenarios.<name>.run.<key>``.
        """
        overrides = scenario.get("run") or {}
        where = f"failure_injection.scenarios.{name}.run"
        if not isinstance(overrides, Mapping):
            raise RunConfigError(f"{where} must be a mapping of run settings, got {overrides!r}")
        if overrides:
            cls.from_dict({"n_classifiers": 1, **overrides}, where=where)
        return cls.from_dict({**run, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """The settings as a mapping ``from_dict`` accepts (the classifier as its full mapping)."""
        return {
            "n_classifiers": self.n_classifiers,
            "audit_draws": self.audit_draws,
            "max_retries": self.max_retries,
            "min_gap": self.min_gap,
            "torch_threads": self.torch_threads,
            "classifier": self.classifier.to_dict(),
        }


class ScenarioRun(NamedTuple):
    """What ``run_scenario`` returns; unpacks as a 5-tuple."""

    train_sets: pd.DataFrame
    audit_sets: pd.DataFrame
    classifiers: dict[int, dict[str, torch.Tensor]]
    predictions: pd.DataFrame
    qa: dict[str, Any]


def _mean_or_nan(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def accuracy_gap(target: np.ndarray, pred: np.ndarray, in_slice: np.ndarray) -> dict[str, float]:
    """Accuracy off and on the slice and their difference ``gap`` (NaN if a side is empty).

    ``within_class_gap`` is the paper's own comparison: inside the slice's target class (the
    majority target of the slice), the accuracy of the other cases minus the slice's. It tells a
    slice-specific failure from a classifier that is merely worse on one class.
    """
    target = np.asarray(target)
    if target.ndim != 1:
        raise BadValueError(f"target must be 1-D, got shape {target.shape}.")
    correct = target == hard_predictions(pred, "pred", len(target))
    mask = np.asarray(in_slice, dtype=bool)
    if mask.shape != target.shape:
        raise BadValueError(f"in_slice must have shape {target.shape}, got {mask.shape}.")
    slice_acc = _mean_or_nan(correct[mask])
    rest_acc = _mean_or_nan(correct[~mask])
    slice_class = float("nan")
    within_slice_acc = within_rest_acc = float("nan")
    if mask.any():
        classes, counts = np.unique(target[mask], return_counts=True)
        slice_class = float(classes[np.argmax(counts)])
        same_class = target == slice_class
        within_slice_acc = _mean_or_nan(correct[same_class & mask])
        within_rest_acc = _mean_or_nan(correct[same_class & ~mask])
    return {
        "slice_accuracy": slice_acc,
        "non_slice_accuracy": rest_acc,
        "gap": rest_acc - slice_acc,
        "slice_class": slice_class,
        "within_class_non_slice_accuracy": within_rest_acc,
        "within_class_gap": within_rest_acc - within_slice_acc,
    }


def derive_seed(*entropy: int) -> int:
    """A 32-bit seed derived from the run seed and indices (scenario, unit, attempt, purpose)."""
    return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])


def scenario_entropy(name: str) -> int:
    """A stable integer for a scenario's name, so that two scenarios never share their random draws."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


# Purposes that keep a unit's random streams apart.
_CLASSIFIER, _AUDIT, _TRAIN, _CHECK = 1, 2, 3, 4


@dataclass(frozen=True)
class ScenarioContext:
    """Everything a unit of one scenario needs: picklable, so that it can travel to a Dask worker.

    Attributes
    ----------
    spec : ScenarioSpec
        The scenario.
    pool : ScenarioPool
        The cohort rows the scenario draws from (``prepare_pool``).
    image_root : Path
        Folder the pool's ``image_path`` values are relative to.
    settings : RunConfig
        The run settings.
    seed : int
        The one seed every draw, initialisation and shuffle derives from.
    image_loader : ImageLoader
        ``(paths, size) -> (uint8 (N, size, size), report)``.
    max_cached_images : int or None
        Bound on decoded images kept per process (None: all).
    show_progress : bool
        Tqdm bars over epochs.
    key : str
        Hash of every setting and input that decides a unit's result (its checkpoint key).
    """

    spec: ScenarioSpec
    pool: ScenarioPool
    image_root: Path
    settings: RunConfig
    seed: int
    image_loader: ImageLoader
    max_cached_images: int | None
    show_progress: bool
    key: str

    def entropy(self, *indices: int) -> int:
        """A seed for the unit addressed by ``indices`` (purpose first), from (seed, scenario, indices)."""
        return derive_seed(self.seed, scenario_entropy(self.spec.name), *indices)

    def images(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """The frame's images at the classifier's size, and the ids that could not be read."""
        cache = shared_image_cache(
            self.image_loader, self.image_root, self.settings.classifier.image_size, self.max_cached_images
        )
        return cache.fetch(frame["dicom_id"].tolist(), frame["image_path"].tolist())

    def build_model(self, state: dict[str, torch.Tensor] | None = None, seed: int = 0) -> torch.nn.Module:
        """The classifier, with ``state`` loaded when given."""
        config = self.settings.classifier
        model = build_classifier(config.name, seed=seed, **config.model_kwargs)
        if state is not None:
            model.load_state_dict(state)
            model.eval()
        return model


def _readable_audit_draw(
    context: ScenarioContext, audit_pool: pd.DataFrame, composition: AuditComposition, seed: int
) -> tuple[pd.DataFrame, dict, np.ndarray, list[str]]:
    """An audit-set draw whose images all decode; unreadable ones leave the pool and the same seed redraws.

    Which images are unreadable is learnt by this unit's own reads, never from another unit's, so the
    draw does not depend on what ran before it in the same process.
    """
    unreadable: list[str] = []
    while True:
        pool = audit_pool[~audit_pool["dicom_id"].isin(unreadable)].reset_index(drop=True)
        rng = np.random.default_rng(np.random.SeedSequence([seed]))
        audit, audit_qa = draw_audit_set(pool, context.spec, composition, rng)
        images, failed = context.images(audit)
        if not failed:
            return audit, audit_qa, images, sorted(unreadable)
        unreadable.extend(failed)


def _predict(context: ScenarioContext, model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    return predict_proba(model, images, device=context.settings.classifier.device)


def _train(
    context: ScenarioContext, train_set: pd.DataFrame, images: np.ndarray, seed: int
) -> tuple[torch.nn.Module, dict[str, Any]]:
    config = context.settings.classifier
    is_train = (train_set["role"] == "train").to_numpy()
    targets = train_set["target"].to_numpy()
    return train_classifier(
        context.build_model(seed=seed),
        images[is_train],
        targets[is_train],
        images[~is_train],
        targets[~is_train],
        seed=seed,
        show_progress=context.show_progress,
        **config.training_kwargs(),
    )


def _classifier_attempt(context: ScenarioContext, classifier: int, attempt: int) -> dict[str, Any]:
    """Draw the sets, train, and measure the failure check of one attempt at classifier ``classifier``."""
    draw_seed = context.entropy(_CLASSIFIER, classifier, attempt)
    train_seed = context.entropy(_TRAIN, classifier, attempt)
    unreadable: list[str] = []
    while True:
        frame = context.pool.frame
        pool = ScenarioPool(frame[~frame["dicom_id"].isin(unreadable)], context.pool.n_missing_target)
        train_set, audit_pool, qa = draw_classifier_sets(pool, context.spec, draw_seed)
        images, failed = context.images(train_set)
        if not failed:
            break
        unreadable.extend(failed)
    model, history = _train(context, train_set, images, train_seed)
    largest = context.spec.check_composition()
    check_set, check_qa, check_images, check_unreadable = _readable_audit_draw(
        context, audit_pool, largest, context.entropy(_CHECK, classifier, attempt)
    )
    probs = _predict(context, model, check_images)
    check = accuracy_gap(check_set["target"].to_numpy(), probs >= 0.5, check_set["in_slice"].to_numpy())
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "train_set": train_set,
        "audit_pool": audit_pool,
        "history": history,
        "check": {
            **check,
            "slice_fraction": largest.requested_fraction,
            "n_slice": int(check_qa["n_slice"]),
        },
        "draw": qa,
        "unreadable": sorted(set(unreadable) | set(check_unreadable)),
        "record": {
            "attempt": attempt,
            "draw_seed": draw_seed,
            "train_seed": train_seed,
            **{f"check_{k}": v for k, v in check.items()},
        },
    }


def train_classifier_unit(context: ScenarioContext, classifier: int) -> dict[str, Any]:
    """Classifier ``classifier`` of the scenario, trained until its failure check passes or retries run out.

    A pure function of ``context`` and ``classifier``. Returns a dict with the accepted (or last) attempt's
    ``state``, ``train_set``, ``audit_pool``, ``history``, ``check``, ``draw`` QA, ``unreadable`` ids, plus
    ``accepted``, ``attempts`` (one record per attempt) and ``classifier``.
    """
    settings = context.settings
    with fixed_torch_threads(settings.torch_threads):
        attempts: list[dict[str, Any]] = []
        chosen, accepted, pool_error = None, False, None
        unreadable: set[str] = set()
        for attempt_index in range(settings.max_retries + 1):
            try:
                attempt = _classifier_attempt(context, classifier, attempt_index)
            except PoolTooSmallError as error:
                # A redraw can land on a thinner pool than the first draw: count it as a failed attempt.
                pool_error = error
                attempts.append({"attempt": attempt_index, "pool_error": str(error), "accepted": False})
                continue
            chosen = attempt
            unreadable |= set(attempt["unreadable"])
            accepted = bool(chosen["check"]["gap"] >= settings.min_gap - _GAP_EPSILON)
            attempts.append({**chosen["record"], "accepted": accepted})
            if accepted:
                break
    if chosen is None:
        raise pool_error
    return {
        **{k: v for k, v in chosen.items() if k != "record"},
        "unreadable": sorted(unreadable),
        "classifier": int(classifier),
        "accepted": accepted,
        "attempts": attempts,
    }


def audit_unit(context: ScenarioContext, trained: Mapping[str, Any], bootstrap: int) -> dict[str, Any]:
    """Bootstrap ``bootstrap``: an audit set drawn from its classifier's audit pool, and the predictions.

    A pure function of ``context``, the trained classifier and ``bootstrap``. Returns the finalised
    ``audit_set``, the predicted ``probs``, the ``accuracy`` gaps on it, its draw ``qa`` and the
    ``unreadable`` ids it met.
    """
    classifier = int(trained["classifier"])
    composition = context.spec.audit_composition(bootstrap)
    with fixed_torch_threads(context.settings.torch_threads):
        audit, audit_qa, images, unreadable = _readable_audit_draw(
            context, trained["audit_pool"], composition, context.entropy(_AUDIT, bootstrap)
        )
        probs = _predict(context, context.build_model(trained["state"]), images)
    accuracy = accuracy_gap(audit["target"].to_numpy(), probs >= 0.5, audit["in_slice"].to_numpy())
    return {
        "bootstrap": int(bootstrap),
        "classifier": classifier,
        "audit_set": finalise_set(audit, bootstrap, classifier),
        "probs": probs,
        "accuracy": accuracy,
        "qa": audit_qa,
        "unreadable": unreadable,
    }


def _classifier_unit_name(classifier: int) -> str:
    return f"classifier-{classifier:05d}"


def _audit_unit_name(bootstrap: int, classifier: int) -> str:
    return f"bootstrap-{bootstrap:05d}-classifier-{classifier:05d}"


def _log_reuse(context: ScenarioContext, store: CheckpointStore) -> None:
    """Say how many units the checkpoint store already holds (logged only: outputs never record it)."""
    settings = context.settings
    kept = [
        store.path(context.spec.name, context.key, _classifier_unit_name(c))
        for c in range(settings.n_classifiers)
    ]
    drawn = [
        store.path(context.spec.name, context.key, _audit_unit_name(b, settings.classifier_of(b)))
        for b in range(settings.n_bootstraps)
    ]
    n_kept = sum(path is not None and path.is_file() for path in kept)
    n_drawn = sum(path is not None and path.is_file() for path in drawn)
    if n_kept or n_drawn:
        logger.info(
            "scenario %s: reusing %d of %d classifiers and %d of %d bootstraps from %s",
            context.spec.name,
            n_kept,
            len(kept),
            n_drawn,
            len(drawn),
            store,
        )


def _checkpointed_classifier(context: ScenarioContext, store: CheckpointStore, classifier: int) -> dict:
    unit = _classifier_unit_name(classifier)
    found = store.load(context.spec.name, context.key, unit)
    if found is None:
        found = train_classifier_unit(context, classifier)
        store.save(context.spec.name, context.key, unit, found)
    return found


def _checkpointed_audit(
    context: ScenarioContext, store: CheckpointStore, work: tuple[int, Mapping[str, Any]]
) -> dict:
    bootstrap, trained = work
    unit = _audit_unit_name(bootstrap, int(trained["classifier"]))
    found = store.load(context.spec.name, context.key, unit)
    if found is None:
        found = audit_unit(context, trained, bootstrap)
        store.save(context.spec.name, context.key, unit, found)
    return found


def _classifier_qa(trained: Mapping[str, Any]) -> dict[str, Any]:
    train_qa = trained["draw"].get("train", {})
    check = trained["check"]
    return {
        "classifier": trained["classifier"],
        "accepted": trained["accepted"],
        "check_gap": check["gap"],
        "check_within_class_gap": check["within_class_gap"],
        "check_slice_fraction": check["slice_fraction"],
        "check_n_slice": check["n_slice"],
        "retries": len(trained["attempts"]) - 1,
        "pool_errors": sum("pool_error" in a for a in trained["attempts"]),
        **{k: train_qa[k] for k in INJECTION_KEYS if k in train_qa},
        "attempts": trained["attempts"],
        "draw": trained["draw"],
        "training": trained["history"],
    }


def _bootstrap_qa(audited: Mapping[str, Any], trained: Mapping[str, Any]) -> dict[str, Any]:
    accuracy = audited["accuracy"]
    return {
        "bootstrap": audited["bootstrap"],
        "classifier": audited["classifier"],
        "accepted": trained["accepted"],
        "check_gap": trained["check"]["gap"],
        "check_within_class_gap": trained["check"]["within_class_gap"],
        "accuracy_gap": accuracy["gap"],
        "within_class_gap": accuracy["within_class_gap"],
        "slice_accuracy": accuracy["slice_accuracy"],
        "non_slice_accuracy": accuracy["non_slice_accuracy"],
        "audit_slice_fraction": audited["qa"]["requested_slice_fraction"],
        "audit": audited["qa"],
    }


def scenario_key(
    spec: ScenarioSpec, pool: ScenarioPool, settings: RunConfig, seed: int, inputs: Mapping[str, Any]
) -> str:
    """The hash a scenario's units are kept under: every setting and input that decides their results.

    ``inputs`` adds what the caller knows of the data (the release's identity, the image loader); the
    number of classifiers and audit draws is left out, since one unit does not depend on how many others
    there are.
    """
    unit_settings = {k: v for k, v in settings.to_dict().items() if k not in ("n_classifiers", "audit_draws")}
    return fingerprint(
        {
            "format": UNIT_FORMAT,
            "spec": spec.to_dict(),
            "settings": unit_settings,
            "seed": int(seed),
            "pool": pool.frame,
            "n_missing_target": pool.n_missing_target,
            "inputs": dict(inputs),
        }
    )


def _callable_name(function: Any) -> str:
    """``module.qualname`` of a function, or of a callable object's class (never its memory address)."""
    named = function if hasattr(function, "__qualname__") else type(function)
    return f"{named.__module__}.{named.__qualname__}"


def run_scenario(
    cohort: pd.DataFrame,
    spec: ScenarioSpec,
    image_root: str | Path,
    *,
    n_classifiers: int,
    audit_draws: int = 1,
    max_retries: int = 2,
    min_gap: float = 0.10,
    torch_threads: int = 1,
    classifier: Mapping[str, Any] | None = None,
    seed: int = 0,
    image_loader: ImageLoader | None = None,
    max_cached_images: int | None = None,
    show_progress: bool = True,
    checkpoints: CheckpointStore | None = None,
    release_identity: Mapping[str, Any] | None = None,
) -> ScenarioRun:
    """Inject ``spec``'s failure into ``n_classifiers`` classifiers and audit each on ``audit_draws`` sets.

    Parameters
    ----------
    cohort : pd.DataFrame
        The cohort table (``medslice.mimic.schemas.COHORT_COLUMNS``).
    spec : ScenarioSpec
        The scenario.
    image_root : str or Path
        Folder the cohort's ``image_path`` values are relative to.
    n_classifiers : int
        Independently drawn and trained classifiers.
    audit_draws : int, default=1
        Audit sets per classifier; bootstrap b audits classifier ``b // audit_draws`` with the
        slice fraction ``spec.audit_slice_fraction(b)``.
    max_retries : int, default=2
        Redraws per classifier when its accuracy gap stays below ``min_gap``.
    min_gap : float, default=0.1
        Accuracy gap (non-slice minus slice, on an audit-pool draw at the largest slice fraction)
        a classifier needs to count.
    torch_threads : int, default=1
        Torch threads each unit runs with (fixes its bytes wherever it runs).
    classifier : Mapping[str, Any] or None, default=None
        A ``ClassifierConfig`` mapping (default: ``small_cnn`` with CPU defaults).
    seed : int, default=0
        The one seed every draw, initialisation and shuffle derives from.
    image_loader : ImageLoader or None, default=None
        ``(paths, size) -> (uint8 (N, size, size), report)``; default
        ``medslice.encoders.image_loading.load_images``. On a Dask cluster it must be picklable.
    max_cached_images : int or None, default=None
        Bound on decoded images kept per process (None: all).
    show_progress : bool, default=True
        Tqdm bars over units and epochs.
    checkpoints : CheckpointStore or None, default=None
        Where finished units are kept and reused (None: keep nothing).
    release_identity : Mapping[str, Any] or None, default=None
        What identifies the image release (part of the checkpoint key).

    Returns
    -------
    ScenarioRun
        ``ScenarioRun(train_sets, audit_sets, classifiers, predictions, qa)``: each classifier's training
        set (``classifier`` column), each bootstrap's audit set (``bootstrap`` and ``classifier``), the
        state dicts keyed by classifier, predictions with ``PREDICTION_COLUMNS`` and a JSON-friendly QA
        dict. Rows come in bootstrap order, whichever unit finished first.

    Raises
    ------
    RunConfigError
        A setting of the wrong type or range (``RunConfig.from_dict``'s checks).
    ClassifierConfigError
        An invalid ``classifier`` mapping.
    """
    # The same checks as the parameters get, so that a direct call fails as clearly.
    settings = RunConfig.from_dict(
        {
            "n_classifiers": n_classifiers,
            "audit_draws": audit_draws,
            "max_retries": max_retries,
            "min_gap": min_gap,
            "torch_threads": torch_threads,
            "classifier": classifier,
        },
        where="",
    )
    loader = image_loader or default_image_loader()
    pool = prepare_pool(cohort, spec)
    inputs = {
        "release": dict(release_identity or {}),
        "loader": _callable_name(loader),
    }
    context = ScenarioContext(
        spec=spec,
        pool=pool,
        image_root=Path(image_root),
        settings=settings,
        seed=int(seed),
        image_loader=loader,
        max_cached_images=max_cached_images,
        show_progress=show_progress,
        key=scenario_key(spec, pool, settings, seed, inputs),
    )
    store = checkpoints or CheckpointStore(None)
    _log_reuse(context, store)
    trained = map_units(
        _checkpointed_classifier,
        range(settings.n_classifiers),
        shared=(context, store),
        desc=f"{spec.name} classifiers",
        key_prefix=f"{spec.name}-classifier",
        show_progress=show_progress,
    )
    # Each bootstrap travels with its own classifier only: broadcasting every classifier to every worker
    # would cost n_workers x the classifiers' size (150 ResNet-18s are 6.7 GB).
    audited = map_units(
        _checkpointed_audit,
        [
            (bootstrap, trained[settings.classifier_of(bootstrap)])
            for bootstrap in range(settings.n_bootstraps)
        ],
        shared=(context, store),
        desc=f"{spec.name} bootstraps",
        key_prefix=f"{spec.name}-bootstrap",
        show_progress=show_progress,
    )
    for unit in trained:
        if not unit["accepted"]:
            logger.warning(
                "scenario %s classifier %d: accuracy gap %.3f < %.2f after %d retries; its %d bootstraps "
                "are kept as not accepted",
                spec.name,
                unit["classifier"],
                unit["check"]["gap"],
                settings.min_gap,
                settings.max_retries,
                settings.audit_draws,
            )
    return _assemble(spec, settings, seed, trained, audited)


def _assemble(
    spec: ScenarioSpec, settings: RunConfig, seed: int, trained: list[dict], audited: list[dict]
) -> ScenarioRun:
    """The scenario's tables and QA from its units, in classifier and bootstrap order."""
    train_sets = [
        finalise_set(unit["train_set"], unit["classifier"] * settings.audit_draws, unit["classifier"])
        for unit in trained
    ]
    predictions = []
    for unit in audited:
        audit = unit["audit_set"]
        predictions.append(
            pd.DataFrame(
                {
                    "dicom_id": audit["dicom_id"],
                    "bootstrap": audit["bootstrap"],
                    "classifier": audit["classifier"],
                    "target": audit["target"],
                    "prob": unit["probs"],
                    "pred": (unit["probs"] >= 0.5).astype("int64"),
                    "in_slice": audit["in_slice"],
                    "attribute": audit["attribute"],
                    "accepted": bool(trained[unit["classifier"]]["accepted"]),
                }
            )
        )
    classifiers = [_classifier_qa(unit) for unit in trained]
    bootstraps = [_bootstrap_qa(unit, trained[unit["classifier"]]) for unit in audited]
    unreadable = sorted({i for unit in [*trained, *audited] for i in unit["unreadable"]})
    n_accepted = sum(b["accepted"] for b in bootstraps)
    qa = {
        "scenario": spec.name,
        "spec": spec.to_dict(),
        "classifier": settings.classifier.to_dict(),
        "seed": int(seed),
        "design": {
            "n_classifiers": settings.n_classifiers,
            "audit_draws": settings.audit_draws,
            "n_bootstraps": settings.n_bootstraps,
        },
        "n_classifiers": settings.n_classifiers,
        "audit_draws": settings.audit_draws,
        "n_bootstraps": settings.n_bootstraps,
        "min_gap": settings.min_gap,
        "max_retries": settings.max_retries,
        "torch_threads": settings.torch_threads,
        "n_accepted": n_accepted,
        "n_accepted_classifiers": sum(c["accepted"] for c in classifiers),
        "accepted_share": n_accepted / settings.n_bootstraps,
        "total_retries": sum(c["retries"] for c in classifiers),
        "mean_check_gap": float(np.nanmean([c["check_gap"] for c in classifiers])),
        "mean_accuracy_gap": float(np.nanmean([b["accuracy_gap"] for b in bootstraps])),
        "mean_check_within_class_gap": float(np.nanmean([c["check_within_class_gap"] for c in classifiers])),
        "not_accepted": [
            {"classifier": c["classifier"], "check_gap": c["check_gap"]}
            for c in classifiers
            if not c["accepted"]
        ],
        "unreadable_images": unreadable,
        "classifiers": classifiers,
        "bootstraps": bootstraps,
    }
    return ScenarioRun(
        pd.concat(train_sets, ignore_index=True),
        pd.concat([unit["audit_set"] for unit in audited], ignore_index=True),
        {unit["classifier"]: unit["state"] for unit in trained},
        pd.concat(predictions, ignore_index=True).loc[:, list(PREDICTION_COLUMNS)],
        qa,
    )
