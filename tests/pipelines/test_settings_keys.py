"""Misspelt keys in the explanation and evaluation settings are refused, naming the closest known key."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.pipelines.evaluation.nodes import evaluate_variant
from medslice.pipelines.settings_keys import UnknownSettingError, check_known_keys


def test_unknown_keys_are_named_with_the_closest_known_one() -> None:
    check_known_keys({"top_k": 3}, ("top_k", "synonyms"), "evaluation")
    check_known_keys(None, ("top_k",), "evaluation")
    with pytest.raises(UnknownSettingError, match=r"\['topk'\] \(did you mean evaluation.top_k\?\)"):
        check_known_keys({"topk": 3}, ("top_k", "synonyms"), "evaluation")


def test_the_evaluation_node_refuses_a_misspelt_setting() -> None:
    empty = pd.DataFrame()
    with pytest.raises(UnknownSettingError, match="evaluation.top_k"):
        evaluate_variant(empty, empty, empty, {"topk": 3}, {}, scenario="s", variant="image")
