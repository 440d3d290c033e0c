"""Every slicer on the same bootstraps: memberships per method, rules, order independence, reuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.comparison import check_compared_slicers, discover_with_every_slicer
from medslice.slicing.per_bootstrap import fuse_bootstraps

SLICERS = [
    {"method": "domino", "n_slices": 2, "n_mixture_components": 4, "n_pca_components": 4},
    {"method": "error_cluster", "n_slices": 3, "n_pca_components": 4},
    {"method": "sliceline", "n_slices": 2, "min_sup": 5, "columns": ["view", "gender"]},
]


def _audit() -> tuple[pa.Table, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    n = 120
    ids = np.array([f"d{i:03d}" for i in range(n)])
    attributes = pd.DataFrame(
        {"view": rng.choice(["frontal", "lateral"], n), "gender": rng.choice(["F", "M"], n)}, index=ids
    )
    lateral = (attributes["view"] == "lateral").to_numpy()
    target = rng.integers(0, 2, n)
    pred = np.where(lateral & (rng.random(n) < 0.8), 1 - target, target)
    frames = [pd.DataFrame({"dicom_id": ids, "bootstrap": b, "target": target, "pred": pred}) for b in (0, 1)]
    predictions = pd.concat(frames, ignore_index=True)
    image = rng.normal(size=(n, 8)) + lateral[:, None] * 2.0
    fused = fuse_bootstraps(predictions, {"image": np.tile(image, (2, 1))}, max_components=6)
    return fused, predictions, attributes


def test_each_slicer_scores_the_same_rows_and_the_rule_slicer_names_its_rule() -> None:
    fused, predictions, attributes = _audit()
    memberships, rules = discover_with_every_slicer(fused, predictions, attributes, SLICERS, seed=1)
    assert sorted(memberships["method"].unique()) == ["domino", "error_cluster", "sliceline"]
    for _, rows in memberships.groupby("method"):
        assert sorted(zip(rows["bootstrap"], rows["dicom_id"], strict=True)) == sorted(
            zip(predictions["bootstrap"], predictions["dicom_id"], strict=True)
        )
    # Domino's two slices fill slice_0-1; the widest slicer (3) sets the columns, NaN elsewhere.
    domino = memberships[memberships["method"] == "domino"]
    assert domino["slice_2"].isna().all() and domino["slice_0"].notna().all()
    first = rules[(rules["bootstrap"] == 0) & (rules["slice"] == 0)]
    assert first["rule"].item().startswith("view = lateral")
    inside = memberships[(memberships["method"] == "sliceline") & (memberships["bootstrap"] == 0)]
    lateral = attributes.loc[inside["dicom_id"], "view"].eq("lateral").to_numpy()
    if first["rule"].item() == "view = lateral":
        np.testing.assert_array_equal(inside["slice_0"].to_numpy() > 0.5, lateral)


def test_the_result_does_not_depend_on_row_order_and_is_reused_from_the_store(tmp_path) -> None:  # noqa: ANN001
    fused, predictions, attributes = _audit()
    store = CheckpointStore(tmp_path)
    expected = discover_with_every_slicer(fused, predictions, attributes, SLICERS, seed=1, checkpoints=store)
    order = np.random.default_rng(0).permutation(fused.num_rows)
    shuffled = discover_with_every_slicer(
        fused.take(pa.array(order)),
        predictions.sample(frac=1.0, random_state=1),
        attributes.sample(frac=1.0, random_state=2),
        SLICERS,
        seed=1,
        checkpoints=store,
    )
    pd.testing.assert_frame_equal(shuffled[0], expected[0])
    pd.testing.assert_frame_equal(shuffled[1], expected[1])
    fresh = discover_with_every_slicer(fused, predictions, attributes, SLICERS, seed=1)
    pd.testing.assert_frame_equal(fresh[0], expected[0])


@pytest.mark.parametrize(
    ("slicers", "message"),
    [
        ([{"method": "domino"}, {"method": "domino"}], "twice"),
        ([{"method": "sliceline"}], "columns"),
        ([{"method": "magic"}], "unknown"),
        ([{"n_slices": 3}], "method"),
        ({"method": "domino"}, "list"),
        ([{"method": "sliceline", "columns": ["view"], "alpha": 2}], "alpha"),
    ],
)
def test_bad_compared_slicers_are_refused(slicers: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_compared_slicers(slicers)  # type: ignore[arg-type]
