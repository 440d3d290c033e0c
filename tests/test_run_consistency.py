"""Artifacts of different runs are refused where they meet: slicing, explanation, evaluation, the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.evaluation.audit import evaluate_slices
from medslice.explain.audit import explain_slices
from medslice.run_consistency import RunMismatchError, check_same_audit_rows


def _predictions(ids: list[str], bootstraps: list[int]) -> pd.DataFrame:
    rows = [(b, d) for b in bootstraps for d in ids]
    n = len(rows)
    return pd.DataFrame(
        {
            "bootstrap": [b for b, _ in rows],
            "dicom_id": [d for _, d in rows],
            "target": np.arange(n) % 2,
            "pred": (np.arange(n) // 2) % 2,
            "in_slice": np.arange(n) % 3 == 0,
            "attribute": np.arange(n) % 3 == 0,
            "accepted": True,
        }
    )


def _slices(predictions: pd.DataFrame) -> pd.DataFrame:
    membership = np.where(predictions["in_slice"], 0.9, 0.1)
    return predictions[["dicom_id", "bootstrap"]].assign(slice_0=membership)


def test_matching_rows_pass_in_any_order() -> None:
    predictions = _predictions(["a", "b", "c"], [0, 1])
    check_same_audit_rows(_slices(predictions).iloc[::-1], predictions, name="x", rerun="discover_slices")


def test_rows_of_another_draw_are_named_both_ways() -> None:
    old = _predictions(["a", "b", "c"], [0, 1])
    redrawn = _predictions(["a", "b", "d"], [0, 1, 2])
    with pytest.raises(RunMismatchError) as raised:
        check_same_audit_rows(_slices(old), redrawn, name="slice-membership", rerun="discover_slices")
    message = str(raised.value)
    assert "2 slice-membership rows (bootstrap, dicom_id) have no prediction" in message
    assert "5 predictions have no slice-membership row" in message  # (0, d), (1, d) and bootstrap 2
    assert "--from-nodes=<scenario>.<variant>.discover_slices" in message and "--load-versions" in message


def test_evaluation_refuses_slices_of_another_run_instead_of_scoring_them() -> None:
    old = _predictions([f"d{i}" for i in range(30)], [0, 1])
    redrawn = _predictions([f"d{i}" for i in range(5, 35)], [0, 1])
    explanations = pd.DataFrame(columns=["bootstrap", "slice", "kind", "source", "term", "rank"])
    kwargs = {"scenario": "s", "variant": "image"}
    assert len(evaluate_slices(_slices(old), old, explanations, **kwargs))  # the same run is scored
    with pytest.raises(RunMismatchError, match="come from different runs"):
        evaluate_slices(_slices(old), redrawn, explanations, **kwargs)
    # a bootstrap the slices never saw is refused too, rather than scored as zeros
    with pytest.raises(RunMismatchError, match="30 predictions have no slice-membership row"):
        evaluate_slices(
            _slices(old), _predictions([f"d{i}" for i in range(30)], [0, 1, 2]), explanations, **kwargs
        )


def test_explanation_refuses_slices_of_another_run() -> None:
    old = _predictions([f"d{i}" for i in range(12)], [0])
    redrawn = _predictions([f"d{i}" for i in range(2, 14)], [0])
    texts = {"report": pd.Series("text", index=[f"d{i}" for i in range(14)])}
    attributes = pd.DataFrame({"view": "frontal"}, index=[f"d{i}" for i in range(14)])
    with pytest.raises(RunMismatchError, match="2 slice-membership rows .* have no prediction"):
        explain_slices(_slices(old), redrawn, attributes, texts)
