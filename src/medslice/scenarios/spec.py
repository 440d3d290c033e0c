"""Declarative failure scenarios: a validated spec built from a YAML mapping.

A scenario names a binary ``target`` (a label column or an expression over the cohort), an
``attribute`` (a boolean expression over the cohort), the failing ``slice`` (an expression over
``target`` and ``attribute``) and the injection ``mechanism`` applied to the training set. See
``conf/base/parameters/failure_injection.yml`` for the paper's three scenarios written this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.mimic.schemas import COHORT_COLUMNS
from medslice.scenarios.expressions import (
    ExpressionError,
    as_boolean_mask,
    check_expression,
    evaluate_expression,
)
from medslice.scenarios.mechanisms import sample_correlated, sample_rare, sample_with_label_noise

SLICE_NAMES: tuple[str, ...] = ("target", "attribute")
AUDIT_MIXES: tuple[str, ...] = ("balanced", "natural")


class ScenarioError(BadValueError):
    """A scenario mapping is invalid; the message names the scenario and the offending key."""


def _fail(scenario: str, key: str, message: str) -> ScenarioError:
    return ScenarioError(f"scenario {scenario!r}, key {key!r}: {message}")


def _fraction(scenario: str, key: str, value: Any, *, low: float = 0.0, high: float = 1.0) -> float:
    """A float in [low, high], or a ScenarioError naming the key."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _fail(scenario, key, f"must be a number, got {value!r}")
    if not low <= float(value) <= high:
        raise _fail(scenario, key, f"must lie in [{low}, {high}], got {value}")
    return float(value)


def _count(scenario: str, key: str, value: Any, *, minimum: int = 1) -> int:
    """An integer >= minimum, or a ScenarioError naming the key."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise _fail(scenario, key, f"must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _optional_fraction(scenario: str, key: str, value: Any) -> float | None:
    return None if value is None else _fraction(scenario, key, value, low=0.0, high=1.0)


def _is_list(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))


def _compositions(scenario: str, value: Any) -> tuple[tuple[int, int], ...]:
    """``audit_compositions``: a non-empty list of ``[planted, other]`` counts (planted, other >= 1)."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable) or not list(value):
        raise _fail(
            scenario, "audit_compositions", f"must be a non-empty list of [planted, other], got {value!r}"
        )
    pairs = []
    for entry in value:
        if (
            isinstance(entry, (str, bytes, Mapping))
            or not isinstance(entry, Iterable)
            or len(list(entry)) != 2
        ):
            raise _fail(scenario, "audit_compositions", f"entry {entry!r} is not a [planted, other] pair")
        planted, other = list(entry)
        pairs.append(
            (
                _count(scenario, "audit_compositions (planted)", planted),
                _count(scenario, "audit_compositions (other)", other),
            )
        )
    return tuple(pairs)


def _check_keys(scenario: str, prefix: str, mapping: Mapping, allowed: Iterable[str]) -> None:
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise _fail(scenario, f"{prefix}{unknown[0]}", f"unknown key; allowed: {sorted(allowed)}")


@dataclass(frozen=True)
class CorrelationMechanism:
    """Subsample the training set so that corr(target, attribute) equals ``correlation``.

    ``target_prevalence`` / ``attribute_prevalence`` default to the training pool's own prevalences.
    """

    correlation: float
    target_prevalence: float | None = None
    attribute_prevalence: float | None = None
    kind: ClassVar[str] = "correlation"

    @classmethod
    def from_dict(cls, scenario: str, mapping: Mapping[str, Any]) -> CorrelationMechanism:
        """Validate the ``mechanism`` mapping of a correlation scenario."""
        _check_keys(scenario, "mechanism.", mapping, ("kind", *cls.__dataclass_fields__))
        if "correlation" not in mapping:
            raise _fail(scenario, "mechanism.correlation", "is required")
        correlation = _fraction(scenario, "mechanism.correlation", mapping["correlation"], low=-0.99)
        return cls(
            correlation=correlation,
            target_prevalence=_optional_fraction(
                scenario, "mechanism.target_prevalence", mapping.get("target_prevalence")
            ),
            attribute_prevalence=_optional_fraction(
                scenario, "mechanism.attribute_prevalence", mapping.get("attribute_prevalence")
            ),
        )

    def sample(
        self,
        pool: pd.DataFrame,
        n: int,
        rng: np.random.Generator,
        *,
        reference: pd.DataFrame | None = None,
    ) -> tuple[pd.DataFrame, dict]:
        """Draw ``n`` rows; unset prevalences are those of ``reference`` (default: ``pool``)."""
        reference = pool if reference is None else reference
        p = self.target_prevalence
        q = self.attribute_prevalence
        return sample_correlated(
            pool,
            n,
            self.correlation,
            rng,
            target_prevalence=float(reference["target"].mean()) if p is None else p,
            attribute_prevalence=float(reference["attribute"].mean()) if q is None else q,
        )


