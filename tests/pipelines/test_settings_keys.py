"""Misspelt settings and --params are refused, naming the closest known key."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.pipelines.evaluation.nodes import evaluate_variant
from medslice.pipelines.settings_keys import UnknownSettingError, check_runtime_parameters
from medslice.runner.checkpoints import CheckpointStore
from medslice.typed_settings import SettingsValueError


def test_the_evaluation_node_refuses_a_misspelt_setting() -> None:
    empty = pd.DataFrame()
    with pytest.raises(SettingsValueError, match="did you mean evaluation.top_k"):
        evaluate_variant(
            empty, empty, empty, CheckpointStore(None), {"topk": 3}, {}, scenario="s", variant="image"
        )


FILES = {
    "seed": 42,
    "slice_discovery": {"slicer": {"n_slices": 5}, "variants": {}},
    "explanation": {"top_k": 5},
}


def test_a_runtime_parameter_no_file_declares_is_refused_with_the_closest_name() -> None:
    expected = r"--params sead: no parameter file declares 'sead' \(did you mean 'seed'\?\)"
    with pytest.raises(UnknownSettingError, match=expected):
        check_runtime_parameters({"sead": 10}, FILES)


def test_a_second_level_key_the_files_lack_gets_a_note_not_an_error() -> None:
    notes = check_runtime_parameters({"slice_discovery": {"slicers": {"n_slices": 10}}}, FILES)
    assert notes == [
        "--params slice_discovery.slicers.n_slices: the parameter files declare no slice_discovery.slicers "
        "(did you mean 'slicer'?); it takes effect only if a node reads it"
    ]
    # declared paths, and new keys below a declared block (a slicer default set in code), pass silently
    assert (
        check_runtime_parameters({"seed": 3, "slice_discovery": {"slicer": {"reg_covar": 0.01}}}, FILES) == []
    )
