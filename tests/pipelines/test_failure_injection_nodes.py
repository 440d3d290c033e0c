"""The failure_injection node reads `failure_injection.run` strictly: typos and non-numbers name the key."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from medslice.classifiers import ClassifierConfigError
from medslice.pipelines.declared import shipped_scenarios
from medslice.pipelines.failure_injection.nodes import inject_failures
from medslice.runner.checkpoints import CheckpointStore
from medslice.scenarios import RunConfigError

RUN = {"n_classifiers": 2, "max_retries": 0, "classifier": {"name": "small_cnn", "image_size": 64}}


def _inject(run: dict[str, Any]) -> None:
    # The run block is checked before the cohort or the release is touched, so neither is needed.
    inject_failures(
        pd.DataFrame(),
        None,
        CheckpointStore(None),
        shipped_scenarios()["spurious_correlation"],
        run,
        0,
        scenario_name="spurious_correlation",
    )


def test_a_misspelt_run_key_is_refused_not_ignored() -> None:
    # `--params "failure_injection.run.n_classifier=5"`
    with pytest.raises(
        RunConfigError, match=r"unknown key\(s\) \['n_classifier'\].*allowed: \['n_classifiers'"
    ):
        _inject({**RUN, "n_classifier": 5})


def test_a_non_numeric_run_value_names_the_key() -> None:
    # `--params "failure_injection.run.n_classifiers=two"` once raised a bare int() ValueError.
    with pytest.raises(
        RunConfigError, match=r"^failure_injection\.run\.n_classifiers must be an integer >= 1, got 'two'$"
    ):
        _inject({**RUN, "n_classifiers": "two"})


def test_a_misspelt_classifier_key_is_named_before_the_model_is_built() -> None:
    # `--params "failure_injection.run.classifier.max_epoch=5"` once reached SmallCNN.__init__().
    with pytest.raises(ClassifierConfigError, match=r"failure_injection\.run\.classifier.*\['max_epoch'\]"):
        _inject({**RUN, "classifier": {**RUN["classifier"], "max_epoch": 5}})