@dataclass(frozen=True)
class RareMechanism:
    """Exactly ``n_positive`` + ``n_negative`` rows, few of them attribute-positive positives.

    ``negative_attribute_share`` fixes the attribute share among negatives; by default they keep the
    pool's natural mix.
    """

    n_positive: int
    n_negative: int
    attribute_positive_share: float
    negative_attribute_share: float | None = None
    kind: ClassVar[str] = "rare"

    @classmethod
    def from_dict(cls, scenario: str, mapping: Mapping[str, Any]) -> RareMechanism:
        """Validate the ``mechanism`` mapping of a rare-slice scenario."""
        _check_keys(scenario, "mechanism.", mapping, ("kind", *cls.__dataclass_fields__))
        for key in ("n_positive", "n_negative", "attribute_positive_share"):
            if key not in mapping:
                raise _fail(scenario, f"mechanism.{key}", "is required")
        mechanism = cls(
            n_positive=_count(scenario, "mechanism.n_positive", mapping["n_positive"]),
            n_negative=_count(scenario, "mechanism.n_negative", mapping["n_negative"]),
            attribute_positive_share=_fraction(
                scenario, "mechanism.attribute_positive_share", mapping["attribute_positive_share"]
            ),
            negative_attribute_share=_optional_fraction(
                scenario,
                "mechanism.negative_attribute_share",
                mapping.get("negative_attribute_share"),
            ),
        )
        n_rare = round(mechanism.attribute_positive_share * mechanism.total)
        if n_rare > mechanism.n_positive:
            raise _fail(
                scenario,
                "mechanism.attribute_positive_share",
                f"asks for {n_rare} attribute-positive positives but n_positive is {mechanism.n_positive}",
            )
        return mechanism

    @property
    def total(self) -> int:
        """The training-set size the counts describe."""
        return self.n_positive + self.n_negative

    def sample(
        self,
        pool: pd.DataFrame,
        n: int,
        rng: np.random.Generator,
        *,
        reference: pd.DataFrame | None = None,
    ) -> tuple[pd.DataFrame, dict]:
        """Draw ``n`` rows with the counts scaled by ``n / total`` (exact when ``n == total``)."""
        del reference  # counts are absolute, so the pool's prevalences do not matter
        n_positive = round(self.n_positive * n / self.total)
        return sample_rare(
            pool,
            n_positive,
            n - n_positive,
            self.attribute_positive_share,
            rng,
            negative_attribute_share=self.negative_attribute_share,
        )


@dataclass(frozen=True)
class LabelNoiseMechanism:
    """Flip ``flip_fraction`` of the labels of the ``target == 1 and attribute`` training subgroup.

    ``target_prevalence`` fixes the positive share of the sample; by default rows are drawn
    uniformly.
    """

    flip_fraction: float
    target_prevalence: float | None = None
    kind: ClassVar[str] = "label_noise"

    @classmethod
    def from_dict(cls, scenario: str, mapping: Mapping[str, Any]) -> LabelNoiseMechanism:
        """Validate the ``mechanism`` mapping of a label-noise scenario."""
        _check_keys(scenario, "mechanism.", mapping, ("kind", *cls.__dataclass_fields__))
        if "flip_fraction" not in mapping:
            raise _fail(scenario, "mechanism.flip_fraction", "is required")
        return cls(
            flip_fraction=_fraction(scenario, "mechanism.flip_fraction", mapping["flip_fraction"]),
            target_prevalence=_optional_fraction(
                scenario, "mechanism.target_prevalence", mapping.get("target_prevalence")
            ),
        )

    def sample(
        self,
        pool: pd.DataFrame,
        n: int,
        rng: np.random.Generator,
        *,
        reference: pd.DataFrame | None = None,
    ) -> tuple[pd.DataFrame, dict]:
        """Draw ``n`` rows and flip labels inside the subgroup."""
        del reference  # the sample is uniform or has an absolute prevalence
        return sample_with_label_noise(
            pool, n, self.flip_fraction, rng, target_prevalence=self.target_prevalence
        )


