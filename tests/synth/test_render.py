"""Pixels: deterministic, parallel-safe, sized as the metadata says, and carrying the findings."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import ndimage

from medslice.synth import ImageSpec, SyntheticConfig, SyntheticRelease, generate_release, render_image
from tests.synth.phantoms import COLUMNS, RELEASE_TABLES, ROWS, box, phantom_spec


def spec(**changes: object) -> ImageSpec:
    """An upright PA phantom of a 50-year-old man (:func:`phantom_spec`) with ``changes``."""
    return phantom_spec(**changes)


def heart_width(image: np.ndarray) -> float:
    """Width (in image heights) of the bright silhouette around the midline at the level of the heart."""
    profile = box(image, -0.3, 0.3, 0.56, 0.62).mean(axis=0)
    threshold = (np.percentile(profile, 10) + np.percentile(profile, 90)) / 2
    bright = profile > threshold
    middle = len(profile) // 2
    left = middle
    while left > 0 and bright[left - 1]:
        left -= 1
    right = middle
    while right < len(profile) - 1 and bright[right + 1]:
        right += 1
    return (right - left + 1) / image.shape[0]


def fine_texture(image: np.ndarray) -> np.ndarray:
    """Thin-line texture: what a 5-pixel median filter removes (vessels and parenchyma, not broad ribs)."""
    pixels = image.astype(float)
    return np.abs(pixels - ndimage.median_filter(pixels, 5))


def test_same_seed_same_tables_and_pixels_different_seed_differs(tiny_config: SyntheticConfig) -> None:
    first, second = generate_release(tiny_config, seed=11), generate_release(tiny_config, seed=11)
    other = generate_release(tiny_config, seed=12)
    for name in (*RELEASE_TABLES, "ground_truth"):
        assert getattr(first, name).equals(getattr(second, name)), name
        assert not getattr(first, name).equals(getattr(other, name)), name
    pixels_first = dict(first.iter_images())
    pixels_second = dict(second.iter_images())
    assert all(np.array_equal(pixels_first[k], pixels_second[k]) for k in pixels_first)
    assert not np.array_equal(
        next(iter(pixels_first.values())), next(iter(dict(other.iter_images()).values()))
    )


def test_images_match_the_metadata_and_render_order_free(tiny_release: SyntheticRelease) -> None:
    images = list(tiny_release.iter_images())
    metadata = tiny_release.metadata
    assert [dicom_id for dicom_id, _ in images] == metadata["dicom_id"].tolist()
    for (_, pixels), rows, columns in zip(images, metadata["Rows"], metadata["Columns"], strict=True):
        assert pixels.dtype == np.uint8 and pixels.shape == (rows, columns)
        assert 20 < pixels.mean() < 235 and pixels.std() > 20
    # Rendering one image alone, in reverse order, gives the same bytes.
    last_id, last_pixels = images[-1]
    assert np.array_equal(tiny_release.render(last_id), last_pixels)
    with pytest.raises(KeyError, match="not in this release"):
        tiny_release.render("00000000-00000000-00000000-00000000-00000000")


def test_parallel_rendering_yields_exactly_the_serial_output(tiny_release: SyntheticRelease) -> None:
    serial = list(tiny_release.iter_images(n_jobs=1))
    parallel = list(tiny_release.iter_images(n_jobs=2))
    assert [d for d, _ in parallel] == [d for d, _ in serial]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(serial, parallel, strict=True))
    with pytest.raises(ValueError, match="n_jobs"):
        next(tiny_release.iter_images(n_jobs=0))


def test_release_pickles_with_its_renderer(tiny_release: SyntheticRelease) -> None:
    copy = pickle.loads(pickle.dumps(tiny_release))
    dicom_id = tiny_release.metadata["dicom_id"].iloc[0]
    assert np.array_equal(copy.render(dicom_id), tiny_release.render(dicom_id))


def test_full_resolution_renders_real_detector_sizes() -> None:
    release = generate_release({"n_subjects": 1, "full_resolution": True}, seed=2)
    assert set(release.metadata["Rows"]) <= {3056, 3050, 2544, 2500}
    row = release.metadata.iloc[0]
    assert release.render(row["dicom_id"]).shape == (row["Rows"], row["Columns"])


def test_cardiomegaly_widens_the_heart_on_frontal_and_lateral_views() -> None:
    for index in range(3):
        normal = heart_width(render_image(spec(image_index=index, cardiothoracic_ratio=0.42), 0))
        enlarged = heart_width(render_image(spec(image_index=index, cardiothoracic_ratio=0.62), 0))
        assert enlarged > 1.3 * normal
        # The silhouette width tracks the cardiothoracic ratio (thorax inner width ~0.66 image heights).
        assert 0.35 < normal / 0.656 < 0.5 < enlarged / 0.656 < 0.75
    lateral = {"view": "lateral", "view_position": "LATERAL"}
    normal_lateral = render_image(spec(**lateral, cardiothoracic_ratio=0.42), 0)
    enlarged_lateral = render_image(spec(**lateral, cardiothoracic_ratio=0.62), 0)
    # The anterior heart shadow grows up into the retrosternal space.
    assert (
        box(enlarged_lateral, -0.22, -0.05, 0.42, 0.5).mean()
        > box(normal_lateral, -0.22, -0.05, 0.42, 0.5).mean() + 15
    )


def test_pneumothorax_removes_lung_markings_beyond_the_pleural_line() -> None:
    for index in range(3):
        normal = render_image(spec(image_index=index), 0)
        collapsed = render_image(
            spec(image_index=index, pneumothorax_severity="moderate", pneumothorax_side="right"), 0
        )
        # The pneumothorax space: where the image got darker (more air), in the upper right hemithorax.
        gap = ndimage.binary_erosion((normal.astype(int) - collapsed.astype(int)) > 4, iterations=2)
        gap[int(0.45 * ROWS) :] = False
        assert gap.sum() > 300
        assert gap[:, : COLUMNS // 2].sum() > 0.95 * gap.sum()  # patient right = image left
        mirror = gap[:, ::-1]
        texture = fine_texture(collapsed)
        assert texture[gap].mean() < 0.92 * fine_texture(normal)[gap].mean()
        assert texture[gap].mean() < 0.92 * texture[mirror].mean()


def test_devices_add_bright_thin_structures() -> None:
    devices = {
        "endotracheal_tube": True,
        "ett_tip_cm": 4.0,
        "central_line": True,
        "central_line_type": "right_ij",
        "pacemaker": True,
        "pacemaker_leads": 2,
        "chest_tube": True,
        "chest_tube_side": "left",
    }
    for index in range(3):
        plain = render_image(spec(image_index=index), 0).astype(float)
        with_devices = render_image(spec(image_index=index, **devices), 0).astype(float)
        thin_plain = (plain - ndimage.uniform_filter(plain, 9) > 60).sum()
        thin_devices = (with_devices - ndimage.uniform_filter(with_devices, 9) > 60).sum()
        assert thin_devices > 20 * max(thin_plain, 1)
    # Each device alone shows where it belongs: the ETT in the trachea above the carina.
    ett = render_image(spec(endotracheal_tube=True, ett_tip_cm=4.0), 0).astype(float)
    plain = render_image(spec(), 0).astype(float)
    assert (box(ett, -0.03, 0.02, 0.05, 0.2) - box(plain, -0.03, 0.02, 0.05, 0.2)).max() > 30
    assert (box(ett, -0.03, 0.02, 0.05, 0.2) >= 250).sum() > 10
    assert np.abs(box(ett, -0.03, 0.02, 0.3, 0.5) - box(plain, -0.03, 0.02, 0.3, 0.5)).max() == 0


def test_laterals_differ_from_frontals() -> None:
    for index in range(2):
        frontal = render_image(spec(image_index=index), 0).astype(float)
        lateral = render_image(spec(image_index=index, view="lateral", view_position="LATERAL"), 0).astype(
            float
        )
        # A frontal chest is nearly left-right symmetric; a lateral one is not (heart front, spine back).
        assert np.abs(lateral - lateral[:, ::-1]).mean() > 3 * np.abs(frontal - frontal[:, ::-1]).mean()
        spine = box(lateral, 0.24, 0.30, 0.3, 0.6).mean()
        retrosternal = box(lateral, -0.2, -0.08, 0.36, 0.44).mean()
        assert spine > retrosternal + 15


def test_effusion_blunts_the_costophrenic_angle_or_layers_when_supine() -> None:
    angle = (0.18, 0.30, 0.60, 0.68)  # patient left costophrenic region
    for index in range(2):
        erect = render_image(spec(image_index=index), 0)
        effusion = render_image(
            spec(image_index=index, pleural_effusion_severity="moderate", pleural_effusion_side="left"), 0
        )
        assert box(effusion, *angle).mean() > box(erect, *angle).mean() + 25
        assert box(effusion, -0.30, -0.18, 0.60, 0.68).mean() == pytest.approx(
            box(erect, -0.30, -0.18, 0.60, 0.68).mean(), abs=1
        )
        supine = {"orientation": "recumbent", "view_position": "AP", "portable": True}
        flat = render_image(spec(image_index=index, **supine), 0)
        layered = render_image(
            spec(
                image_index=index,
                **supine,
                pleural_effusion_severity="moderate",
                pleural_effusion_side="left",
            ),
            0,
        )
        # A layering effusion hazes the whole hemithorax, more at the base.
        gain_high = box(layered, 0.15, 0.28, 0.25, 0.35).mean() - box(flat, 0.15, 0.28, 0.25, 0.35).mean()
        gain_low = box(layered, 0.15, 0.28, 0.5, 0.58).mean() - box(flat, 0.15, 0.28, 0.5, 0.58).mean()
        assert 3 < gain_high < gain_low


def test_portable_films_are_noisier_flatter_and_marked() -> None:
    pa = render_image(spec(noise_level=0.012), 0)
    ap = render_image(spec(view_position="AP", portable=True, orientation="recumbent", noise_level=0.035), 0)
    abdomen = (-0.1, 0.1, 0.85, 0.95)
    assert fine_texture(ap)[round(0.85 * ROWS) :].mean() > 2 * fine_texture(pa)[round(0.85 * ROWS) :].mean()
    assert box(ap, *abdomen).std() > box(pa, *abdomen).std()
    # "PORTABLE" is burnt in at the top left; both views carry the side marker at the top right.
    assert (box(ap, -0.40, -0.2, 0.02, 0.06) >= 240).sum() > 10
    assert (box(pa, -0.40, -0.2, 0.02, 0.06) >= 240).sum() == 0
    assert (box(pa, 0.3, 0.41, 0.02, 0.07) >= 245).sum() > 3


def test_other_findings_change_their_region() -> None:
    plain = render_image(spec(), 0)

    def gain(region: tuple[float, float, float, float], **finding: object) -> float:
        return box(render_image(spec(**finding), 0), *region).mean() - box(plain, *region).mean()

    assert (
        gain((-0.22, -0.14, 0.5, 0.62), consolidation_severity="severe", consolidation_zone="right_lower")
        > 20
    )
    assert gain((-0.16, -0.06, 0.36, 0.5), edema_severity="severe") > 10
    assert (
        gain((-0.08, 0.08, 0.2, 0.3), enlarged_cardiomediastinum_severity="severe", mediastinal_width=1.9)
        > 10
    )
    assert gain((-0.28, -0.1, 0.5, 0.6), atelectasis_severity="severe", atelectasis_side="right") > 3


def test_a_rib_fracture_breaks_one_rib_on_its_side() -> None:
    plain = render_image(spec(), 0).astype(float)
    broken = render_image(spec(fracture_severity="severe", fracture_side="left", fracture_rib=6), 0).astype(
        float
    )
    rows, columns = np.nonzero(np.abs(broken - plain) > 15)
    assert len(rows) > 10
    u = columns / ROWS - 0.5 * COLUMNS / ROWS
    assert (u > 0.1).all()  # patient left, lateral half
    assert np.ptp(rows) < 0.15 * ROWS  # one rib, not the whole cage


def test_a_nodule_is_a_round_density_of_its_size_in_its_zone() -> None:
    plain = render_image(spec(), 0).astype(float)
    for size_mm in (12, 30):
        nodule = render_image(
            spec(lung_lesion_severity="severe", lung_lesion_zone="left_upper", lung_lesion_size_mm=size_mm), 0
        )
        blob = nodule.astype(float) - plain > 10
        rows, columns = np.nonzero(blob)
        radius_px = size_mm * 0.0011 * ROWS
        assert 0.5 * np.pi * radius_px**2 < blob.sum() < 2.0 * np.pi * radius_px**2
        # Left upper zone: patient left (image right), upper third.
        u = columns.mean() / ROWS - 0.5 * COLUMNS / ROWS
        v = rows.mean() / ROWS
        assert 0.08 < u < 0.28 and 0.15 < v < 0.35
