"""Bootstrapped failure injection: draw sets, train the classifier, check that the failure appeared.

Per bootstrap the sets are drawn anew and the classifier is retrained (or, with ``retrain=False``,
trained once on bootstrap 0 while only the audit sets are redrawn). A draw counts only when the
accuracy gap (non-slice accuracy minus slice accuracy) reaches ``min_gap``; otherwise it is
redrawn with a new seed, up to ``max_retries`` times. Every retry is counted in the QA, and a
bootstrap that never reaches the gap is kept with ``accepted = False`` and its gap, never dropped
silently.

Where the gap is measured is ``check_set``. ``"largest_fraction"`` (the default, as in the paper's
code) measures it on an audit-pool draw whose slice is the largest of the audit slice fractions,
the bootstrap's own audit set when its fraction is the largest: at 5% of 300 cases the slice holds
15 cases, whose accuracy has a standard error of about 0.13, too coarse to tell whether the
classifier carries the failure. ``"audit_set"`` measures it on the bootstrap's own audit set.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from medslice.classifiers import ClassifierConfig, build_classifier, predict_proba, train_classifier
from medslice.classifiers.config import did_you_mean, finite_number
from medslice.predictions import hard_predictions
from medslice.scenarios.draw import (
    Draw,
    ScenarioPool,
    draw_audit_set,
    draw_from_pool,
    finalise_set,
    prepare_pool,
)
from medslice.scenarios.image_cache import ImageCache, ImageLoader, default_image_loader
from medslice.scenarios.mechanisms import PoolTooSmallError
from medslice.scenarios.spec import ScenarioSpec

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "bootstrap",
    "target",
    "prob",
    "pred",
    "in_slice",
    "attribute",
    "accepted",
)
# The headline number of each mechanism, lifted from the training QA into the per-bootstrap QA.
INJECTION_KEYS: tuple[str, ...] = ("achieved_correlation", "achieved_rare_share", "flipped_count")
_GAP_EPSILON = 1e-9  # a gap of exactly min_gap must pass despite floating-point rounding
CHECK_SETS: tuple[str, ...] = ("largest_fraction", "audit_set")
RUN_KEYS: tuple[str, ...] = ("n_bootstraps", "retrain", "max_retries", "min_gap", "check_set", "classifier")
RUN_PARAMETERS = "failure_injection.run"  # where the run settings sit in the Kedro parameters


class RunConfigError(ValueError):
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

    Attributes:
        n_bootstraps: number of bootstraps (required, >= 1).
        retrain: retrain per bootstrap, or train once and only redraw the audit sets.
        max_retries: redraws per bootstrap while the accuracy gap stays below ``min_gap`` (>= 0).
        min_gap: accuracy gap a draw needs to count; gaps lie in [-1, 1], so above 1 nothing is
            accepted and at -1 everything is.
        check_set: where the gap is measured, one of ``CHECK_SETS``.
        classifier: the classifier under audit.
    """

    n_bootstraps: int
    retrain: bool = True
    max_retries: int = 2
    min_gap: float = 0.10
    check_set: str = "largest_fraction"
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], *, where: str = RUN_PARAMETERS) -> RunConfig:
        """Validate a run mapping such as ``{"n_bootstraps": 3, "classifier": {"name": "small_cnn"}}``.

        ``where`` prefixes the key names in error messages (``""`` for bare argument names). Raises
        ``RunConfigError`` (a ``ValueError``) for a key outside ``RUN_KEYS``, a missing
        ``n_bootstraps`` and a value of the wrong type or range, and ``ClassifierConfigError`` for
        the ``classifier`` mapping; every message names the key, the value and what is expected.
        """
        prefix = f"{where}." if where else ""
        if not isinstance(mapping, Mapping):
            raise RunConfigError(f"{where or 'run settings'} must be a mapping, got {mapping!r}")
        # An unknown key is refused rather than ignored: `n_bootstrap=5` must not run the default.
        unknown = sorted(str(k) for k in set(mapping) - set(RUN_KEYS))
        if unknown:
            raise RunConfigError(
                f"{where or 'run settings'} has unknown key(s) {unknown}{did_you_mean(unknown, RUN_KEYS)}; "
                f"allowed: {list(RUN_KEYS)}"
            )
        if "n_bootstraps" not in mapping:
            raise RunConfigError(f"{prefix}n_bootstraps is required (an integer >= 1)")
        retrain = mapping.get("retrain", cls.retrain)
        if not isinstance(retrain, (bool, np.bool_)):
            raise RunConfigError(f"{prefix}retrain must be true or false, got {retrain!r}")
        check_set = mapping.get("check_set", cls.check_set)
        if check_set not in CHECK_SETS:
            raise RunConfigError(f"{prefix}check_set must be one of {list(CHECK_SETS)}, got {check_set!r}")
        return cls(
            n_bootstraps=_integer(f"{prefix}n_bootstraps", mapping["n_bootstraps"], minimum=1),
            retrain=bool(retrain),
            max_retries=_integer(
                f"{prefix}max_retries", mapping.get("max_retries", cls.max_retries), minimum=0
            ),
            min_gap=_number(f"{prefix}min_gap", mapping.get("min_gap", cls.min_gap)),
            check_set=str(check_set),
            classifier=ClassifierConfig.from_dict(mapping.get("classifier"), key=f"{prefix}classifier"),
        )

    def run_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``run_scenario`` (all but ``seed`` and the image options)."""
        return {
            "n_bootstraps": self.n_bootstraps,
            "retrain": self.retrain,
            "max_retries": self.max_retries,
            "min_gap": self.min_gap,
            "check_set": self.check_set,
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
        raise ValueError(f"target must be 1-D, got shape {target.shape}.")
    correct = target == hard_predictions(pred, "pred", len(target))
    mask = np.asarray(in_slice, dtype=bool)
    if mask.shape != target.shape:
        raise ValueError(f"in_slice must have shape {target.shape}, got {mask.shape}.")
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
    """A 32-bit seed derived from the run seed and indices (bootstrap, attempt, purpose)."""
    return int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])


@dataclass
class _Attempt:
    """One draw of one bootstrap with its trained model's audit predictions."""

    draw: Draw
    state: dict[str, torch.Tensor]
    history: dict[str, Any]
    probs: np.ndarray
    accuracy: dict[str, float]
    check: dict[str, float]
    record: dict[str, Any]


