"""The report's figures, drawn on bare matplotlib Figures (no pyplot state, safe in threads)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from medslice.errors import BadValueError
from medslice.evaluation.paired import PAIRED_COLUMNS, VS_IMAGE, variant_sort_key
from medslice.reporting.formatting import humanize, metric_label
from medslice.reporting.headline import (
    BASELINE_COLUMN,
    BASELINE_METRIC,
    PAPER_METRIC,
    Headline,
)
from medslice.reporting.paired import ALPHA, reference_label, variant_label

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


def precision_bar_chart(headline: Headline) -> Figure:
    """Draw the headline's paper precision@10 per scenario as grouped bars, one per variant, with 95% CIs.

    The baseline is a dashed line across each scenario's group, and each scenario's best bar has a thick
    outline. Variants without a value leave a gap; an empty headline gives a figure that says so.
    """
    long, metric, baseline_metric = headline.long, PAPER_METRIC, BASELINE_METRIC
    scenarios = list(dict.fromkeys(long["scenario"]))
    bars = long[~long["is_baseline"]]
    variant_names = list(dict.fromkeys(bars["variant"]))
    figure = Figure(figsize=(9.6, 4.4), dpi=FIGURE_DPI, facecolor="white", layout="constrained")
    axes = figure.add_subplot()
    default_title = f"{metric_label(metric)} by scenario and modality variant"
    axes.set_title(default_title[:1].upper() + default_title[1:], loc="left")
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
        labels.append(f"{BASELINE_COLUMN} ({metric_label(baseline_metric)})")
    handles.append(Patch(facecolor="white", edgecolor="#111111", linewidth=1.8))
    labels.append("best variant")
    figure.legend(handles, labels, loc="outside lower center", ncol=5, frameon=False, fontsize=8)
    return figure


def paired_forest_plot(
    paired: pd.DataFrame, comparison: str = VS_IMAGE, *, title: str | None = None
) -> Figure:
    """Draw each variant's mean paired difference and its 95% CI, one panel per scenario, with a zero line.

    Parameters
    ----------
    paired : pandas.DataFrame
        The output of :func:`medslice.evaluation.paired.paired_comparisons`.
    comparison : str
        Which comparison to draw (default ``"vs image"``: each multimodal variant minus image-only).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        Filled markers mark a Holm p below 0.05, open ones the rest; whiskers are the design-aware
        intervals. Without rows for ``comparison`` the figure says so.
    """
    missing = [column for column in PAIRED_COLUMNS if column not in paired.columns]
    if missing:
        raise BadValueError(f"paired lacks column(s) {missing}; build it with paired_comparisons().")
    rows = paired[paired["comparison"] == comparison]
    scenarios = list(dict.fromkeys(rows["scenario"].astype(str)))
    counts = [int((rows["scenario"] == scenario).sum()) for scenario in scenarios]
    reference = reference_label(str(rows["reference"].iloc[0])) if len(rows) else "the reference"
    height = 1.3 + sum(0.3 * count + 0.45 for count in counts)
    figure = Figure(figsize=(7.2, max(height, 2.4)), dpi=FIGURE_DPI, facecolor="white", layout="constrained")
    default_title = f"Paired difference in paper precision@10, variant minus {reference}"
    figure.suptitle(title or default_title, x=0.02, ha="left", fontsize=11)
    if not scenarios:
        axes = figure.add_subplot()
        axes.text(0.5, 0.5, "No paired comparisons to show", ha="center", va="center", fontsize=12)
        axes.set_axis_off()
        return figure

    panels = figure.subplots(len(scenarios), 1, sharex=True, squeeze=False, height_ratios=counts)[:, 0]
    low = float(np.nanmin(np.r_[rows["ci_low"].to_numpy(dtype=float), rows["mean_difference"], 0.0]))
    high = float(np.nanmax(np.r_[rows["ci_high"].to_numpy(dtype=float), rows["mean_difference"], 0.0]))
    margin = max(0.05, 0.08 * (high - low))
    for axes, scenario in zip(panels, scenarios, strict=True):
        mine = rows[rows["scenario"] == scenario]
        keys = [variant_sort_key(str(v)) for v in mine["variant"]]
        mine = mine.iloc[sorted(range(len(mine)), key=keys.__getitem__)]
        y = np.arange(len(mine))[::-1]
        means = mine["mean_difference"].to_numpy(dtype=float)
        lower = np.nan_to_num(np.clip(means - mine["ci_low"].to_numpy(dtype=float), 0, None))
        upper = np.nan_to_num(np.clip(mine["ci_high"].to_numpy(dtype=float) - means, 0, None))
        significant = (mine["holm_p"] < ALPHA).to_numpy(dtype=bool)
        axes.axvline(0.0, color="#444444", linewidth=1.0, linestyle="dashed", zorder=1)
        axes.errorbar(
            means,
            y,
            xerr=np.vstack([lower, upper]),
            fmt="none",
            ecolor="#333333",
            elinewidth=1.1,
            capsize=2.5,
            zorder=2,
        )
        axes.scatter(
            means,
            y,
            s=36,
            marker="o",
            facecolors=[VARIANT_COLOURS[0] if flag else "white" for flag in significant],
            edgecolors=VARIANT_COLOURS[0],
            linewidths=1.4,
            zorder=3,
        )
        axes.set_yticks(y, [variant_label(str(v)) for v in mine["variant"]], fontsize=8)
        axes.set_ylim(-0.6, len(mine) - 0.4)
        axes.set_title(humanize(scenario), loc="left", fontsize=9)
        axes.xaxis.grid(True, color="#e3e3e3", linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
    panels[-1].set_xlim(low - margin, high + margin)
    panels[-1].set_xlabel(f"Mean paired difference (95% CI); filled: Holm p < {ALPHA:g}", fontsize=8)
    return figure


def png_bytes(figure: Figure) -> bytes:
    """Render a figure to PNG bytes at its own DPI.

    The PNG carries no timestamp, so the same figure always gives the same bytes.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi, metadata={"Software": None})
    return buffer.getvalue()
