"""Attribute enrichment statistics against scipy and a hand Benjamini-Hochberg computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, fisher_exact

from medslice.explain import AttributeEnrichment, benjamini_hochberg


def test_benjamini_hochberg_by_hand_and_against_scipy() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.2])
    # Sorted: .01 .03 .04 .2 -> times m/rank: .04 .06 .0533 .2 -> running min from the top.
    expected = np.array([0.04, 0.04 / 0.75, 0.04 / 0.75, 0.2])
    np.testing.assert_allclose(benjamini_hochberg(p), expected)
    rng = np.random.default_rng(0)
    random_p = rng.uniform(size=50) ** 3
    np.testing.assert_allclose(benjamini_hochberg(random_p), false_discovery_control(random_p))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.5, 1.5])


def _cohort() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 80
    in_slice = np.zeros(n, dtype=bool)
    in_slice[:20] = True
    view = np.where(rng.uniform(size=n) < 0.15, "lateral", "frontal")
    view[:16] = "lateral"  # the slice is mostly lateral
    devices = rng.integers(0, 2, size=n).astype(float)
    devices[5] = np.nan  # an uncertain label stays a category of its own
    frame = pd.DataFrame({"view": view, "support_devices": devices, "gender": rng.choice(["F", "M"], n)})
    return frame, in_slice


def test_table_matches_fisher_exact_and_definitions() -> None:
    frame, in_slice = _cohort()
    table = AttributeEnrichment(alpha=0.05).explain(frame, in_slice)

    assert list(table.columns) == [
        "column", "value", "slice_prevalence", "reference_prevalence",
        "lift", "p_value", "q_value", "significant",
    ]  # fmt: skip
    assert set(table.loc[table["column"] == "support_devices", "value"]) == {"0", "1", "<missing>"}
    reference = ~in_slice
    for row in table.itertuples():
        values = frame[row.column].astype(object).where(frame[row.column].notna(), None)
        rendered = values.map(
            lambda v: "<missing>" if v is None else (str(int(v)) if isinstance(v, float) else v)
        )
        has = (rendered == row.value).to_numpy()
        a, b = int(has[in_slice].sum()), int(has[reference].sum())
        assert row.slice_prevalence == pytest.approx(a / in_slice.sum())
        assert row.reference_prevalence == pytest.approx(b / reference.sum())
        if row.reference_prevalence > 0:
            assert row.lift == pytest.approx(row.slice_prevalence / row.reference_prevalence)
        else:  # a value seen only in the slice
            assert row.lift == np.inf
        table_2x2 = [[a, in_slice.sum() - a], [b, reference.sum() - b]]
        assert row.p_value == pytest.approx(fisher_exact(table_2x2).pvalue)
    np.testing.assert_allclose(table["q_value"], false_discovery_control(table["p_value"].to_numpy()))
    assert (table["significant"] == (table["q_value"] <= 0.05)).all()
    # lateral and frontal tie on q (one is the other's complement): the over-represented one comes first
    top = table.iloc[0]
    assert (top["column"], top["value"]) == ("view", "lateral") and top["lift"] > 1
    for _, tied in table.groupby("q_value", sort=False):
        assert tied["lift"].is_monotonic_decreasing
    assert table.loc[(table["column"] == "view") & (table["value"] == "lateral"), "significant"].item()
    assert table["q_value"].is_monotonic_increasing


def test_reference_mask_excludes_slice_members_and_columns_are_checked() -> None:
    frame, in_slice = _cohort()
    reference = np.ones(len(frame), dtype=bool)  # overlapping on purpose
    with_overlap = AttributeEnrichment().explain(frame, in_slice, reference, columns=["view"])
    disjoint = AttributeEnrichment().explain(frame, in_slice, ~in_slice, columns=["view"])
    pd.testing.assert_frame_equal(with_overlap, disjoint)
    with pytest.raises(KeyError, match="race_group"):
        AttributeEnrichment().explain(frame, in_slice, columns=["race_group"])
    with pytest.raises(ValueError, match="alpha"):
        AttributeEnrichment(alpha=2).explain(frame, in_slice)


def test_values_equal_in_python_and_missing_values_render_alike() -> None:
    frame = pd.DataFrame({"flag": [1, 1.0, True, "1", 0, 0.0, False, None, np.nan, pd.NA, 2.5, "lateral"]})
    mask = np.zeros(len(frame), dtype=bool)
    mask[:4] = True
    table = AttributeEnrichment().explain(frame, mask)
    counts = table.set_index("value")["slice_prevalence"] * 4
    assert sorted(table["value"]) == ["0", "1", "2.5", "<missing>", "lateral"]
    assert counts["1"] == 4  # 1, 1.0, True and "1" are one category
    reference = table.set_index("value")["reference_prevalence"] * 8
    assert reference["0"] == 3 and reference["<missing>"] == 3 and reference["2.5"] == 1
