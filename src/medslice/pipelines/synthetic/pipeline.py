"""The `synthetic` pipeline."""

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.synthetic.nodes import generate_synthetic_release


def create_pipeline(**kwargs: object) -> Pipeline:
    """One node that writes a whole release in the exact PhysioNet layout."""
    return Pipeline(
        [
            node(
                generate_synthetic_release,
                inputs=["params:synthetic", "params:seed"],
                outputs=[
                    "mimic_cxr_jpg",
                    "mimic_cxr_reports",
                    "mimic_iv_patients",
                    "mimic_iv_admissions",
                    "synthetic_ground_truth",
                ],
                name="generate_synthetic_release",
                tags=tags.WRITES_SYNTHETIC_RELEASE,
            )
        ],
        tags=tags.SYNTHETIC,
    )
