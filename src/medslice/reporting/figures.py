"""The report's figures, drawn on bare matplotlib Figures (no pyplot state, safe in threads)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from medslice.reporting.formatting import humanize, metric_label
from medslice.reporting.headline import (
    BASELINE_COLUMN,
    BASELINE_METRIC,
    DISCOVERY_METHOD,
    PAPER_METRIC,
    headline_long,
)

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in grey print.
VARIANT_COLOURS: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
FIGURE_DPI = 150


def precision_bar_chart(
    summary: pd.DataFrame,
    metric: str = PAPER_METRIC,
    method: str = DISCOVERY_METHOD,
    baseline_metric: str | None = BASELINE_METRIC,
    *,
    variants: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw ``metric`` per scenario as grouped bars, one per variant, with 95% CI error bars.

    The baseline (``baseline_metric`` of method ``baseline``) is a dashed line across each
    scenario's group, and each scenario's best bar has a thick outline. Variants without a value
    leave a gap; an empty summary gives a figure that says so.
    """
    long = headline_long(summary, metric, method, baseline_metric, variants=variants)
    scenarios = list(dict.fromkeys(long["scenario"]))
    bars = long[~long["is_baseline"]]
    variant_names = list(dict.fromkeys(bars["variant"]))
    figure = Figure(figsize=(9.6, 4.4), dpi=FIGURE_DPI, facecolor="white", layout="constrained")
    axes = figure.add_subplot()
    default_title = f"{metric_label(metric)} by scenario and modality variant"
    axes.set_title(title or default_title[:1].upper() + default_title[1:], loc="left")
    if not scenarios:
        axes.text(0.5, 0.5, "No results to show", ha="center", va="center", fontsize=12)
        axes.set_axis_off()
        return figure

    group_width = 0.82
    width = group_width / max(len(variant_names), 1)
    for position, variant in enumerate(variant_names):
        cells = bars[bars["variant"] == variant].set_index("scenario").reindex(scenarios)
        x = np.arange(len(scenarios)) - group_width / 2 + (position + 0.5) * width
        means = cells["mean"].to_numpy(dtype=float)
        # Error bars need non-negative lengths; a missing CI simply draws none.
        lower = np.nan_to_num(np.clip(means - cells["ci_low"].to_numpy(dtype=float), 0, None))
        upper = np.nan_to_num(np.clip(cells["ci_high"].to_numpy(dtype=float) - means, 0, None))
        best = cells["is_best"].fillna(False).to_numpy(dtype=bool)
        axes.bar(
            x,
            np.nan_to_num(means),
            width=width * 0.92,
            color=VARIANT_COLOURS[position % len(VARIANT_COLOURS)],
            edgecolor=["#111111" if flag else "none" for flag in best],
            linewidth=[1.8 if flag else 0 for flag in best],
            yerr=np.vstack([lower, upper]),
            error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"},
            label=humanize(variant),
        )

    baselines = long[long["is_baseline"]].set_index("scenario").reindex(scenarios)["mean"]
    for index, value in enumerate(baselines.to_numpy(dtype=float)):
        if not math.isnan(value):
            axes.hlines(
                value,
                index - group_width / 2,
                index + group_width / 2,
                colors="#444444",
                linestyles="dashed",
                linewidth=1.4,
            )

    axes.set_xticks(np.arange(len(scenarios)), [humanize(name) for name in scenarios])
    axes.set_ylim(0, 1.05)
    axes.set_ylabel(f"{metric_label(metric)} (mean, 95% CI)")
    axes.yaxis.grid(True, color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    if not baselines.isna().all():
        handles.append(Line2D([], [], color="#444444", linestyle="dashed", linewidth=1.4))
        labels.append(f"{BASELINE_COLUMN} ({metric_label(baseline_metric or '')})")
    handles.append(Patch(facecolor="white", edgecolor="#111111", linewidth=1.8))
    labels.append("best variant")
    figure.legend(handles, labels, loc="outside lower center", ncol=5, frameon=False, fontsize=8)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """Render a figure to PNG bytes at its own DPI.

    The PNG carries no timestamp, so the same figure always gives the same bytes.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi, metadata={"Software": None})
    return buffer.getvalue()
