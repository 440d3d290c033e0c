"""The `failure_injection` pipeline: per scenario, inject a failure, train, predict on the audit set."""

from medslice.pipelines.failure_injection.pipeline import create_pipeline, create_user_predictions_pipeline

__all__ = ["create_pipeline", "create_user_predictions_pipeline"]
