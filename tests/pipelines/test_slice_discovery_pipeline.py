"""The namespaced `slice_discovery` pipeline on constructed embeddings with a planted error slice."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from medslice.encoders.sharded import embeddings_to_arrow
from medslice.pipelines import slice_discovery
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.settings import VariantSettings

SLICER = {
    "method": "domino",
    "n_slices": 3,
    "n_mixture_components": 6,
    "n_pca_components": 8,
    "init_params": "kmeans",
}
VARIANTS = {"image": {"modalities": ["image"]}, "image_report": {"modalities": ["image", "report"]}}


def _inputs(seed: int = 0, n: int = 240) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    dicom_ids = [f"d{i:04d}" for i in range(n)]
    planted = np.arange(n) < 30
    image = rng.normal(size=(n, 16))
    image[planted] += 4.0  # the planted slice is a tight, separate cluster...
    report = rng.normal(size=(n // 2, 16))
    target = rng.integers(0, 2, n)
    target[planted] = 0
    pred = target.copy()
    pred[planted] = 1  # ...where every prediction is wrong
    predictions = pd.DataFrame(
        {
            "dicom_id": dicom_ids * 2,
            "bootstrap": np.repeat([0, 1], n),
            "target": np.tile(target, 2),
            "prob": np.tile(pred, 2).astype(float),
            "pred": np.tile(pred, 2),
            "in_slice": np.tile(planted, 2),
            "attribute": np.tile(planted, 2),
            "accepted": True,
        }
    )
    cohort = pd.DataFrame({"dicom_id": dicom_ids, "study_id": np.arange(n) // 2})
    return {
        "s1.predictions": predictions,
        "cohort": cohort,
        "image_embeddings": embeddings_to_arrow(dicom_ids, "dicom_id", image, {"model": "test"}),
        "report_embeddings": embeddings_to_arrow(list(range(n // 2)), "study_id", report, {"model": "test"}),
        "metadata_embeddings": embeddings_to_arrow(dicom_ids, "dicom_id", image, {"model": "test"}),
        "bootstrap_checkpoints": CheckpointStore(None),
        "params:slice_discovery.slicer": SLICER,
        "params:slice_discovery.pca_fit": "audit_set",
        "params:slice_discovery.compared_slicers": [{"method": "error_cluster", "n_slices": 2}],
        "params:seed": 3,
        **{f"params:slice_discovery.variants.{k}": VariantSettings.from_dict(v) for k, v in VARIANTS.items()},
    }


def _catalog(inputs: dict[str, object]) -> DataCatalog:
    return DataCatalog({name: MemoryDataset(value) for name, value in inputs.items()})


@pytest.fixture(scope="module")
def pipeline():  # noqa: ANN201
    return slice_discovery.create_pipeline(["s1"], list(VARIANTS))


def test_nodes_are_namespaced_per_scenario_and_variant(pipeline) -> None:  # noqa: ANN001
    names = {n.name for n in pipeline.nodes}
    assert names == {
        "s1.image.fuse_modalities",
        "s1.image.discover_slices",
        "s1.image_report.fuse_modalities",
        "s1.image_report.discover_slices",
        "s1.image.compare_slicers",
        "s1.image_report.compare_slicers",
    }
    assert {"s1.image_report.slices", "s1.image_report.compared_slices"} <= pipeline.outputs()
    assert "s1.predictions" in pipeline.inputs()


def test_planted_slice_is_found_in_every_variant_and_bootstrap(pipeline) -> None:  # noqa: ANN001
    catalog = _catalog(_inputs())
    SequentialRunner().run(pipeline, catalog)
    for variant in VARIANTS:
        slices = catalog.load(f"s1.{variant}.slices")
        summary = catalog.load(f"s1.{variant}.slice_summary")
        assert set(slices["bootstrap"]) == {0, 1}
        for bootstrap, part in slices.groupby("bootstrap"):
            planted = part["dicom_id"].isin([f"d{i:04d}" for i in range(30)]).to_numpy()
            columns = part.filter(like="slice_").to_numpy()
            best = np.nanargmax([np.nan_to_num(columns[planted, k]).mean() for k in range(columns.shape[1])])
            top10 = np.argsort(-np.nan_to_num(columns[:, best]))[:10]
            assert planted[top10].all(), (variant, bootstrap)
        assert {"size", "error_rate", "error_type", "accuracy_gap", "majority_class"} <= set(summary.columns)


def test_single_node_rerun_from_the_catalog_reproduces_its_output(pipeline, tmp_path, caplog) -> None:  # noqa: ANN001
    store = CheckpointStore(tmp_path / "checkpoints")
    catalog = _catalog({**_inputs(), "bootstrap_checkpoints": store})
    runner = SequentialRunner()
    runner.run(pipeline.only_nodes("s1.image_report.fuse_modalities"), catalog)
    fused = catalog.load("s1.image_report.fused_embeddings")
    runner.run(pipeline.only_nodes("s1.image_report.discover_slices"), catalog)
    first = catalog.load("s1.image_report.slices")
    # As `kedro run --nodes=s1.image_report.discover_slices` does: every input comes from the catalog.
    rerun = DataCatalog(
        {
            "s1.image_report.fused_embeddings": MemoryDataset(fused),
            "s1.predictions": MemoryDataset(catalog.load("s1.predictions")),
            "params:slice_discovery.slicer": MemoryDataset(SLICER),
            "params:seed": MemoryDataset(3),
            "bootstrap_checkpoints": MemoryDataset(store),
        }
    )
    with caplog.at_level(logging.INFO, logger="medslice.runner.reuse"):
        runner.run(pipeline.only_nodes("s1.image_report.discover_slices"), rerun)
    pd.testing.assert_frame_equal(rerun.load("s1.image_report.slices"), first)
    # Both bootstraps came back from the store, not from a second fit.
    assert "discover_slices: reusing 2 of 2 finished units" in caplog.text


def test_a_changed_bootstrap_is_recomputed_and_the_others_reused(pipeline, tmp_path, caplog) -> None:  # noqa: ANN001
    """Units are keyed by their content: one bootstrap's new predictions redo that bootstrap only."""
    store = CheckpointStore(tmp_path / "checkpoints")
    inputs = {**_inputs(), "bootstrap_checkpoints": store}
    only = pipeline.only_nodes("s1.image_report.fuse_modalities", "s1.image_report.discover_slices")
    SequentialRunner().run(only, _catalog(inputs))
    changed = inputs["s1.predictions"].copy()
    first = changed["bootstrap"] == 0
    changed.loc[first, "pred"] = 1 - changed.loc[first, "pred"]
    catalog = _catalog({**inputs, "s1.predictions": changed})
    with caplog.at_level(logging.INFO, logger="medslice.runner.reuse"):
        SequentialRunner().run(only, catalog)
    # Fusion does not read the predictions' labels: both bootstraps are reused; slicing refits one.
    assert "fuse_modalities: reusing 2 of 2 finished units" in caplog.text
    assert "discover_slices: reusing 1 of 2 finished units" in caplog.text
    fresh = _catalog({**inputs, "s1.predictions": changed, "bootstrap_checkpoints": CheckpointStore(None)})
    SequentialRunner().run(only, fresh)
    pd.testing.assert_frame_equal(
        catalog.load("s1.image_report.slices"), fresh.load("s1.image_report.slices")
    )


def test_nan_embeddings_are_refused_naming_the_modality(pipeline) -> None:  # noqa: ANN001
    inputs = _inputs()
    table: pa.Table = inputs["image_embeddings"]
    broken = np.ones((len(table), 16))
    broken[0, 0] = np.nan
    inputs["image_embeddings"] = embeddings_to_arrow(table["dicom_id"].to_pylist(), "dicom_id", broken, {})
    with pytest.raises(ValueError, match="image"):
        SequentialRunner().run(pipeline.only_nodes("s1.image.fuse_modalities"), _catalog(inputs))
