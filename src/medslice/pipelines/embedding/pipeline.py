"""The `embedding` pipeline."""

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.embedding import nodes


def create_pipeline(**kwargs: object) -> Pipeline:
    """``encoder`` -> ``image_embeddings``, ``report_embeddings``, ``metadata_embeddings``, quality report."""
    return Pipeline(
        [
            node(
                nodes.train_encoder,
                inputs=["cohort", "mimic_cxr_jpg", "embedding_shards", "params:embedding", "params:seed"],
                outputs="encoder",
                name="train_encoder",
                tags=tags.TRAINS_ENCODER,
            ),
            node(
                nodes.embed_images,
                inputs=["cohort", "mimic_cxr_jpg", "encoder", "embedding_shards", "params:embedding"],
                outputs=["image_embeddings", "image_embedding_qa"],
                name="embed_images",
            ),
            node(
                nodes.embed_reports,
                inputs=["cohort", "encoder", "embedding_shards", "params:embedding"],
                outputs=["report_embeddings", "report_embedding_qa"],
                name="embed_reports",
            ),
            node(
                nodes.embed_metadata,
                inputs=["cohort", "encoder", "embedding_shards", "params:embedding"],
                outputs=["metadata_embeddings", "metadata_embedding_qa"],
                name="embed_metadata",
            ),
            node(
                nodes.evaluate_encoder_quality,
                inputs=["cohort", "image_embeddings", "report_embeddings"],
                outputs="encoder_quality",
                name="evaluate_encoder_quality",
            ),
        ],
        tags=tags.EMBEDDING,
    )
