"""Report inputs built with the real evaluation and explanation code, at tiny sizes.

Builders rather than fixtures, so that a test can rebuild every input from scratch."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from medslice.evaluation import SUMMARY_COLUMNS, summarize_metrics, tidy_metrics
from medslice.evaluation.paired import cross_fitted_best, paired_comparisons
from medslice.evaluation.slicers import best_variant_per_slicer
from medslice.explain import AttributeEnrichment, montage_png_bytes
from medslice.reporting import SliceCard, best_variants
from medslice.reporting.artifacts import ReportArtifacts, VariantTables
from medslice.reporting.data_protection import ReportSettings
from medslice.reporting.figures import paired_forest_plot, precision_bar_chart
from medslice.reporting.headline import compute_headline
from medslice.reporting.run_info import RunInfo
from medslice.reporting.slicers import commonest_rules, slicer_rows
from tests.variants import DECLARED_VARIANTS as MODALITY_VARIANTS

SCENARIOS = ("spurious_correlation", "rare_slice", "noisy_label")
# Per scenario, the true mean of paper precision@10 per variant (in MODALITY_VARIANTS order).
TRUE_MEANS = {
    "spurious_correlation": (0.52, 0.71, 0.34, 0.83, 0.61, 0.69, 0.78),
    "rare_slice": (0.41, 0.38, 0.66, 0.47, 0.72, 0.55, 0.64),
    "noisy_label": (0.36, 0.31, 0.22, 0.33, 0.39, 0.28, 0.35),
}
SCRIPT_TOKEN = "<script>alert(1)</script>"
BASELINES = {"spurious_correlation": 0.45, "rare_slice": 0.18, "noisy_label": 0.30}


def summary_row(
    scenario: str,
    variant: str,
    mean: float,
    *,
    method: str = "domino",
    metric: str = "paper_precision_at_10",
    half_width: float = 0.1,
    n: int = 20,
) -> dict[str, object]:
    """One hand-made summary row."""
    return {
        "scenario": scenario,
        "variant": variant,
        "method": method,
        "metric": metric,
        "mean": mean,
        "ci_low": mean - half_width if not math.isnan(mean) else math.nan,
        "ci_high": mean + half_width if not math.isnan(mean) else math.nan,
        "n": n,
    }


def as_summary(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Hand-made rows as a summary table with the evaluation package's columns."""
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def build_summary() -> pd.DataFrame:
    """A summary computed by medslice.evaluation from seeded per-bootstrap values."""
    rng = np.random.default_rng(7)
    records = []
    for scenario in SCENARIOS:
        spread = 0.2 if scenario == "noisy_label" else 0.07
        for variant, mean in zip(MODALITY_VARIANTS, TRUE_MEANS[scenario], strict=True):
            for bootstrap in range(12):
                paper = float(np.clip(mean + rng.normal(0, spread), 0, 1))
                dcbench = float(np.clip(mean + 0.1 + rng.normal(0, spread), 0, 1))
                records.append(
                    {
                        "scenario": scenario,
                        "variant": variant,
                        "bootstrap": bootstrap,
                        "method": "domino",
                        "paper_precision_at_10": paper,
                        "precision_at_10": dcbench,
                    }
                )
        for bootstrap in range(12):
            records.append(
                {
                    "scenario": scenario,
                    "variant": "none",
                    "bootstrap": bootstrap,
                    "method": "baseline",
                    "attribute_fraction": BASELINES[scenario] + rng.normal(0, 0.02),
                }
            )
    return summarize_metrics(tidy_metrics(records), n_resamples=200, seed=0)


def _phantom(path: str) -> Image.Image:
    """A procedural chest radiograph: two lung fields, a heart shadow and, for some, a tube."""
    index = int(path.split("-")[1].split(".", maxsplit=1)[0])
    image = Image.new("L", (120, 140), 30)
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 20, 56, 120), fill=170 + index * 5)
    draw.ellipse((64, 20, 108, 120), fill=165 + index * 4)
    draw.ellipse((48, 60, 84, 112), fill=110)
    if index % 2 == 0:
        draw.line((60, 0, 58 + index, 95), fill=250, width=3)
    return image


def build_montage() -> bytes:
    """A real montage PNG drawn by medslice.explain from procedural phantoms."""
    paths = [f"case-{i}.jpg" for i in range(8)]
    membership = np.linspace(0.95, 0.55, 8)
    return montage_png_bytes(_phantom, paths, membership, np.zeros(8, int), np.ones(8, int), n=8, size=96)


