"""Score an audit's slices and explanations against the planted truth, per bootstrap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from medslice.evaluation.baseline import attribute_fraction_baseline
from medslice.evaluation.error_slice import ideal_error_slice_precision
from medslice.evaluation.explanation_hit import explanation_hit
from medslice.evaluation.paper_precision import paper_precision_at_10, paper_slice_scores
from medslice.evaluation.precision import best_slice_metrics
from medslice.evaluation.tables import tidy_metrics
from medslice.run_consistency import check_same_audit_rows
from medslice.runner.checkpoints import CheckpointStore
from medslice.runner.reuse import map_checkpointed


def _has_truth(predictions: pd.DataFrame) -> bool:
    return "in_slice" in predictions and predictions["in_slice"].notna().any()


def _expected_class(targets: np.ndarray, in_slice: np.ndarray) -> int:
    """The planted slice's majority true class (ties to the smaller), the paper's class filter."""
    return int(pd.Series(targets[in_slice]).mode().min())


def _classifier(rows: pd.DataFrame, bootstrap: int) -> int:
    """The classifier a bootstrap's predictions came from (its own number in the flat design)."""
    return int(rows["classifier"].iloc[0]) if "classifier" in rows and len(rows) else int(bootstrap)


def _by_dicom_id(rows: pd.DataFrame) -> pd.DataFrame:
    """One bootstrap's rows sorted by ``dicom_id`` (stable): its canonical order, whatever their arrival."""
    return rows.iloc[np.argsort(rows["dicom_id"].to_numpy(dtype=str), kind="stable")]


def _accepted(predictions: pd.DataFrame) -> pd.DataFrame:
    # The paper keeps a run only if the planted failure showed (accuracy gap >= 0.10).
    if "accepted" in predictions:
        return predictions[predictions["accepted"].fillna(False).astype(bool)]
    return predictions


def evaluate_slices(
    slices: pd.DataFrame,
    predictions: pd.DataFrame,
    explanations: pd.DataFrame,
    *,
    scenario: str,
    variant: str,
    synonyms: Sequence[str] = (),
    method: str = "domino",
    top_k: int = 5,
    checkpoints: CheckpointStore | None = None,
) -> pd.DataFrame:
    """Tidy metrics for one scenario x variant over its accepted bootstraps.

    Per bootstrap: dcbench precision@10 and @25 and average precision of the best slice column, the
    paper's weighted precision@10 with its class filter (the expected class is the planted slice's
    majority true class), and whether the planted attribute's synonyms appear among the top ``top_k``
    tokens (``token_hit``, combined report + metadata text) or phrases (``phrase_hit``), and among
    the top tokens the slice has more of (``token_hit_over``). Predictions without planted truth (a
    user's own classifier) give an empty table.

    The table does not depend on the order of the rows of any input, nor of their bootstraps: bootstraps
    are scored in ascending order, each on its slice rows sorted by ``dicom_id`` (stable), with the truth
    looked up by ``dicom_id``. Each bootstrap is a unit of work (:func:`evaluate_one_bootstrap`), kept in
    ``checkpoints`` when given.
    """
    if not _has_truth(predictions):
        return tidy_metrics([])
    check_same_audit_rows(slices, predictions, name="slice-membership", rerun="fuse_modalities")
    slice_columns = [c for c in slices.columns if c.startswith("slice_")]
    units = []
    for bootstrap, rows in _accepted(predictions).groupby("bootstrap", sort=True):
        part = _by_dicom_id(slices[slices["bootstrap"] == bootstrap]).set_index("dicom_id")
        truth = rows.set_index("dicom_id").reindex(part.index)  # the truth of each slice row, by key
        units.append(
            BootstrapEvaluation(
                bootstrap=int(bootstrap),
                classifier=_classifier(rows, bootstrap),
                memberships=part[slice_columns].to_numpy(dtype=float),
                in_slice=truth["in_slice"].astype(bool).to_numpy(),
                attribute=truth["attribute"].astype(bool).to_numpy(),
                targets=truth["target"].to_numpy(dtype=int),
                explanations=explanations[explanations["bootstrap"] == bootstrap].reset_index(drop=True),
            )
        )
    settings = {
        "scenario": scenario,
        "variant": variant,
        "synonyms": list(synonyms),
        "method": method,
        "top_k": int(top_k),
    }
    records = map_checkpointed(
        evaluate_one_bootstrap,
        units,
        shared=(settings,),
        checkpoints=checkpoints,
        stage="evaluate_variant",
        desc="evaluation",
        show_progress=False,  # milliseconds per bootstrap
    )
    return tidy_metrics(records)


