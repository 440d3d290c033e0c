"""Modality fusion, study-to-image broadcasting and variant names."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from medslice.pipelines.declared import PROJECT_CONF, file_parameters
from medslice.slicing import fuse_modalities, parse_variant, variant_name
from medslice.slicing.fusion import broadcast_study_embeddings
from medslice.slicing.settings import VariantSettings


@pytest.fixture
def modalities():
    rng = np.random.default_rng(0)
    return {
        "image": rng.normal(size=(50, 6)) * 5.0,
        "report": rng.normal(size=(50, 4)) + 2.0,
    }


def test_fusion_normalises_weights_and_keeps_geometry(modalities):
    fused = fuse_modalities(modalities, weights={"report": 2.0}, max_components=512)
    assert fused.shape == (50, 10) and fused.dtype == np.float32
    # A PCA keeping every dimension is a rotation: distances equal those of the weighted blocks.
    image = modalities["image"] / np.linalg.norm(modalities["image"], axis=1, keepdims=True)
    report = modalities["report"] / np.linalg.norm(modalities["report"], axis=1, keepdims=True)
    expected = np.hstack([image, 2.0 * report])
    np.testing.assert_allclose(pdist(fused), pdist(expected), atol=1e-5)
    unweighted = fuse_modalities(modalities)
    assert not np.allclose(pdist(unweighted), pdist(fused), atol=1e-3)


def test_fusion_pca_dimensions(modalities):
    assert fuse_modalities(modalities, max_components=3).shape == (50, 3)
    few = {name: block[:7] for name, block in modalities.items()}
    assert fuse_modalities(few).shape == (7, 7)  # capped by the number of samples
    first = fuse_modalities(modalities, max_components=3, random_state=0)
    np.testing.assert_array_equal(first, fuse_modalities(modalities, max_components=3, random_state=0))
    # PCA components are ordered by explained variance.
    variances = first.var(axis=0)
    assert np.all(np.diff(variances) <= 1e-6)


def test_fusion_errors_name_the_modality(modalities):
    broken = dict(modalities)
    broken["report"] = modalities["report"].copy()
    broken["report"][[1, 4], 0] = np.nan
    with pytest.raises(ValueError, match="modality 'report'.*contains 2 NaN or infinite values"):
        fuse_modalities(broken)
    broken["report"] = modalities["report"].copy()
    broken["report"][3] = 0.0
    with pytest.raises(ValueError, match="modality 'report': 1 rows have zero norm"):
        fuse_modalities(broken)
    with pytest.raises(ValueError, match="modality 'report' has 49 rows but 'image' has 50"):
        fuse_modalities({"image": modalities["image"], "report": modalities["report"][:49]})
    with pytest.raises(ValueError, match="absent from embeddings"):
        fuse_modalities(modalities, weights={"metadata": 1.0})
    with pytest.raises(ValueError, match="weight of modality 'image' must be a finite number > 0"):
        fuse_modalities(modalities, weights={"image": 0.0})


def test_broadcast_study_embeddings():
    table = np.arange(6.0).reshape(3, 2)
    images = broadcast_study_embeddings([52, 50, 52, 51], [50, 51, 52], table)
    np.testing.assert_array_equal(images, table[[2, 0, 2, 1]])
    with pytest.raises(ValueError, match="2 studies have no embedding: 53, 54"):
        broadcast_study_embeddings([50, 53, 54, 53], [50, 51, 52], table)
    with pytest.raises(ValueError, match="duplicated ids"):
        broadcast_study_embeddings([50], [50, 50, 52], table)


def test_variants():
    # The seven variants are declared in the parameters only; each is named after its modalities.
    declared = file_parameters(str(PROJECT_CONF), "local")["slice_discovery"]["variants"]
    assert len(declared) == 7
    assert parse_variant("image_report_metadata") == ["image", "report", "metadata"]
    assert parse_variant("report+metadata") == ["report", "metadata"]
    for name, block in declared.items():
        modalities = VariantSettings.from_dict(block).modalities
        assert parse_variant(name) == list(modalities)
        assert variant_name(list(reversed(modalities))) == name
    with pytest.raises(ValueError, match=r"unknown modalities \['ecg'\]"):
        parse_variant("image_ecg")
    with pytest.raises(ValueError, match="repeats a modality"):
        parse_variant("image_image")


def test_fusion_refuses_rows_it_cannot_project() -> None:
    row = np.array([[0.2, 0.4, 0.1]])
    with pytest.raises(ValueError, match="at least two distinct rows"):
        fuse_modalities({"image": row})
    with pytest.raises(ValueError, match="at least two distinct rows"):
        fuse_modalities({"image": np.repeat(row, 5, axis=0)})


def test_a_pooled_pca_is_fitted_once_on_every_image_and_projects_each_bootstrap() -> None:
    """The authors' code: one PCA on the whole pool, each bootstrap projected with it."""
    import pandas as pd
    from sklearn.decomposition import PCA

    from medslice.slicing.per_bootstrap import fuse_bootstraps

    rng = np.random.default_rng(3)
    n_images, width = 40, 12
    image = rng.normal(size=(n_images, width))
    ids = np.array([f"d{i:02d}" for i in range(n_images)])
    # Two bootstraps of 25 images each, overlapping in 10: each image enters the pooled fit once.
    rows = np.r_[np.arange(0, 25), np.arange(15, 40)]
    predictions = pd.DataFrame({"dicom_id": ids[rows], "bootstrap": np.repeat([0, 1], 25)})
    table = fuse_bootstraps(predictions, {"image": image[rows]}, max_components=5, pca_fit="pooled")
    normalised = image / np.linalg.norm(image, axis=1, keepdims=True)
    reference = PCA(n_components=5, svd_solver="covariance_eigh", random_state=0).fit(normalised)
    fused = np.stack(table["embedding"].to_numpy(zero_copy_only=False))
    expected = reference.transform(normalised[rows]).astype(np.float32)
    np.testing.assert_allclose(fused, expected, atol=1e-5)
    # Every bootstrap shares the projection: an image in both has the same fused row.
    frame = table.to_pandas()
    shared = frame[frame["dicom_id"] == "d20"]["embedding"].tolist()
    np.testing.assert_array_equal(shared[0], shared[1])
    per_set = fuse_bootstraps(predictions, {"image": image[rows]}, max_components=5)
    assert not np.allclose(np.stack(per_set["embedding"].to_numpy(zero_copy_only=False)), fused)
    with pytest.raises(ValueError, match="pca_fit must be one of"):
        fuse_bootstraps(predictions, {"image": image[rows]}, pca_fit="whole")


def test_a_variant_needs_known_modalities():
    with pytest.raises(ValueError, match="non-empty `modalities`"):
        VariantSettings.from_dict({"modalities": []})
    with pytest.raises(ValueError, match=r"unknown modalities \['ecg'\]"):
        VariantSettings.from_dict({"modalities": ["image", "ecg"]})
    with pytest.raises(ValueError, match=r"did you mean slice_discovery\.variants\.<variant>\.modalities"):
        VariantSettings.from_dict({"modality": ["image"]})