def build_enrichment() -> pd.DataFrame:
    """Real AttributeEnrichment output for a slice that concentrates support devices and AP view."""
    rng = np.random.default_rng(3)
    in_slice = np.arange(120) < 30
    attributes = pd.DataFrame(
        {
            "support_devices": np.where(in_slice, rng.random(120) < 0.9, rng.random(120) < 0.2).astype(int),
            "ViewPosition": np.where(
                in_slice & (rng.random(120) < 0.8), "AP", rng.choice(["PA", "AP", "LATERAL"], 120)
            ),
            "gender": rng.choice(["F", "M"], 120),
        }
    )
    return AttributeEnrichment().explain(attributes, in_slice).head(4)


def build_cards(summary: pd.DataFrame, montage: bytes, enrichment: pd.DataFrame) -> list[SliceCard]:
    """Three cards on the best variants of two scenarios; noisy_label gets none."""
    best = best_variants(summary)
    spurious, rare = best["spurious_correlation"], best["rare_slice"]
    assert spurious is not None and rare is not None
    return [
        SliceCard(
            "spurious_correlation",
            spurious,
            0,
            42,
            0.81,
            "false positives",
            0.37,
            0,
            tokens=[
                ("tube", 0.212),
                ("catheter", 0.164),
                ("portable", 0.121),
                ("line", 0.098),
                ("ap view", 0.071),
            ],
            phrases=[("a chest x-ray with a support device", 0.31), ("a portable radiograph", 0.22)],
            enrichment=enrichment,
            montage_png=montage,
        ),
        SliceCard(
            "spurious_correlation",
            spurious,
            3,
            17,
            0.47,
            "false positives",
            0.12,
            0,
            tokens=[("effusion", 0.08), (SCRIPT_TOKEN, 0.05)],
            phrases=[],
            enrichment=enrichment.iloc[0:0],
            montage_png=None,
        ),
        SliceCard(
            "rare_slice",
            rare,
            1,
            23,
            0.74,
            "false negatives",
            0.41,
            1,
            tokens=[("lateral", 0.19), ("cardiomegaly", 0.11)],
            phrases=[("a lateral chest radiograph", 0.27)],
            enrichment=enrichment,
            montage_png=montage,
            hypotheses=["Lateral views of enlarged hearts are missed."],
        ),
    ]


def build_provenance() -> dict[str, object]:
    """Run provenance, with a fixed timestamp."""
    return {
        "encoder": "local-dir:data/06_models/encoder (EfficientNet-Lite0 + MiniLM, LiT)",
        "data_version": "synthetic-2500 (2026-01-01T00.00.00.000Z)",
        "seed": 42,
        "timestamp": "2026-01-01T00:00:00Z",
        "parameters": {"seed": 42, "slice_discovery": {"n_slices": 5, "n_mixture_components": 20}},
    }


def report_artifacts(
    summary: pd.DataFrame,
    *,
    scenarios: Sequence[str] = (),
    variants: Sequence[str] = MODALITY_VARIANTS,
    paired: pd.DataFrame | None = None,
    cross_fitted: pd.DataFrame | None = None,
    slicer_tables: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    injection_qa: Mapping[str, Mapping[str, Any]] | None = None,
    predictions: Mapping[str, pd.DataFrame] | None = None,
    tables: Mapping[tuple[str, str], VariantTables] | None = None,
    cohort: pd.DataFrame | None = None,
    image_root: str = ".",
    parameters: Mapping[str, Any] | None = None,
    settings: ReportSettings | None = None,
    run_info: RunInfo | None = None,
) -> ReportArtifacts:
    """A :class:`ReportArtifacts` as ``build_audit_report`` gathers it, from hand-made tables."""
    empty_paired = paired_comparisons(tidy_metrics([]), seed=0)
    empty_best = cross_fitted_best(tidy_metrics([]), seed=0)
    paired = empty_paired if paired is None else paired
    cross_fitted = empty_best if cross_fitted is None else cross_fitted
    slicers = (
        tuple(slicer_rows(best_variant_per_slicer(slicer_tables[0]), commonest_rules(slicer_tables[1])))
        if slicer_tables is not None
        else ()
    )
    headline = compute_headline(summary, variants)
    return ReportArtifacts(
        scenarios=tuple(scenarios),
        variants=tuple(variants),
        predictions=dict(predictions or {}),
        injection_qa=dict(injection_qa or {}),
        tables=dict(tables or {}),
        metrics_summary=summary,
        paired_comparisons=paired,
        cross_fitted_best=cross_fitted,
        slicers=slicers,
        cohort=cohort
        if cohort is not None
        else pd.DataFrame({"dicom_id": pd.Series(dtype=str), "image_path": pd.Series(dtype=str)}),
        image_root=str(image_root),
        encoder={},
        headline=headline,
        precision_chart=precision_bar_chart(headline),
        paired_chart=paired_forest_plot(paired),
        seed=parameters.get("seed") if parameters else None,
        parameters=dict(parameters or {}),
        settings=settings or ReportSettings(embed_images=True),
        run_info=run_info or RunInfo(),
    )
