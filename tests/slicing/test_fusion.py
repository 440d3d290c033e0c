"""Modality fusion, study-to-image broadcasting and variant names."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from medslice.slicing import VARIANTS, fuse_modalities, parse_variant, variant_name
from medslice.slicing.fusion import broadcast_study_embeddings


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
    assert len(VARIANTS) == 7
    assert parse_variant("image_report_metadata") == ["image", "report", "metadata"]
    assert parse_variant("report+metadata") == ["report", "metadata"]
    for name, modalities in VARIANTS.items():
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
