"""Assemble the audit report from a run's artifacts: pick each scenario's best variant, build its cards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from medslice import __version__
from medslice.explain.exemplars import montage_png_bytes
from medslice.reporting.artifacts import ReportArtifacts
from medslice.reporting.cards import SliceCard
from medslice.reporting.classifier_settings import describe_classifiers
from medslice.reporting.data_protection import (
    CREDENTIALED_NOTICE,
    IMAGES_LEFT_OUT,
    release_is_synthetic,
)
from medslice.reporting.planted import planted_failures
from medslice.reporting.render import render_audit_report
from medslice.reporting.slicing_settings import describe_slicing_settings
from medslice.run_consistency import check_same_audit_rows
from medslice.slicing.base import degenerate_reasons

ENRICHMENT_FIELDS = ("slice_prevalence", "reference_prevalence", "lift", "p_value", "q_value")


def _terms(explanations: pd.DataFrame, kind: str, source: str) -> list[tuple[str, float]]:
    """``(term, score)`` in rank order; tokens show their signed difference (negative: the slice lacks it)."""
    chosen = explanations[(explanations["kind"] == kind) & (explanations["source"] == source)].sort_values(
        "rank"
    )
    scores = chosen["score"].astype(float)
    if "difference" in chosen:
        signed = pd.to_numeric(chosen["difference"], errors="coerce")
        scores = signed.where(signed.notna(), scores)
    return [(str(term), float(score)) for term, score in zip(chosen["term"], scores, strict=True)]


def _enrichment(explanations: pd.DataFrame) -> pd.DataFrame:
    rows = explanations[explanations["kind"] == "attribute"].sort_values("rank")
    column_value = rows["term"].str.split("=", n=1, expand=True)
    if rows.empty:
        return pd.DataFrame(columns=["column", "value", *ENRICHMENT_FIELDS])
    frame = pd.DataFrame({"column": column_value[0], "value": column_value[1]})
    for field in ENRICHMENT_FIELDS:
        frame[field] = rows[field].to_numpy(dtype=float)
    frame["significant"] = frame["q_value"] < 0.05
    return frame.reset_index(drop=True)


def shown_bootstrap(predictions: pd.DataFrame, summary: pd.DataFrame | None = None) -> int:
    """The bootstrap whose slices the report shows: the first accepted one (the first, if none is).

    With a variant's ``summary``, the first accepted bootstrap that has slices in it, so that one run
    with nothing to slice (a single class, no error) does not hide the slices of the others.
    """
    accepted = predictions
    if "accepted" in predictions:
        accepted = predictions[predictions["accepted"].fillna(False).astype(bool)]
    pool = accepted if len(accepted) else predictions
    candidates = sorted(int(b) for b in pool["bootstrap"].unique())
    if summary is not None and len(summary):
        with_slices = set(summary["bootstrap"].astype(int))
        for bootstrap in candidates:
            if bootstrap in with_slices:
                return bootstrap
    return candidates[0]


def slice_cards(
    scenario: str,
    variant: str,
    slices: pd.DataFrame,
    summary: pd.DataFrame,
    explanations: pd.DataFrame,
    predictions: pd.DataFrame,
    image_paths: pd.Series,
    *,
    bootstrap: int | None = None,
    montage_size: int = 128,
    with_montages: bool = True,
) -> list[SliceCard]:
    """One card per discovered slice of one bootstrap (default: the first accepted one).

    ``with_montages=False`` reads no image and leaves every card without its montage.
    """
    if bootstrap is None:
        bootstrap = shown_bootstrap(predictions)
    members = slices[slices["bootstrap"] == bootstrap].reset_index(drop=True)
    rows = predictions[predictions["bootstrap"] == bootstrap]
    truth = rows.set_index("dicom_id").reindex(members["dicom_id"])
    paths = [str(p) for p in image_paths.reindex(members["dicom_id"].astype(str))]
    cards = []
    for row in summary[summary["bootstrap"] == bootstrap].itertuples(index=False):
        membership = members[f"slice_{row.slice}"].to_numpy(dtype=float)
        mine = explanations[(explanations["bootstrap"] == bootstrap) & (explanations["slice"] == row.slice)]
        montage = None
        if with_montages and (np.nan_to_num(membership) > 0.5).any():
            montage = montage_png_bytes(
                _read_image,
                paths,
                np.nan_to_num(membership),
                truth["target"].to_numpy(dtype=int),
                truth["pred"].to_numpy(dtype=int),
                n=8,
                size=montage_size,
            )
        cards.append(
            SliceCard(
                scenario=scenario,
                variant=variant,
                slice_index=int(row.slice),
                size=int(row.size),
                error_rate=float(np.nan_to_num(row.error_rate)),
                error_type=str(row.error_type),
                accuracy_gap=float(row.accuracy_gap),
                majority_class=None if pd.isna(row.majority_class) else int(row.majority_class),
                tokens=_terms(mine, "token", "combined"),
                phrases=_terms(mine, "phrase", "clip"),
                enrichment=_enrichment(mine),
                # Present when `explanation.llm.enabled` ran a local model over the slice's tokens.
                hypotheses=[term for term, _ in _terms(mine, "hypothesis", "llm")],
                montage_png=montage,
            )
        )
    return cards


def no_slice_reason(predictions: pd.DataFrame, bootstrap: int | None = None) -> str:
    """Why a bootstrap (default: the shown one) has no slices: one class, no error, or the slicer's ranking.

    The last reason stands when neither of the first two holds.
    """
    if bootstrap is None:
        bootstrap = shown_bootstrap(predictions)
    rows = predictions[predictions["bootstrap"] == bootstrap]
    targets = rows["target"].to_numpy(dtype=int)
    errors = targets != rows["pred"].to_numpy(dtype=int)
    one_hot = np.eye(max(2, int(targets.max(initial=0)) + 1))[targets]
    reasons = degenerate_reasons(one_hot, errors)
    return "; ".join(reasons) if reasons else "the slicer ranked no component as a slice (see the run log)"


def _read_image(path: str) -> np.ndarray:
    from medslice.encoders.image_loading import decode_grayscale

    return decode_grayscale(path, 128)


def data_version(cohort: pd.DataFrame, image_root: str | Path) -> str:
    """A short fingerprint of the cohort (ids and labels) and where it came from."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(cohort["dicom_id"], index=False).to_numpy().tobytes())
    kind = "synthetic" if release_is_synthetic(image_root) else "MIMIC-CXR-JPG"
    return f"{kind} release at {image_root}; {len(cohort)} images; cohort sha256 {digest.hexdigest()[:12]}"