@dataclass(frozen=True)
class BootstrapEvaluation:
    """One accepted bootstrap's slices and truth, rows sorted by ``dicom_id``, and its explanation rows.

    ``memberships`` has one column per slice column (NaN for a slice not found); ``in_slice``,
    ``attribute`` and ``targets`` align with its rows.
    """

    bootstrap: int
    classifier: int
    memberships: np.ndarray
    in_slice: np.ndarray
    attribute: np.ndarray
    targets: np.ndarray
    explanations: pd.DataFrame


def evaluate_one_bootstrap(settings: Mapping[str, Any], unit: BootstrapEvaluation) -> dict[str, Any]:
    """The metric record of one bootstrap (``settings``: scenario, variant, synonyms, method, top_k)."""
    synonyms, top_k = settings["synonyms"], settings["top_k"]
    found = ~np.isnan(unit.memberships).all(axis=0)
    membership = np.nan_to_num(unit.memberships[:, found])
    in_slice = unit.in_slice
    ids = {
        "scenario": settings["scenario"],
        "variant": settings["variant"],
        "bootstrap": unit.bootstrap,
        "classifier": unit.classifier,
        "method": settings["method"],
    }
    best_slice = None  # the slice number whose paper precision@10 is the bootstrap's score
    if membership.shape[1] == 0 or not in_slice.any():
        metrics = {"precision_at_10": 0.0, "precision_at_25": 0.0, "average_precision": 0.0}
        metrics["paper_precision_at_10"] = 0.0
    else:
        best = best_slice_metrics(in_slice, membership)
        metrics = {k: float(best[k]) for k in ("precision_at_10", "precision_at_25", "average_precision")}
        expected = _expected_class(unit.targets, in_slice)
        metrics["paper_precision_at_10"] = paper_precision_at_10(
            membership, unit.attribute, unit.targets, expected
        )
        scores = paper_slice_scores(membership, unit.attribute, unit.targets, expected, k=10)
        if np.isfinite(scores).any():
            best_slice = int(np.flatnonzero(found)[int(np.nanargmax(scores))])
    mine = unit.explanations
    # Without declared synonyms there is nothing to look for: no hit metric rather than a false zero.
    for kind, source, name in (("token", "combined", "token_hit"), ("phrase", "clip", "phrase_hit")):
        chosen = mine[(mine["kind"] == kind) & (mine["source"] == source)]
        if chosen.empty or not synonyms:
            continue
        hits = [
            explanation_hit(group.sort_values("rank")["term"].tolist(), synonyms, top_k=top_k)
            for _, group in chosen.groupby("slice")
        ]
        metrics[name] = float(any(hits))
        # The same in the one slice that scored: "any slice" credits a hit in a slice that missed.
        scored = chosen[chosen["slice"] == best_slice] if best_slice is not None else chosen.iloc[:0]
        metrics[f"{name}_best"] = float(
            explanation_hit(scored.sort_values("rank")["term"].tolist(), synonyms, top_k=top_k)
        )
        if kind == "token" and "difference" in chosen:
            # |difference| ranks tokens the slice lacks too ("pa" tops a slice of laterals); this
            # stricter hit counts only top tokens the slice has more of.
            over = [
                explanation_hit(_over_represented(group, top_k), synonyms, top_k=top_k)
                for _, group in chosen.groupby("slice")
            ]
            metrics["token_hit_over"] = float(any(over))
    return {**ids, **metrics}


