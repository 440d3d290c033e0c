"""RuleSlicer: SliceLine's metadata rules as slices, on audits whose failing rule is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.slicing.base import SliceDiscoveryWarning
from medslice.slicing.rules import RuleSlicer


def _audit(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Lateral women are misclassified 80% of the time, everyone else 10%."""
    rng = np.random.default_rng(seed)
    attributes = pd.DataFrame(
        {
            "view": rng.choice(["frontal", "lateral"], n, p=[0.7, 0.3]),
            "gender": rng.choice(["F", "M"], n),
            "age_group": rng.choice(["<50", "50-79", "80+"], n),
        }
    )
    targets = rng.integers(0, 2, n)
    failing = (attributes["view"] == "lateral") & (attributes["gender"] == "F")
    wrong = rng.random(n) < np.where(failing, 0.8, 0.1)
    return attributes, targets, np.where(wrong, 1 - targets, targets)


def test_the_planted_rule_is_found_first_and_its_members_are_its_rows() -> None:
    attributes, targets, preds = _audit()
    slicer = RuleSlicer(n_slices=3, max_l=2, min_sup=10).fit(attributes, targets, preds)
    assert slicer.rules_[0] == {"view": "lateral", "gender": "F"}
    assert slicer.rule_texts_[0] == "view = lateral and gender = F"
    membership = slicer.predict_proba(attributes)
    assert membership.shape == (300, slicer.n_slices_) and slicer.n_slices_ <= 3
    expected = ((attributes["view"] == "lateral") & (attributes["gender"] == "F")).to_numpy()
    np.testing.assert_array_equal(membership[:, 0] > 0.5, expected)
    assert slicer.slice_statistics_[0]["slice_size"] == expected.sum()
    # The same inputs give the same rules: SliceLine has no randomness.
    assert RuleSlicer(n_slices=3, min_sup=10).fit(attributes, targets, preds).rules_ == slicer.rules_


def test_missing_values_are_a_value_of_their_own() -> None:
    attributes, targets, preds = _audit(1)
    attributes.loc[attributes["view"] == "lateral", "view"] = None
    slicer = RuleSlicer(n_slices=1, min_sup=10).fit(attributes, targets, preds)
    assert slicer.rules_[0].get("view") == "missing"


def test_no_error_means_no_rule_and_a_recorded_warning() -> None:
    attributes, targets, _ = _audit(2)
    with pytest.warns(SliceDiscoveryWarning, match="no misclassified case"):
        slicer = RuleSlicer().fit(attributes, targets, targets)
    assert slicer.n_slices_ == 0 and slicer.predict_proba(attributes).shape == (300, 0)
    assert slicer.warnings_


@pytest.mark.parametrize("settings", [{"alpha": 0.0}, {"alpha": 1.5}, {"max_l": 0}, {"n_slices": 0}])
def test_bad_settings_are_refused(settings: dict) -> None:
    attributes, targets, preds = _audit()
    with pytest.raises(ValueError):
        RuleSlicer(**settings).fit(attributes, targets, preds)
