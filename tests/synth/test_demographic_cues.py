"""Age and sex on the radiograph: the cues are deterministic, present, modest, and as common as configured."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.synth import ImageSpec, SyntheticConfig, SyntheticRelease, generate_release, render_image
from medslice.synth import release as release_module
from medslice.synth.render import demographic_cues as cues
from medslice.synth.render.frontal import FrontalThorax
from tests.synth.phantoms import COLUMNS, RELEASE_TABLES, ROWS, box, phantom_spec

TRAITS = dict.fromkeys(cues.TRAIT_COLUMNS, True)
LATERAL = {"view": "lateral", "view_position": "LATERAL"}
# A man with this habitus has a woman's thorax width (and heart), so that sex alone differs.
MALE_AS_WIDE_AS_FEMALE = 0.306 / 0.328


def spec(**changes: object) -> ImageSpec:
    """An upright PA phantom of a 45-year-old woman (:func:`phantom_spec`) with ``changes``."""
    return phantom_spec(**{"sex": "F", "age": 45, **changes})


def render(**changes: object) -> np.ndarray:
    """Pixels of :func:`spec` with ``changes``, seed 0, as float."""
    return render_image(spec(**changes), 0).astype(float)


def test_cues_are_deterministic_and_shared_by_the_views_of_a_study() -> None:
    old = {"age": 85, **TRAITS}
    first, second = render(**old), render(**old)
    assert np.array_equal(first, second)
    # Another study draws other osteophytes; the same study's other image (another image_index, so other
    # texture noise) has the same ones.
    lateral = {**old, **LATERAL}

    def spurs(**changes: object) -> np.ndarray:
        """Where osteophytes brighten a lateral view (the same image without them subtracted)."""
        with_spurs = render(**{**lateral, **changes})
        return np.abs(with_spurs - render(**{**lateral, **changes, "spondylosis": False})) > 3

    def overlap(a: np.ndarray, b: np.ndarray) -> float:
        return float((a & b).sum() / (a | b).sum())

    same_study = spurs()
    assert same_study.sum() > 10
    assert overlap(same_study, spurs(image_index=5)) > 0.9
    assert overlap(same_study, spurs(study_index=1)) < 0.5


def test_an_85_year_old_differs_from_a_45_year_old_by_a_modest_amount() -> None:
    for index in range(3):
        for view in ({}, LATERAL):
            young = render(image_index=index, study_index=index, **view)
            old = render(image_index=index, study_index=index, age=85, **TRAITS, **view)
            difference = np.abs(old - young)
            # Present: the old patient's image is not the young one's ...
            assert difference.mean() > 0.3
            # ... but a cue, not a different image: a few grey levels on average, and few pixels change
            # by more than 20 grey levels (the contour of an unfolded aorta, a calcified rim, spurs).
            assert difference.mean() < 4.0
            assert (difference > 20).mean() < 0.02
            # The lung far from the mediastinum (where findings are drawn) changes by a grey level or two.
            lung = (-0.28, -0.16, 0.3, 0.5) if not view else (0.0, 0.15, 0.45, 0.55)
            assert abs(box(old, *lung).mean() - box(young, *lung).mean()) < 3.0


def test_bone_density_falls_after_fifty_faster_in_women() -> None:
    assert cues.bone_density(30, "F") == cues.bone_density(50, "F") == 1.0
    assert cues.bone_density(60, "F") == pytest.approx(0.9)
    assert cues.bone_density(60, "M") == pytest.approx(0.95)
    assert cues.bone_density(100, "F") == cues.BONE_DENSITY_FLOOR
    clavicle = (-0.30, -0.12, 0.10, 0.17)
    fading = {}
    for sex in ("F", "M"):
        young, old = render(sex=sex, age=45), render(sex=sex, age=85)
        fading[sex] = box(old, *clavicle).mean() - box(young, *clavicle).mean()
    # Fainter bones in the old, more so in women, by a few grey levels.
    assert -10.0 < fading["F"] < fading["M"] < -0.5


def test_breast_shadows_on_womens_frontal_views_only() -> None:
    for index in range(3):
        woman = render(image_index=index, age=40)
        man = render(image_index=index, age=40, sex="M", habitus=MALE_AS_WIDE_AS_FEMALE)
        # Both lower zones are denser in the woman; the upper zones are not.
        for lower in ((-0.25, -0.12, 0.55, 0.62), (0.12, 0.25, 0.55, 0.62)):
            assert box(woman, *lower).mean() > box(man, *lower).mean() + 5
        for upper in ((-0.25, -0.12, 0.25, 0.35), (0.12, 0.25, 0.25, 0.35)):
            assert abs(box(woman, *upper).mean() - box(man, *upper).mean()) < 2
        # The lateral view has no lower-zone shadow over the lung (the breasts lie in front of the chest).
        woman_lateral = render(image_index=index, age=40, **LATERAL)
        man_lateral = render(image_index=index, age=40, sex="M", habitus=MALE_AS_WIDE_AS_FEMALE, **LATERAL)
        behind_heart = (0.05, 0.2, 0.45, 0.58)
        assert abs(box(woman_lateral, *behind_heart).mean() - box(man_lateral, *behind_heart).mean()) < 1.5


def test_an_unfolded_aorta_widens_the_knob_by_a_few_millimetres() -> None:
    plain = FrontalThorax.from_spec(spec(age=80))
    unfolded = FrontalThorax.from_spec(spec(age=80, aortic_unfolding=True))
    assert unfolded.knob - plain.knob == pytest.approx(cues.UNFOLDED_KNOB_MM * cues.BODY_UNITS_PER_MM)
    # Measured on the image: where the left mediastinal contour meets the lung at the knob's height.
    row = round(0.275 * ROWS)

    def contour(image: np.ndarray) -> int:
        profile = image[row, COLUMNS // 2 :]
        lung = np.median(box(image, 0.12, 0.2, 0.25, 0.3))
        return int(np.argmax(profile < (profile[0] + lung) / 2))

    for index in range(3):
        moved_px = contour(render(image_index=index, age=80, aortic_unfolding=True)) - contour(
            render(image_index=index, age=80)
        )
        moved_mm = moved_px / (ROWS * cues.BODY_UNITS_PER_MM)
        assert 2.0 < moved_mm < 10.0


def test_a_calcified_knob_is_a_thin_bright_line_at_the_aorta_on_both_views() -> None:
    for index in range(3):
        for view, region in (({}, (0.0, 0.14, 0.2, 0.34)), (LATERAL, (-0.12, 0.2, 0.18, 0.34))):
            plain = render(image_index=index, study_index=index, age=80, **view)
            calcified = render(
                image_index=index, study_index=index, age=80, aortic_calcification=True, **view
            )
            brighter = calcified - plain > 10
            inside = box(brighter, *region).sum()
            assert inside > 3
            assert inside == brighter.sum()  # nowhere but at the aorta
            # Thin: a line, not an area (a few pixels across at most).
            assert brighter.sum() < 0.004 * brighter.size
            assert (calcified - plain).min() >= 0


def test_trait_prevalence_matches_the_configured_rates() -> None:
    rng = np.random.default_rng(0)
    n = 20000
    for age in (45.0, 70.0, 85.0):
        traits = sample_traits(rng, np.full(n, age), n)
        for trait in cues.TRAIT_COLUMNS:
            rate = float(cues.trait_prevalence(trait, age))
            tolerance = 4 * np.sqrt(max(rate * (1 - rate), 1e-4) / n)
            assert traits[trait].mean() == pytest.approx(rate, abs=tolerance), (trait, age)
    # The literature's shape: rare under 50, common past 80, spondylosis near-universal.
    assert cues.trait_prevalence("aortic_calcification", 45) < 0.05
    assert 0.3 <= cues.trait_prevalence("aortic_calcification", 85) <= 0.5
    assert cues.trait_prevalence("spondylosis", 85) >= 0.85


def sample_traits(rng: np.random.Generator, age: np.ndarray, n_subjects: int) -> pd.DataFrame:
    """One image per patient ``0 .. n_subjects - 1`` at ``age``."""
    return cues.sample_cue_traits(rng, np.arange(n_subjects), age, n_subjects)


def test_the_release_draws_traits_per_patient_at_the_configured_rates(
    default_release: SyntheticRelease,
) -> None:
    truth = default_release.ground_truth
    # One image per patient (their first), so that draws are independent.
    first = truth.sort_values(["subject_id", "age"]).drop_duplicates("subject_id")
    elderly = first[first["age"] >= 80]
    assert len(elderly) > 200
    for trait in cues.TRAIT_COLUMNS:
        expected = cues.trait_prevalence(trait, elderly["age"].to_numpy())
        sd = np.sqrt((expected * (1 - expected)).sum()) / len(elderly)
        assert elderly[trait].mean() == pytest.approx(expected.mean(), abs=4 * sd), trait
    # A patient keeps a trait on every later study.
    ordered = truth.sort_values(["subject_id", "age", "study_id"])
    for trait in cues.TRAIT_COLUMNS:
        lost = ordered.groupby("subject_id")[trait].apply(lambda s: bool((s.astype(int).diff() < 0).any()))
        assert not lost.any(), trait
    # The images of one study agree.
    assert (truth.groupby("study_id")[list(cues.TRAIT_COLUMNS)].nunique() == 1).all().all()


def test_traits_leave_every_mimic_table_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SyntheticConfig(n_subjects=40, image_rows=96)
    with_traits = generate_release(config, seed=3)

    def no_traits(
        rng: np.random.Generator, subject_index: np.ndarray, age: np.ndarray, n: int
    ) -> pd.DataFrame:
        return pd.DataFrame({trait: np.zeros(len(age), dtype=bool) for trait in cues.TRAIT_COLUMNS})

    monkeypatch.setattr(release_module, "sample_cue_traits", no_traits)
    without = generate_release(config, seed=3)
    assert with_traits.ground_truth[list(cues.TRAIT_COLUMNS)].to_numpy().any()
    for name in RELEASE_TABLES:
        pd.testing.assert_frame_equal(getattr(with_traits, name), getattr(without, name), obj=name)
    others = [c for c in with_traits.ground_truth.columns if c not in cues.TRAIT_COLUMNS]
    pd.testing.assert_frame_equal(with_traits.ground_truth[others], without.ground_truth[others])