def evaluate_compared_slicers(
    memberships: pd.DataFrame,
    predictions: pd.DataFrame,
    *,
    scenario: str,
    variant: str,
    checkpoints: CheckpointStore | None = None,
) -> pd.DataFrame:
    """The precision metrics of every compared slicer (``method`` column of ``memberships``), per bootstrap.

    Scored exactly as the main slicer (:func:`evaluate_slices`), without explanation hits: the compared
    slicers' slices are not explained.
    """
    tables = []
    for method, rows in memberships.groupby("method", sort=True):
        slices = rows.drop(columns="method").reset_index(drop=True)
        tables.append(
            evaluate_slices(
                slices,
                predictions,
                NO_EXPLANATIONS,
                scenario=scenario,
                variant=variant,
                method=str(method),
                checkpoints=checkpoints,
            )
        )
    filled = [table for table in tables if len(table)]
    return pd.concat(filled, ignore_index=True) if filled else tidy_metrics([])


# What evaluate_slices reads of an explanations table, with no rows: no hit metric is computed.
NO_EXPLANATIONS = pd.DataFrame(
    {"bootstrap": [], "slice": [], "kind": [], "source": [], "rank": [], "term": []}
)


def _over_represented(tokens: pd.DataFrame, top_k: int) -> list[str]:
    """The first ``top_k`` tokens by rank that weigh more in the slice than in its reference group."""
    first = tokens.sort_values("rank").head(top_k)
    return first.loc[pd.to_numeric(first["difference"], errors="coerce") > 0, "term"].tolist()


def baseline_metrics(predictions: pd.DataFrame, *, scenario: str) -> pd.DataFrame:
    """The paper's baseline per accepted bootstrap: the share of misclassified cases with the attribute.

    Bootstraps come out in ascending order, each computed on its rows sorted by ``dicom_id`` (stable): the
    table does not depend on the order of the predictions' rows or bootstraps.
    """
    if not _has_truth(predictions):
        return tidy_metrics([])
    records = []
    for bootstrap, unordered in _accepted(predictions).groupby("bootstrap", sort=True):
        part = _by_dicom_id(unordered)
        value = attribute_fraction_baseline(
            part["attribute"].astype(bool).to_numpy(),
            part["target"].to_numpy(dtype=int),
            part["pred"].to_numpy(dtype=int),
        )
        records.append(
            {
                "scenario": scenario,
                "variant": "all",
                "bootstrap": int(bootstrap),
                "classifier": _classifier(part, bootstrap),
                "method": "baseline",
                "metric": "attribute_fraction",
                "value": value,
            }
        )
    return tidy_metrics(records)


def ideal_error_slice_metrics(predictions: pd.DataFrame, *, scenario: str) -> pd.DataFrame:
    """The paper's precision@10 of the ideal error slice, per accepted bootstrap.

    It depends on the classifier's errors only, not on the variant (``variant`` is ``all``, ``method``
    is ``ideal_error_slice``). See :func:`medslice.evaluation.error_slice.ideal_error_slice_precision`.
    Like :func:`baseline_metrics`, it does not depend on the order of the predictions' rows or bootstraps.
    """
    if not _has_truth(predictions):
        return tidy_metrics([])
    records = []
    for bootstrap, unordered in _accepted(predictions).groupby("bootstrap", sort=True):
        part = _by_dicom_id(unordered)
        in_slice = part["in_slice"].astype(bool).to_numpy()
        if not in_slice.any():
            continue
        targets = part["target"].to_numpy(dtype=int)
        value = ideal_error_slice_precision(
            part["attribute"].astype(bool).to_numpy(),
            targets,
            part["pred"].to_numpy(dtype=int),
            _expected_class(targets, in_slice),
        )
        records.append(
            {
                "scenario": scenario,
                "variant": "all",
                "bootstrap": int(bootstrap),
                "classifier": _classifier(part, bootstrap),
                "method": "ideal_error_slice",
                "metric": "paper_precision_at_10",
                "value": value,
            }
        )
    return tidy_metrics(records)
