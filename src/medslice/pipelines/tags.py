"""Node tags: the stage each node belongs to, and the roles the pre-run checks look for.

Stage tags select stages (``kedro run --tags=embedding``). Role tags mark the nodes whose presence in a
run calls for a check before the first node (:mod:`medslice.pipelines.preflight`).
"""

# Stages
SYNTHETIC = "synthetic"
INGESTION = "ingestion"
EMBEDDING = "embedding"
FAILURE_INJECTION = "failure_injection"
SLICE_DISCOVERY = "slice_discovery"
EXPLANATION = "explanation"
EVALUATION = "evaluation"
REPORTING = "reporting"

# Roles
WRITES_SYNTHETIC_RELEASE = "writes_synthetic_release"
TRAINS_ENCODER = "trains_encoder"
DISCOVERS_SLICES = "discovers_slices"
VALIDATES_USER_PREDICTIONS = "validates_user_predictions"
