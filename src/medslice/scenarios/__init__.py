"""Failure injection: declarative scenarios, samplers, patient-disjoint sets and bootstraps.

A scenario is data (``ScenarioSpec.from_dict``); ``draw_sets`` draws one bootstrap's training,
validation and audit sets; ``run_scenario`` trains the classifier under audit per bootstrap, with
the settings ``RunConfig`` validates, and keeps draws whose audit accuracy gap shows the injected
failure; ``validate_predictions`` admits a user's own predictions table instead.
"""

from medslice.scenarios.bootstrap import (
    PREDICTION_COLUMNS,
    RUN_KEYS,
    RunConfig,
    RunConfigError,
    ScenarioRun,
    accuracy_gap,
    run_scenario,
)
from medslice.scenarios.draw import SET_COLUMNS, draw_sets
from medslice.scenarios.expressions import ExpressionError
from medslice.scenarios.mechanisms import (
    PoolTooSmallError,
    sample_correlated,
    sample_rare,
    sample_with_label_noise,
)
from medslice.scenarios.resize import resize_scenario
from medslice.scenarios.spec import (
    CorrelationMechanism,
    LabelNoiseMechanism,
    RareMechanism,
    ScenarioError,
    ScenarioSpec,
    load_scenarios,
)
from medslice.scenarios.user_predictions import (
    PredictionsError,
    check_predictions_table,
    validate_predictions,
)

__all__ = [
    "PREDICTION_COLUMNS",
    "RUN_KEYS",
    "SET_COLUMNS",
    "CorrelationMechanism",
    "ExpressionError",
    "LabelNoiseMechanism",
    "PoolTooSmallError",
    "PredictionsError",
    "RareMechanism",
    "RunConfig",
    "RunConfigError",
    "ScenarioError",
    "ScenarioRun",
    "ScenarioSpec",
    "accuracy_gap",
    "check_predictions_table",
    "draw_sets",
    "load_scenarios",
    "resize_scenario",
    "run_scenario",
    "sample_correlated",
    "sample_rare",
    "sample_with_label_noise",
    "validate_predictions",
]
