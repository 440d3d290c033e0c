"""Per-bootstrap fusion and slicing: the layout of the fused table, and results that do not depend on the
BLAS or OpenMP thread count of the process they run in (decision 32)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_info, threadpool_limits

from medslice.slicing.per_bootstrap import discover_per_bootstrap, fuse_bootstraps
from medslice.slicing.threads import limited_threads

SLICER = {"method": "domino", "n_slices": 3, "n_mixture_components": 6, "n_pca_components": 280}


def _audit(n_per_bootstrap: tuple[int, ...] = (300, 290)) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    n = sum(n_per_bootstrap)
    target = rng.integers(0, 2, n)
    pred = np.where(rng.uniform(size=n) < 0.2, 1 - target, target)
    predictions = pd.DataFrame(
        {
            "dicom_id": [f"d{i}" for i in range(n)],
            "bootstrap": np.repeat([1, 0], n_per_bootstrap),  # not sorted: fusion groups by bootstrap
            "target": target,
            "pred": pred,
        }
    )
    centres = rng.normal(size=(8, 300))
    image = centres[rng.integers(0, 8, n)] + 0.5 * rng.normal(size=(n, 300))
    return predictions, {
        "image": image.astype(np.float32),
        "report": rng.normal(size=(n, 300)).astype(np.float32),
    }


def test_fused_table_has_one_list_row_per_audit_row_in_bootstrap_order() -> None:
    predictions, matrices = _audit((40, 30))
    fused = fuse_bootstraps(predictions, matrices, max_components=35)
    assert fused.schema == pa.schema(
        [("dicom_id", pa.string()), ("bootstrap", pa.int64()), ("embedding", pa.list_(pa.float32()))]
    )
    assert fused.column("bootstrap").to_pylist() == [0] * 30 + [1] * 40
    # Bootstraps ascending, each one's rows sorted by dicom_id (as strings: d0, d1, d10, ...).
    assert fused.column("dicom_id").to_pylist() == sorted(f"d{i}" for i in range(40, 70)) + sorted(
        f"d{i}" for i in range(40)
    )
    widths = {len(row) for row in fused.column("embedding").to_pylist()}
    assert widths == {30, 35}  # bootstrap 0 has 30 rows: its PCA keeps at most 30 components
    empty = fuse_bootstraps(predictions.iloc[:0], {k: v[:0] for k, v in matrices.items()})
    assert empty.num_rows == 0 and empty.schema == fused.schema


def test_results_do_not_depend_on_the_thread_count_of_the_process() -> None:
    predictions, matrices = _audit()
    outcomes = []
    for limit in (None, 1, 2):
        with threadpool_limits(limits=limit):
            fused = fuse_bootstraps(predictions, matrices, max_components=512, seed=3)
            memberships, summary = discover_per_bootstrap(fused, predictions, SLICER, seed=3)
        outcomes.append((fused, memberships, summary))
    for fused, memberships, summary in outcomes[1:]:
        assert fused.equals(outcomes[0][0])
        pd.testing.assert_frame_equal(memberships, outcomes[0][1], check_exact=True)
        pd.testing.assert_frame_equal(summary, outcomes[0][2], check_exact=True)


def test_limited_threads_sets_and_restores_the_limits() -> None:
    before = {(lib["user_api"], lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
    with limited_threads(1):
        assert all(lib["num_threads"] == 1 for lib in threadpool_info())
    after = {(lib["user_api"], lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
    assert after == before