def build_report(artifacts: ReportArtifacts) -> str:
    """Render the self-contained HTML report of one run's :class:`ReportArtifacts`.

    Only each scenario's best variant (by paper precision@10) gets cards, so that montages are drawn for
    the slices a reader will look at; without planted truth (a user's own predictions) nothing ranks the
    variants, and the richest one is shown. The injection QA fills the planted-failures table. The
    provenance names the encoders recorded in the embeddings, the settings recorded with each slicing and
    each scenario's classifier, and the run (:class:`~medslice.reporting.run_info.RunInfo`): the save
    version of the results shown, and the run that rebuilt the report when it is another.

    ``settings.embed_images`` decides whether the cards embed radiographs; embedded from a release that is
    not medslice's synthetic one, they come with a notice at the top that the report holds credentialed
    patient images.
    """
    settings, image_root, cohort = artifacts.settings, artifacts.image_root, artifacts.cohort
    image_paths = pd.Series(
        [str(Path(image_root) / p) for p in cohort["image_path"]], index=cohort["dicom_id"].astype(str)
    )
    cards: list[SliceCard] = []
    no_slice_reasons: dict[str, str] = {}
    shown_notes: dict[str, str] = {}
    for scenario in artifacts.scenarios:
        # Without planted truth (a user's own predictions) nothing ranks the variants: show the richest one.
        variant = artifacts.headline.best.get(scenario) or max(
            artifacts.variants, key=lambda v: (v.count("_"), v), default=None
        )
        if variant is None:
            continue
        predictions, tables = artifacts.predictions[scenario], artifacts.tables[(scenario, variant)]
        check_same_audit_rows(
            tables.slices, predictions, name=f"{scenario}.{variant} slice-membership", rerun="fuse_modalities"
        )
        shown = shown_bootstrap(predictions, tables.slice_summary)
        found = slice_cards(
            scenario,
            variant,
            tables.slices,
            tables.slice_summary,
            tables.explanations,
            predictions,
            image_paths,
            bootstrap=shown,
            with_montages=settings.embed_images,
        )
        first = shown_bootstrap(predictions)
        if not found:
            no_slice_reasons[scenario] = no_slice_reason(predictions, first)
        elif shown != first:
            shown_notes[scenario] = (
                f"Bootstrap {first} has no slices ({no_slice_reason(predictions, first)}); "
                f"these are the slices of bootstrap {shown}, the first with slices."
            )
        cards += found
    slicing_text, slicing_notice = describe_slicing_settings(
        {
            f"{scenario}.{variant}": tables.slicing_settings
            for (scenario, variant), tables in artifacts.tables.items()
        }
    )
    classifier_text, classifier_notice = describe_classifiers(artifacts.injection_qa)
    provenance = {
        "encoder": json.dumps(dict(artifacts.encoder), sort_keys=True, default=str),
        "classifier": classifier_text,
        "slice_discovery": slicing_text,
        "data_version": data_version(cohort, image_root),
        "seed": artifacts.seed,
        "medslice_version": __version__,
        "timestamp": artifacts.run_info.label,
        "parameters": dict(artifacts.parameters),
    }
    planted = planted_failures(artifacts.injection_qa, artifacts.headline.ideal_scores)
    images_notice = None if settings.embed_images else IMAGES_LEFT_OUT
    embedded = any(card.montage_png is not None for card in cards)
    return render_audit_report(
        artifacts.metrics_summary,
        cards,
        provenance,
        headline=artifacts.headline,
        precision_chart=artifacts.precision_chart,
        paired_chart=artifacts.paired_chart,
        show_variants=settings.show_variants,
        planted=planted,
        no_slice_reasons=no_slice_reasons,
        shown_notes=shown_notes,
        notices=[notice for notice in (classifier_notice, slicing_notice, images_notice) if notice],
        data_notice=CREDENTIALED_NOTICE if embedded and not release_is_synthetic(image_root) else None,
        paired=artifacts.paired_comparisons,
        cross_fitted=artifacts.cross_fitted_best,
        slicers=artifacts.slicers,
        parameters_from_rebuild=artifacts.run_info.rebuilt,
    )
