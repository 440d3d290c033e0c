"""Benchmark: the cost of everything after the classifiers, per bootstrap, stage by stage.

After failure injection every scenario x modality variant cell (5 x 7 = 35 in the default configuration)
runs, per bootstrap: fusion (``fuse_bootstraps``), slice discovery (``discover_per_bootstrap``),
explanation (``medslice.explain.audit.explain_slices``, the library function the explanation node calls)
and evaluation (the ``evaluate_variant`` node). This script loads the real artifacts of an
audit from a data folder (the latest version of each: predictions, cohort, the three embedding tables and
the phrase bank), then calls those library functions one bootstrap at a time, with the parameters of
``conf/base/parameters/*.yml``, and times each call.

Each cell also pays a fixed cost once, whatever its number of bootstraps: aligning the variant's embedding
matrices with the audit rows (``aligned_modalities``) and the explanation node's inputs (report texts,
cohort attributes, the phrase bank). It is measured once per cell and reported apart.

Printed: a table of seconds per cell-bootstrap per stage and variant, then one JSON line:

- ``downstream_s_per_bootstrap``: seconds of all stages for one bootstrap index across all
  ``n_cells_total`` (35) cells, i.e. ``35 x`` the mean cell-bootstrap cost; when fewer cells are measured
  (``--scenarios``, ``--variants``) it is extrapolated from them (``extrapolated: true``). The first variant
  of a scenario pays the TF-IDF fits its other variants reuse, so extrapolate from whole scenarios;
- ``stages``: the same per stage (fusion, slicing, explanation, evaluation);
- ``fixed_s_per_cell`` and ``fixed_s_per_bootstrap_at_n``: the per-cell fixed cost, and its share per
  bootstrap once spread over ``--amortise-over`` bootstraps (default 30, the demo's target); it is not in
  ``downstream_s_per_bootstrap``.

With ``--check`` every computed output (fused embeddings, slice memberships and summaries, explanations,
metrics) is compared with the one the audit stored in the data folder: ``identical`` counts the cells whose
outputs match exactly (``max_abs_diff`` is the largest absolute difference of any float). ``--save DIR``
pickles every cell's outputs, and ``--check --reference DIR`` compares with those instead: run older code
with ``PYTHONPATH=<its clone>/src`` and ``--save`` (its time is the "before"), then this code with
``--reference``. ``--repeat N`` sweeps all cells N times, emptying the explanation's caches before each
sweep, and keeps each call's fastest time. ``--profile N`` prints the N most expensive functions of a
cProfile run over the measured cells. ``--checkpoints DIR`` keeps every bootstrap's result in a checkpoint
store, as the pipeline does: a first run with an empty ``DIR`` times computing and keeping them, a second
one loading them.

Run: ``.venv/bin/python benchmarks/downstream_cost.py --data /work/baseline/data [--scenarios S ...]
[--variants V ...] [--bootstraps B ...] [--repeat 2] [--check] [--save DIR | --reference DIR]
[--profile 30] [--checkpoints DIR]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pickle
import pstats
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from kedro.io import Version
from kedro_datasets.pandas import ParquetDataset

from medslice.datasets import ArrowParquetDataset
from medslice.explain.audit import explain_slices
from medslice.explain.settings import ExplanationSettings
from medslice.pipelines.evaluation.nodes import evaluate_variant
from medslice.pipelines.explanation.nodes import explanation_inputs
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.embedding_tables import aligned_modalities
from medslice.slicing.per_bootstrap import discover_per_bootstrap, fuse_bootstraps
from medslice.slicing.settings import VariantSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STAGES = ("fusion", "slicing", "explanation", "evaluation")
TARGET_S_PER_BOOTSTRAP = 5.0


def parameters() -> dict[str, Any]:
    """``conf/base/parameters/*.yml`` merged at the top level (the files hold no interpolation)."""
    merged: dict[str, Any] = {}
    for path in sorted((PROJECT_ROOT / "conf" / "base" / "parameters").glob("*.yml")):
        merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def _latest(dataset_type: type, path: Path, **kwargs: Any) -> Any:
    return dataset_type(filepath=str(path), version=Version(None, None), **kwargs).load()


def load_inputs(data: Path, scenarios: list[str]) -> dict[str, Any]:
    """The latest version of every input the downstream stages read."""
    features = data / "04_feature"
    cohort = _latest(ParquetDataset, data / "03_primary" / "cohort.parquet")
    return {
        "cohort": cohort,
        "tables": {
            m: _latest(ArrowParquetDataset, features / f"{m}_embeddings.parquet")
            for m in ("image", "report", "metadata")
        },
        "phrase_bank": _latest(ArrowParquetDataset, features / "phrase_bank.parquet"),
        "predictions": {
            s: _latest(ParquetDataset, data / "07_model_output" / s / "predictions.parquet")
            for s in scenarios
        },
    }


def stored(data: Path, scenario: str, variant: str) -> dict[str, Any]:
    """The audit's own outputs of one cell, for ``--check``."""
    out, rep = data / "07_model_output" / scenario / variant, data / "08_reporting" / scenario / variant
    return {
        "fused": _latest(ArrowParquetDataset, out / "fused_embeddings.parquet"),
        "slices": _latest(ParquetDataset, out / "slices.parquet"),
        "summary": _latest(ParquetDataset, out / "slice_summary.parquet"),
        "explanations": _latest(ParquetDataset, rep / "explanations.parquet"),
        "metrics": _latest(ParquetDataset, rep / "metrics.parquet"),
    }


def _max_diff(mine: pd.DataFrame, theirs: pd.DataFrame) -> float:
    """Largest absolute difference of the float columns, inf when the frames differ otherwise."""
    mine, theirs = mine.reset_index(drop=True), theirs.reset_index(drop=True)
    if list(mine.columns) != list(theirs.columns) or len(mine) != len(theirs):
        return float("inf")
    worst = 0.0
    for column in mine.columns:
        a, b = mine[column], theirs[column]
        if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            if not np.array_equal(np.isnan(x), np.isnan(y)):
                return float("inf")
            finite = ~np.isnan(x)
            if finite.any():
                worst = max(worst, float(np.max(np.abs(x[finite] - y[finite]))))
        elif not a.astype(object).where(a.notna(), None).equals(b.astype(object).where(b.notna(), None)):
            return float("inf")
    return worst


def compare(
    computed: dict[str, list[Any]], reference: dict[str, Any], bootstraps: list[int]
) -> dict[str, float]:
    """Max absolute difference per output between the computed bootstraps and the stored ones."""
    result = {}
    fused = pa.concat_tables(computed["fused"]).to_pandas()
    theirs = reference["fused"].to_pandas()
    theirs = theirs[theirs["bootstrap"].isin(bootstraps)].reset_index(drop=True)
    same_rows = fused[["dicom_id", "bootstrap"]].equals(theirs[["dicom_id", "bootstrap"]])
    result["fused"] = (
        float(
            max(
                np.max(np.abs(np.stack(a) - np.stack(b)))
                for a, b in [(fused["embedding"], theirs["embedding"])]
            )
        )
        if same_rows
        and all(len(a) == len(b) for a, b in zip(fused["embedding"], theirs["embedding"], strict=True))
        else float("inf")
    )
    for name in ("slices", "summary", "explanations", "metrics"):
        mine = pd.concat(computed[name], ignore_index=True)
        ref = reference[name]
        ref = ref[ref["bootstrap"].isin(bootstraps)].reset_index(drop=True)
        # Columns the stored table lacks were added by code newer than the audit (e.g. `classifier`).
        result[name] = _max_diff(mine[[c for c in mine.columns if c in ref.columns]], ref)
    return result


def clear_caches() -> None:
    """Empty the explanation's per-process caches (TF-IDF fits, Fisher tests), where the code has them."""
    import medslice.explain.audit as explain_audit
    from medslice.explain import enrichment

    cache = getattr(explain_audit, "_fit_cache", None)
    if cache is not None:
        cache.clear()
    fisher = getattr(enrichment, "fisher_exact_two_sided", None)
    if hasattr(fisher, "cache_clear"):
        fisher.cache_clear()


class Timer:
    """Accumulates wall seconds per key."""

    def __init__(self) -> None:
        self.seconds: dict[tuple, float] = defaultdict(float)

    def run(self, key: tuple, function: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = function(*args, **kwargs)
        self.seconds[key] += time.perf_counter() - start
        return result


def run_cell(
    timer: Timer,
    inputs: dict[str, Any],
    params: dict[str, Any],
    scenario: str,
    variant: str,
    bootstraps: list[int],
    store: CheckpointStore,
) -> dict[str, list[Any]]:
    """One cell: its fixed cost once, then the four stages bootstrap by bootstrap (kept in ``store``)."""
    spec = VariantSettings.from_dict(params["slice_discovery"]["variants"][variant])
    slicer = params["slice_discovery"]["slicer"]
    seed = int(params["seed"])
    evaluation = params["evaluation"]
    explanation = ExplanationSettings.from_dict(params["explanation"])
    predictions = inputs["predictions"][scenario]
    modalities = list(spec.modalities)

    def fixed() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        ids = predictions["dicom_id"].astype(str)
        matrices = aligned_modalities(ids, modalities, inputs["cohort"], inputs["tables"])
        explain_kwargs = explanation_inputs(
            ids, inputs["cohort"], *inputs["tables"].values(), inputs["phrase_bank"], spec, explanation
        )
        return matrices, explain_kwargs

    matrices, explain_kwargs = timer.run(("fixed", scenario, variant), fixed)
    shared = explain_kwargs.pop("shared_space_embeddings")
    outputs: dict[str, list[Any]] = defaultdict(list)
    for bootstrap in bootstraps:
        rows = np.flatnonzero(predictions["bootstrap"].to_numpy() == bootstrap)
        preds = predictions.iloc[rows].reset_index(drop=True)
        key = (scenario, variant, bootstrap)
        fused = timer.run(
            ("fusion", *key),
            fuse_bootstraps,
            preds,
            {name: matrix[rows] for name, matrix in matrices.items()},
            weights=spec.weights,
            max_components=spec.max_components,
            seed=seed,
            checkpoints=store,
        )
        slices, summary = timer.run(
            ("slicing", *key), discover_per_bootstrap, fused, preds, slicer, seed=seed, checkpoints=store
        )
        explanations = timer.run(
            ("explanation", *key),
            explain_slices,
            slices,
            preds,
            shared_space_embeddings=None if shared is None else shared[rows],
            **explain_kwargs,
            checkpoints=store,
        )
        metrics = timer.run(
            ("evaluation", *key),
            evaluate_variant,
            slices,
            preds,
            explanations,
            store,
            evaluation,
            slicer,
            scenario=scenario,
            variant=variant,
        )
        for name, value in (
            ("fused", fused),
            ("slices", slices),
            ("summary", summary),
            ("explanations", explanations),
            ("metrics", metrics),
        ):
            outputs[name].append(value)
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument("--scenarios", nargs="+", default=None)
    parser.add_argument("--variants", nargs="+", default=None)
    parser.add_argument("--bootstraps", nargs="+", type=int, default=None, help="default: all in predictions")
    parser.add_argument("--repeat", type=int, default=1, help="time each cell this many times, keep the best")
    parser.add_argument("--amortise-over", type=int, default=30)
    parser.add_argument("--check", action="store_true", help="compare outputs with the stored artifacts")
    parser.add_argument(
        "--save", type=Path, default=None, help="pickle every cell's outputs into this folder"
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="with --check: compare with the outputs --save wrote there, not with the stored artifacts",
    )
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    parser.add_argument(
        "--checkpoints",
        type=Path,
        default=None,
        help="keep every bootstrap in this checkpoint store (a second run loads them); default: keep nothing",
    )
    args = parser.parse_args()
    store = CheckpointStore(args.checkpoints)
    # With a store, says whether this run computed and kept the units (0) or loaded them.
    units_kept_before = len(list(args.checkpoints.rglob("*.pkl"))) if args.checkpoints else 0

    for name in ("", "kedro", "medslice"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    params = parameters()
    declared = params["failure_injection"]["scenarios"]
    all_scenarios = [n for n, spec in declared.items() if (spec or {}).get("enabled", True)]
    all_variants = list(params["slice_discovery"]["variants"])
    scenarios = args.scenarios or [s for s in all_scenarios if (args.data / "07_model_output" / s).is_dir()]
    variants = args.variants or all_variants
    n_cells_total = len(all_scenarios) * len(all_variants)

    if not (args.data / "03_primary" / "cohort.parquet").exists() or not scenarios:
        raise SystemExit(f"{args.data} holds no audit (cohort, predictions): run one, or pass --data")
    load_start = time.perf_counter()
    inputs = load_inputs(args.data, scenarios)
    print(f"loaded inputs from {args.data} in {time.perf_counter() - load_start:.1f} s")

    profiler = cProfile.Profile() if args.profile else None
    best: dict[tuple, float] = {}
    checks: dict[tuple[str, str], dict[str, float]] = {}
    per_cell_bootstraps: dict[tuple[str, str], list[int]] = {}
    for scenario in scenarios:
        available = sorted(int(b) for b in inputs["predictions"][scenario]["bootstrap"].unique())
        for variant in variants:
            per_cell_bootstraps[scenario, variant] = [
                b for b in available if args.bootstraps is None or b in args.bootstraps
            ]
    # Each repetition sweeps every cell in the audit's order (a scenario's variants one after the other), with
    # the explanation's cache of TF-IDF fits emptied first: a repetition costs what one audit costs.
    for repetition in range(max(1, args.repeat)):
        clear_caches()
        for (scenario, variant), bootstraps in per_cell_bootstraps.items():
            timer = Timer()
            if profiler is not None:
                profiler.enable()
            outputs = run_cell(timer, inputs, params, scenario, variant, bootstraps, store)
            if profiler is not None:
                profiler.disable()
            for key, seconds in timer.seconds.items():
                best[key] = min(best.get(key, np.inf), seconds)
            if repetition > 0:
                continue
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                with open(args.save / f"{scenario}.{variant}.pkl", "wb") as file:
                    saved = {
                        name: pa.concat_tables(v) if name == "fused" else pd.concat(v, ignore_index=True)
                        for name, v in outputs.items()
                    }
                    pickle.dump(saved, file)
            if args.check:
                if args.reference is not None:
                    with open(args.reference / f"{scenario}.{variant}.pkl", "rb") as file:
                        reference = pickle.load(file)
                else:
                    reference = stored(args.data, scenario, variant)
                checks[scenario, variant] = compare(outputs, reference, bootstraps)

    # Seconds per cell-bootstrap, per stage and variant.
    n_cell_bootstraps = sum(len(b) for b in per_cell_bootstraps.values())
    stage_total = {s: sum(v for k, v in best.items() if k[0] == s) for s in STAGES}
    fixed_total = sum(v for k, v in best.items() if k[0] == "fixed")
    print(
        f"\nmilliseconds per cell-bootstrap (mean over {n_cell_bootstraps} cell-bootstraps; "
        f"best of {args.repeat})"
    )
    print(f"{'variant':24s} " + " ".join(f"{s:>11s}" for s in STAGES) + f" {'total':>9s} {'fixed/cell':>11s}")
    for variant in variants:
        cells = [(s, variant) for s in scenarios]
        n = sum(len(per_cell_bootstraps[c]) for c in cells)
        per_stage = [sum(v for k, v in best.items() if k[0] == s and k[2] == variant) / n for s in STAGES]
        fixed = sum(v for k, v in best.items() if k[0] == "fixed" and k[2] == variant) / len(cells)
        print(
            f"{variant:24s} "
            + " ".join(f"{1000 * x:11.1f}" for x in per_stage)
            + f" {1000 * sum(per_stage):9.1f} {1000 * fixed:11.1f}"
        )
    mean_stage = {s: stage_total[s] / n_cell_bootstraps for s in STAGES}
    print(
        f"{'all':24s} "
        + " ".join(f"{1000 * mean_stage[s]:11.1f}" for s in STAGES)
        + f" {1000 * sum(mean_stage.values()):9.1f} {1000 * fixed_total / len(per_cell_bootstraps):11.1f}"
    )
    if checks:
        print("\ncheck against the stored outputs (max |difference|; inf: differ in rows, strings or shape)")
        for (scenario, variant), diffs in checks.items():
            print(f"  {scenario:22s} {variant:24s} " + " ".join(f"{k}={v:.3g}" for k, v in diffs.items()))
    if profiler is not None:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(args.profile)
        print(stream.getvalue())
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(args.profile)
        print(stream.getvalue())

    per_bootstrap = {s: round(n_cells_total * mean_stage[s], 3) for s in STAGES}
    fixed_per_cell = fixed_total / len(per_cell_bootstraps)
    summary = {
        "downstream_s_per_bootstrap": round(sum(per_bootstrap.values()), 3),
        "target_s": TARGET_S_PER_BOOTSTRAP,
        "met": sum(per_bootstrap.values()) <= TARGET_S_PER_BOOTSTRAP,
        "stages": per_bootstrap,
        "s_per_cell_bootstrap": round(sum(mean_stage.values()), 4),
        "n_cells_measured": len(per_cell_bootstraps),
        "n_cell_bootstraps_measured": n_cell_bootstraps,
        "n_cells_total": n_cells_total,
        "extrapolated": len(per_cell_bootstraps) != n_cells_total,
        "fixed_s_per_cell": round(fixed_per_cell, 4),
        "fixed_s_per_bootstrap_at_n": round(n_cells_total * fixed_per_cell / args.amortise_over, 3),
        "amortise_over": args.amortise_over,
        "repeat": args.repeat,
        "threads": len(os.sched_getaffinity(0)),
        "checkpoints": None if args.checkpoints is None else str(args.checkpoints),
        "units_kept_before": units_kept_before,
    }
    if checks:
        summary["identical"] = sum(all(v == 0 for v in d.values()) for d in checks.values())
        summary["max_abs_diff"] = {k: max(d[k] for d in checks.values()) for k in next(iter(checks.values()))}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