Mechanism = CorrelationMechanism | RareMechanism | LabelNoiseMechanism
MECHANISMS: dict[str, type[CorrelationMechanism | RareMechanism | LabelNoiseMechanism]] = {
    CorrelationMechanism.kind: CorrelationMechanism,
    RareMechanism.kind: RareMechanism,
    LabelNoiseMechanism.kind: LabelNoiseMechanism,
}


@dataclass(frozen=True)
class AuditComposition:
    """How many planted (slice) cases and other cases one audit set holds.

    Attributes
    ----------
    n_slice : int
        Planted cases.
    n_other : int
        The other cases.
    requested_fraction : float
        The slice share as configured (``audit_slice_fractions``), or
        ``n_slice / (n_slice + n_other)`` for an ``audit_compositions`` entry.
    """

    n_slice: int
    n_other: int
    requested_fraction: float

    @property
    def n(self) -> int:
        """The audit set's size."""
        return self.n_slice + self.n_other


@dataclass(frozen=True)
class ScenarioSpec:
    """One validated failure scenario.

    Attributes
    ----------
    name : str
        The scenario's namespace, e.g. ``"spurious_correlation"``.
    target : str
        Label column or expression giving 0/1 (missing rows are excluded and counted).
    attribute : str
        Boolean expression over cohort columns; missing values count as False.
    slice : str
        Expression over ``target`` and ``attribute`` selecting the failing audit cases.
    mechanism : Mechanism
        The training-set injection.
    audit_slice_fractions : tuple[float, ...]
        Slice share of the audit set; bootstrap b uses entry ``b % len``.
    n_train, n_validate, n_audit : int
        Set sizes. The validation set comes from the training pool.
    audit_compositions : tuple[tuple[int, int], ...]
        ``(planted, other)`` case counts per audit set, used instead of
        ``audit_slice_fractions`` and ``n_audit`` when given (the authors' scripts draw 60/240,
        100/200 and 120/180); bootstrap b uses entry ``b % len``.
    audit_pool_fraction : float
        Share of the cohort's subjects reserved for audit sets in each bootstrap.
    audit_mix : str
        ``"balanced"`` (half positives overall, as far as the slice allows) or ``"natural"``
        (the audit pool's own class mix) for the audit set's non-slice part.
    description : str
        Free text for reports.
    """

    name: str
    target: str
    attribute: str
    slice: str
    mechanism: Mechanism
    audit_slice_fractions: tuple[float, ...] = (0.05, 0.10, 0.20)
    n_train: int = 1000
    n_validate: int = 200
    n_audit: int = 300
    audit_pool_fraction: float = 0.3
    audit_mix: str = "balanced"
    description: str = ""
    audit_compositions: tuple[tuple[int, int], ...] = ()
    columns: tuple[str, ...] = field(default=COHORT_COLUMNS, repr=False, compare=False)

    @classmethod
    def from_dict(
        cls, name: str, mapping: Mapping[str, Any], *, columns: Iterable[str] = COHORT_COLUMNS
    ) -> ScenarioSpec:
        """Build and validate a spec from its YAML mapping.

        ``columns`` are the names that ``target`` and ``attribute`` may reference (the cohort's).
        Raises ``ScenarioError`` naming the scenario and key on unknown keys, a missing or unknown
        mechanism, a bad expression or an out-of-range number.
        """
        if not isinstance(mapping, Mapping):
            raise ScenarioError(f"scenario {name!r}: expected a mapping, got {type(mapping).__name__}")
        allowed = ("target", "attribute", "slice", "mechanism", "audit_slice_fractions", "n_train")
        allowed += (
            "n_validate",
            "n_audit",
            "audit_pool_fraction",
            "audit_mix",
            "audit_compositions",
            "description",
            "enabled",
            "run",
        )
        _check_keys(name, "", mapping, allowed)
        # `enabled` says whether a run includes the scenario (load_scenarios), and `run` overrides the run
        # settings for it (RunConfig.for_scenario); neither is part of what the scenario is.
        if not isinstance(mapping.get("enabled", True), bool):
            raise _fail(name, "enabled", f"must be true or false, got {mapping['enabled']!r}")
        for key in ("target", "attribute", "slice", "mechanism"):
            if key not in mapping:
                raise _fail(name, key, "is required")
        columns = tuple(columns)
        expressions = {}
        for key, names in (("target", columns), ("attribute", columns), ("slice", SLICE_NAMES)):
            try:
                expressions[key] = str(mapping[key])
                check_expression(expressions[key], names)
            except ExpressionError as error:
                raise _fail(name, key, str(error)) from error
        mechanism = _mechanism_from_dict(name, mapping["mechanism"])
        fractions = mapping.get("audit_slice_fractions", cls.audit_slice_fractions)
        if isinstance(fractions, (int, float)):
            fractions = [fractions]
        if not isinstance(fractions, Iterable) or not list(fractions):
            raise _fail(name, "audit_slice_fractions", f"must be a non-empty list, got {fractions!r}")
        fractions = tuple(_fraction(name, "audit_slice_fractions", f, low=0.0, high=1.0) for f in fractions)
        default_n_train = mechanism.total if isinstance(mechanism, RareMechanism) else cls.n_train
        n_train = _count(name, "n_train", mapping.get("n_train", default_n_train))
        if isinstance(mechanism, RareMechanism) and n_train != mechanism.total:
            raise _fail(
                name,
                "n_train",
                f"is {n_train} but the rare mechanism's n_positive + n_negative is {mechanism.total}",
            )
        audit_mix = mapping.get("audit_mix", cls.audit_mix)
        if audit_mix not in AUDIT_MIXES:
            raise _fail(name, "audit_mix", f"must be one of {list(AUDIT_MIXES)}, got {audit_mix!r}")
        return cls(
            name=name,
            target=expressions["target"],
            attribute=expressions["attribute"],
            slice=expressions["slice"],
            mechanism=mechanism,
            audit_slice_fractions=fractions,
            n_train=n_train,
            n_validate=_count(name, "n_validate", mapping.get("n_validate", cls.n_validate)),
            n_audit=_count(name, "n_audit", mapping.get("n_audit", cls.n_audit)),
            audit_pool_fraction=_fraction(
                name,
                "audit_pool_fraction",
                mapping.get("audit_pool_fraction", cls.audit_pool_fraction),
                low=0.01,
                high=0.99,
            ),
            audit_mix=audit_mix,
            description=str(mapping.get("description", "")),
            audit_compositions=_compositions(name, mapping.get("audit_compositions")),
            columns=columns,
        )

    def to_dict(self) -> dict[str, Any]:
        """The YAML-shaped mapping of this spec (round-trips through ``from_dict``)."""
        mechanism = {"kind": self.mechanism.kind, **asdict(self.mechanism)}
        return {
            "target": self.target,
            "attribute": self.attribute,
            "slice": self.slice,
            "mechanism": {k: v for k, v in mechanism.items() if v is not None},
            "audit_slice_fractions": list(self.audit_slice_fractions),
            "n_train": self.n_train,
            "n_validate": self.n_validate,
            "n_audit": self.n_audit,
            "audit_pool_fraction": self.audit_pool_fraction,
            "audit_mix": self.audit_mix,
            "description": self.description,
            # Only when set: a spec without compositions keeps the mapping (and the checkpoint keys) it had.
            **(
                {"audit_compositions": [list(pair) for pair in self.audit_compositions]}
                if self.audit_compositions
                else {}
            ),
        }

    def evaluate_target(self, cohort: pd.DataFrame) -> pd.Series:
        """The 0/1 target of every cohort row whose target is known (``int64``, cohort index).

        Rows whose target evaluates to missing are left out; ``len(cohort) - len(result)`` counts
        them. Raises ``ScenarioError`` when a value is neither 0, 1 nor missing.
        """
        values = self._evaluate(cohort, "target")
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("int64")
        numeric = pd.to_numeric(values, errors="coerce")
        known = numeric.dropna()
        bad = known[~known.isin([0, 1])]
        if len(bad) or numeric.isna().sum() > values.isna().sum():
            row = bad.index[0] if len(bad) else numeric.index[numeric.isna() & values.notna()][0]
            raise _fail(
                self.name,
                "target",
                f"must evaluate to 0/1 (or missing); row {row!r} gives {values.loc[row]!r}",
            )
        return known.astype("int64")

    def evaluate_attribute(self, cohort: pd.DataFrame) -> pd.Series:
        """The attribute of every cohort row as ``bool`` (missing values count as False)."""
        values = self._evaluate(cohort, "attribute")
        try:
            return as_boolean_mask(values, what="attribute")
        except ExpressionError as error:
            raise _fail(self.name, "attribute", str(error)) from error

    def evaluate_slice(self, target: pd.Series, attribute: pd.Series) -> pd.Series:
        """Slice membership from aligned ``target`` (0/1) and ``attribute`` (bool) series."""
        frame = pd.DataFrame({"target": target.astype("int64"), "attribute": attribute.astype(bool)})
        try:
            return as_boolean_mask(evaluate_expression(frame, self.slice), what="slice")
        except ExpressionError as error:
            raise _fail(self.name, "slice", str(error)) from error

    def audit_composition(self, bootstrap: int) -> AuditComposition:
        """The planted and other case counts of ``bootstrap``'s audit set: entries cycle with the index."""
        if self.audit_compositions:
            n_slice, n_other = self.audit_compositions[bootstrap % len(self.audit_compositions)]
            return AuditComposition(n_slice, n_other, n_slice / (n_slice + n_other))
        fraction = self.audit_slice_fractions[bootstrap % len(self.audit_slice_fractions)]
        n_slice = round(fraction * self.n_audit)
        return AuditComposition(n_slice, self.n_audit - n_slice, fraction)

    def check_composition(self) -> AuditComposition:
        """The composition with the largest slice share (the first on ties): the failure check's audit set."""
        n_entries = len(self.audit_compositions or self.audit_slice_fractions)
        compositions = [self.audit_composition(index) for index in range(n_entries)]
        return max(compositions, key=lambda composition: composition.requested_fraction)

    def audit_slice_fraction(self, bootstrap: int) -> float:
        """The audit slice share used by ``bootstrap``: fractions cycle with the bootstrap index."""
        return self.audit_composition(bootstrap).requested_fraction

    def _evaluate(self, cohort: pd.DataFrame, key: str) -> pd.Series:
        try:
            return evaluate_expression(cohort, getattr(self, key))
        except ExpressionError as error:
            raise _fail(self.name, key, str(error)) from error


def _mechanism_from_dict(scenario: str, mapping: Any) -> Mechanism:
    if not isinstance(mapping, Mapping):
        raise _fail(scenario, "mechanism", f"must be a mapping with a 'kind', got {mapping!r}")
    kind = mapping.get("kind")
    if kind not in MECHANISMS:
        raise _fail(scenario, "mechanism.kind", f"unknown mechanism {kind!r}; use {list(MECHANISMS)}")
    return MECHANISMS[kind].from_dict(scenario, mapping)


def load_scenarios(
    mappings: Mapping[str, Mapping[str, Any]], *, columns: Iterable[str] = COHORT_COLUMNS
) -> dict[str, ScenarioSpec]:
    """Validate every scenario of a ``failure_injection.scenarios`` mapping; return the enabled ones by name.

    A scenario marked ``enabled: false`` is still validated (a typo in it is an error today, not on the
    day it is switched back on) but left out, as the pipelines leave it out.
    """
    columns = tuple(columns)
    specs = {
        name: ScenarioSpec.from_dict(name, mapping, columns=columns) for name, mapping in mappings.items()
    }
    return {name: spec for name, spec in specs.items() if mappings[name].get("enabled", True)}
