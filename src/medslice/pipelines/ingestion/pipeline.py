"""The `ingestion` pipeline."""

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.ingestion import nodes


def create_pipeline(**kwargs: object) -> Pipeline:
    """Raw PhysioNet files -> ``images``, ``reports``, ``labels``, ``patients``, ``cohort``, ``ingestion_qa``.

    Pixels are never decoded here; only JPEG headers are read.
    """
    return Pipeline(
        [
            node(
                nodes.build_images_table,
                inputs=["mimic_cxr_jpg", "params:ingestion"],
                outputs=["images", "images_qa"],
                name="build_images_table",
            ),
            node(
                nodes.build_reports_table,
                inputs="mimic_cxr_reports",
                outputs=["reports", "reports_qa"],
                name="build_reports_table",
            ),
            node(
                nodes.build_labels_table,
                inputs="mimic_cxr_jpg",
                outputs=["labels", "labels_qa"],
                name="build_labels_table",
            ),
            node(
                nodes.build_patients_table,
                inputs=["mimic_iv_patients", "mimic_iv_admissions"],
                outputs=["patients", "patients_qa"],
                name="build_patients_table",
            ),
            node(
                nodes.build_cohort,
                inputs=["images", "reports", "labels", "patients", "params:ingestion.cohort"],
                outputs=["cohort", "cohort_qa"],
                name="build_cohort",
            ),
            node(
                nodes.merge_ingestion_qa,
                inputs=["images_qa", "reports_qa", "labels_qa", "patients_qa", "cohort_qa"],
                outputs="ingestion_qa",
                name="merge_ingestion_qa",
            ),
        ],
        tags=tags.INGESTION,
    )