class _ScenarioRunner:
    """Holds the per-run state (pool, image cache, fixed model) that bootstraps share."""

    def __init__(
        self,
        cohort: pd.DataFrame,
        spec: ScenarioSpec,
        cache: ImageCache,
        config: ClassifierConfig,
        *,
        seed: int,
        retrain: bool,
        check_set: str,
        show_progress: bool,
    ) -> None:
        self.spec = spec
        self.check_set = check_set
        self.pool = prepare_pool(cohort, spec)
        self.cache = cache
        self.config = config
        self.seed = seed
        self.retrain = retrain
        self.show_progress = show_progress
        self.fixed: tuple[Draw, dict[str, torch.Tensor], dict[str, Any], torch.nn.Module] | None = None

    def attempt(self, bootstrap: int, attempt: int) -> _Attempt:
        """Draw (or redraw the audit set), train if needed, predict the audit set, get the gap."""
        draw_seed = derive_seed(self.seed, bootstrap, attempt)
        train_seed = derive_seed(self.seed, bootstrap, attempt, 1)
        trains = self.retrain or self.fixed is None
        if trains:
            draw, train_images, audit_images = self._draw_full(bootstrap, draw_seed)
            model, history = self._train(draw.train_set, train_images, train_seed)
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if not self.retrain:
                self.fixed = (draw, state, history, model)
        else:
            fixed_draw, state, history, model = self.fixed
            draw, audit_images = self._draw_audit_only(fixed_draw, bootstrap, draw_seed)
        audit = draw.audit_set
        probs = predict_proba(model, audit_images, device=self.config.device)
        accuracy = accuracy_gap(audit["target"].to_numpy(), probs >= 0.5, audit["in_slice"].to_numpy())
        check = self._check(model, draw, bootstrap, accuracy, derive_seed(self.seed, bootstrap, attempt, 2))
        record = {
            "attempt": attempt,
            "draw_seed": draw_seed,
            "train_seed": train_seed if trains else None,
            **{f"audit_{k}": v for k, v in accuracy.items()},
            **{f"check_{k}": v for k, v in check.items()},
        }
        return _Attempt(draw, state, history, probs, accuracy, check, record)

    def _check(
        self, model: torch.nn.Module, draw: Draw, bootstrap: int, accuracy: dict[str, float], seed: int
    ) -> dict[str, float]:
        """The accuracy gap that decides acceptance, with the slice fraction and size it was measured at."""
        fraction = self.spec.audit_slice_fraction(bootstrap)
        largest = max(self.spec.audit_slice_fractions)
        if self.check_set == "audit_set" or fraction == largest:
            return {**accuracy, "slice_fraction": fraction, "n_slice": int(draw.audit_set["in_slice"].sum())}
        check_set, _, images = self._readable_audit_draw(draw.audit_pool, largest, bootstrap, seed)
        probs = predict_proba(model, images, device=self.config.device)
        gap = accuracy_gap(check_set["target"].to_numpy(), probs >= 0.5, check_set["in_slice"].to_numpy())
        return {**gap, "slice_fraction": largest, "n_slice": int(check_set["in_slice"].sum())}

    def _excluding_unreadable(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["dicom_id"].isin(list(self.cache.unreadable))].reset_index(drop=True)

    def _images(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        return self.cache.fetch(frame["dicom_id"].tolist(), frame["image_path"].tolist())

    def _draw_full(self, bootstrap: int, draw_seed: int) -> tuple[Draw, np.ndarray, np.ndarray]:
        """Draw all sets; unreadable images leave the pool and the same seed draws again."""
        while True:
            pool = ScenarioPool(self._excluding_unreadable(self.pool.frame), self.pool.n_missing_target)
            draw = draw_from_pool(pool, self.spec, bootstrap, draw_seed)
            train_images, failed_train = self._images(draw.train_set)
            audit_images, failed_audit = self._images(draw.audit_set)
            if not failed_train and not failed_audit:
                return draw, train_images, audit_images
            logger.warning(
                "scenario %s bootstrap %d: %d unreadable image(s) excluded, redrawing",
                self.spec.name,
                bootstrap,
                len(failed_train) + len(failed_audit),
            )

    def _readable_audit_draw(
        self, audit_pool: pd.DataFrame, fraction: float, bootstrap: int, seed: int
    ) -> tuple[pd.DataFrame, dict, np.ndarray]:
        """An audit-set draw from ``audit_pool`` whose images all decode, with its QA and images."""
        while True:
            rng = np.random.default_rng(np.random.SeedSequence([seed, bootstrap]))
            audit, audit_qa = draw_audit_set(self._excluding_unreadable(audit_pool), self.spec, fraction, rng)
            images, failed = self._images(audit)
            if not failed:
                return audit, audit_qa, images

    def _draw_audit_only(self, fixed: Draw, bootstrap: int, draw_seed: int) -> tuple[Draw, np.ndarray]:
        """Redraw only the audit set from the fixed audit pool (``retrain=False``)."""
        fraction = self.spec.audit_slice_fraction(bootstrap)
        audit, audit_qa, audit_images = self._readable_audit_draw(
            fixed.audit_pool, fraction, bootstrap, draw_seed
        )
        qa = {**fixed.qa, "bootstrap": bootstrap, "seed": draw_seed, "audit": audit_qa}
        return Draw(fixed.train_set, finalise_set(audit, bootstrap), qa, fixed.audit_pool), audit_images

    def _train(
        self, train_set: pd.DataFrame, images: np.ndarray, seed: int
    ) -> tuple[torch.nn.Module, dict[str, Any]]:
        is_train = (train_set["role"] == "train").to_numpy()
        model = build_classifier(self.config.name, seed=seed, **self.config.model_kwargs)
        targets = train_set["target"].to_numpy()
        return train_classifier(
            model,
            images[is_train],
            targets[is_train],
            images[~is_train],
            targets[~is_train],
            seed=seed,
            show_progress=self.show_progress,
            **self.config.training_kwargs(),
        )


def _bootstrap_qa(bootstrap: int, chosen: _Attempt, attempts: list[dict], accepted: bool) -> dict:
    train_qa = chosen.draw.qa.get("train", {})
    return {
        "bootstrap": bootstrap,
        "accepted": accepted,
        "check_gap": chosen.check["gap"],
        "check_slice_fraction": chosen.check["slice_fraction"],
        "check_n_slice": chosen.check["n_slice"],
        "accuracy_gap": chosen.accuracy["gap"],
        "check_within_class_gap": chosen.check["within_class_gap"],
        "slice_accuracy": chosen.accuracy["slice_accuracy"],
        "non_slice_accuracy": chosen.accuracy["non_slice_accuracy"],
        "retries": len(attempts) - 1,
        "pool_errors": sum("pool_error" in a for a in attempts),
        "audit_slice_fraction": chosen.draw.qa["audit"]["requested_slice_fraction"],
        **{k: train_qa[k] for k in INJECTION_KEYS if k in train_qa},
        "attempts": attempts,
        "draw": chosen.draw.qa,
        "training": chosen.history,
    }


def run_scenario(
    cohort: pd.DataFrame,
    spec: ScenarioSpec,
    image_root: str | Path,
    *,
    n_bootstraps: int,
    retrain: bool = True,
    max_retries: int = 2,
    min_gap: float = 0.10,
    check_set: str = "largest_fraction",
    classifier: Mapping[str, Any] | None = None,
    seed: int = 0,
    image_loader: ImageLoader | None = None,
    max_cached_images: int | None = None,
    show_progress: bool = True,
) -> ScenarioRun:
    """Run ``n_bootstraps`` injections of ``spec`` on ``cohort`` and audit the trained classifiers.

    Args:
        cohort: the cohort table (``medslice.mimic.schemas.COHORT_COLUMNS``).
        spec: the scenario.
        image_root: folder the cohort's ``image_path`` values are relative to.
        n_bootstraps: number of bootstraps; bootstrap b uses ``spec.audit_slice_fraction(b)``.
        retrain: retrain per bootstrap (the paper), or train once and only redraw audit sets.
        max_retries: redraws allowed per bootstrap when the accuracy gap stays below ``min_gap``.
        min_gap: accuracy gap (non-slice minus slice) a draw needs to count.
        check_set: where that gap is measured: ``"largest_fraction"`` (an audit-pool draw with the
            largest audit slice fraction, as in the paper) or ``"audit_set"`` (the bootstrap's own).
        classifier: a ``ClassifierConfig`` mapping (default: ``small_cnn`` with CPU defaults).
        seed: the one seed every draw, initialisation and shuffle derives from.
        image_loader: ``(paths, size) -> (uint8 (N, size, size), report)``; default
            ``medslice.encoders.image_loading.load_images``.
        max_cached_images: bound on decoded images kept across bootstraps (None: all).
        show_progress: tqdm bars over bootstraps and epochs.

    Returns:
        ``ScenarioRun(train_sets, audit_sets, classifiers, predictions, qa)``: the sets of every
        bootstrap (``bootstrap`` column; with ``retrain=False`` the one training set is bootstrap
        0's), the state dicts keyed by bootstrap (with ``retrain=False`` every key holds the same
        one), predictions with ``PREDICTION_COLUMNS``, and a JSON-friendly QA dict.

    Raises:
        RunConfigError: a setting of the wrong type or range (``RunConfig.from_dict``'s checks).
        ClassifierConfigError: an invalid ``classifier`` mapping.
    """
    # The same checks as the parameters get, so that a direct call fails as clearly.
    settings = RunConfig.from_dict(
        {
            "n_bootstraps": n_bootstraps,
            "retrain": retrain,
            "max_retries": max_retries,
            "min_gap": min_gap,
            "check_set": check_set,
            "classifier": classifier,
        },
        where="",
    )
    n_bootstraps, retrain, max_retries = settings.n_bootstraps, settings.retrain, settings.max_retries
    min_gap, check_set, config = settings.min_gap, settings.check_set, settings.classifier
    cache = ImageCache(
        image_loader or default_image_loader(),
        image_root,
        config.image_size,
        max_images=max_cached_images,
    )
    runner = _ScenarioRunner(
        cohort,
        spec,
        cache,
        config,
        seed=seed,
        retrain=retrain,
        check_set=check_set,
        show_progress=show_progress,
    )
    train_sets, audit_sets, predictions, bootstraps = [], [], [], []
    classifiers: dict[int, dict[str, torch.Tensor]] = {}
    bar = tqdm(range(n_bootstraps), desc=f"{spec.name} bootstraps", disable=not show_progress)
    for bootstrap in bar:
        attempts: list[dict[str, Any]] = []
        chosen, accepted, pool_error = None, False, None
        for attempt_index in range(max_retries + 1):
            try:
                attempt = runner.attempt(bootstrap, attempt_index)
            except PoolTooSmallError as error:
                # A redraw can land on a thinner pool than the first draw: count it as a failed attempt.
                pool_error = error
                attempts.append({"attempt": attempt_index, "pool_error": str(error), "accepted": False})
                continue
            chosen = attempt
            accepted = bool(chosen.check["gap"] >= min_gap - _GAP_EPSILON)
            attempts.append({**chosen.record, "accepted": accepted})
            if accepted:
                break
        if chosen is None:
            raise pool_error
        if not accepted:
            logger.warning(
                "scenario %s bootstrap %d: accuracy gap %.3f < %.2f after %d retries; kept as not accepted",
                spec.name,
                bootstrap,
                chosen.check["gap"],
                min_gap,
                max_retries,
            )
        bootstraps.append(_bootstrap_qa(bootstrap, chosen, attempts, accepted))
        if retrain or bootstrap == 0:
            train_sets.append(chosen.draw.train_set)
        audit = chosen.draw.audit_set
        audit_sets.append(audit)
        classifiers[bootstrap] = chosen.state
        predictions.append(
            pd.DataFrame(
                {
                    "dicom_id": audit["dicom_id"],
                    "bootstrap": audit["bootstrap"],
                    "target": audit["target"],
                    "prob": chosen.probs,
                    "pred": (chosen.probs >= 0.5).astype("int64"),
                    "in_slice": audit["in_slice"],
                    "attribute": audit["attribute"],
                    "accepted": accepted,
                }
            )
        )
        bar.set_postfix(gap=f"{chosen.check['gap']:.2f}", accepted=accepted)
    qa = {
        "scenario": spec.name,
        "spec": spec.to_dict(),
        "classifier": config.to_dict(),
        "seed": seed,
        "n_bootstraps": n_bootstraps,
        "retrain": retrain,
        "min_gap": min_gap,
        "check_set": check_set,
        "max_retries": max_retries,
        "n_accepted": sum(b["accepted"] for b in bootstraps),
        "accepted_share": sum(b["accepted"] for b in bootstraps) / n_bootstraps,
        "total_retries": sum(b["retries"] for b in bootstraps),
        "mean_check_gap": float(np.nanmean([b["check_gap"] for b in bootstraps])),
        "mean_accuracy_gap": float(np.nanmean([b["accuracy_gap"] for b in bootstraps])),
        "mean_check_within_class_gap": float(np.nanmean([b["check_within_class_gap"] for b in bootstraps])),
        "not_accepted": [
            {"bootstrap": b["bootstrap"], "check_gap": b["check_gap"], "accuracy_gap": b["accuracy_gap"]}
            for b in bootstraps
            if not b["accepted"]
        ],
        "unreadable_images": [{"dicom_id": k, "path": v} for k, v in cache.unreadable.items()],
        "images_decoded": cache.n_decoded,
        "bootstraps": bootstraps,
    }
    return ScenarioRun(
        pd.concat(train_sets, ignore_index=True),
        pd.concat(audit_sets, ignore_index=True),
        classifiers,
        pd.concat(predictions, ignore_index=True).loc[:, list(PREDICTION_COLUMNS)],
        qa,
    )
