"""Age and sex on the radiograph: how often each demographic cue appears, and how strongly it is drawn.

Real chest radiographs carry their patient's age and sex: bone grows less dense after about 50 (faster
in women), the spine grows osteophytes, the aorta widens, unfolds and calcifies, and women's breasts
overlap the lower zones. The rates below come from the literature named beside each constant (figures
given as "about" are approximate readings of those sources, interpolated linearly between the ages
listed); the drawing strengths are deliberately modest, so that each cue shifts the image the way
ageing does and never stands in for a label. ``docs/user-guide.md`` ("Age and sex on the radiograph")
tabulates them for users.

Which patient has which cue is decided once per patient, with the release's tables
(:func:`sample_cue_traits`), and travels to the renderer in :class:`ImageSpec`; how a cue is drawn
(where the osteophytes sit, which stretch of the aorta is calcified) comes from a generator shared by the
study's views, so the frontal and the lateral view of a study agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Body units per millimetre of patient: about 1 body unit = 40 cm of detector (as ``findings.py``).
BODY_UNITS_PER_MM = 0.0025

# --- Bone mineral density ----------------------------------------------------------------------------
# Bone mineral density is stable in young adults and falls from about the menopause: about 1% a year in
# women and about half that in men (Riggs & Melton, N Engl J Med 1986, "Involutional osteoporosis";
# Riggs et al., J Bone Miner Res 2008, population-based rates of bone loss in Rochester, MN). The faster
# loss across the menopausal transition itself (about 2% a year for a few years: Greendale et al., SWAN,
# J Bone Miner Res 2012) is averaged into the women's rate.
BONE_LOSS_ONSET_AGE = 50.0
BONE_LOSS_PER_YEAR: dict[str, float] = {"F": 0.010, "M": 0.005}
# Women lose roughly a third of their cortical and half of their trabecular bone over a lifetime (Riggs &
# Melton 1986); the drawn bone never falls below 60% of its young-adult attenuation.
BONE_DENSITY_FLOOR = 0.60

# --- Degenerative thoracic spine (spondylosis) --------------------------------------------------------
# Share of patients whose spine shows osteophytes, by age. Vertebral osteophytes appear from the fourth
# decade and are near-universal in the elderly (Nathan, J Bone Joint Surg Am 1962, an anatomical series);
# on radiographs about three quarters of women and four fifths of men aged 50-79 have at least one
# (O'Neill et al., J Rheumatol 1999, the European Vertebral Osteoporosis Study). Spurs too small to show
# on a chest film are left out, so the rates under 50 are lower than the anatomical ones.
SPONDYLOSIS_PREVALENCE: tuple[tuple[float, float], ...] = (
    (30.0, 0.0),
    (50.0, 0.4),
    (65.0, 0.75),
    (80.0, 0.9),
)
# Osteophytes grow and spread with age (Nathan 1962): spur length in mm and the number of affected levels,
# from the age the cue can appear to 40 years later.
OSTEOPHYTE_MM: tuple[float, float] = (2.0, 5.0)
# The thoracic vertebral bodies that can carry spurs: body index FIRST .. FIRST + N - 1 of the drawn spine
# (about T2 to T12).
SPINE_FIRST_LEVEL = 3
SPINE_LEVELS = 12
OSTEOPHYTE_LEVELS: tuple[int, int] = (2, 7)

# --- The ageing aorta ---------------------------------------------------------------------------------
# The thoracic aorta widens with age by about 0.9 mm per decade in men and 0.7 mm in women (ESC 2014
# guidelines on aortic diseases, Erbel et al., Eur Heart J 2014, from CT series such as Wolak et al., JACC
# Cardiovasc Imaging 2008): the aortic knob's bulge grows by as much from age 40.
AORTA_GROWTH_MM_PER_DECADE: dict[str, float] = {"F": 0.7, "M": 0.9}
KNOB_BULGE = 0.006  # the knob's bulge beyond the upper mediastinum at 40, body units
# The arch also lengthens and unfolds with age: it grows wider and higher and the descending aorta
# curves out to the left (Sugawara et al., JACC Cardiovasc Imaging 2008; Redheuil et al., J Am Coll
# Cardiol 2011, both MRI). We know of no prevalence of a radiographically "unfolded aorta" we can attribute;
# these shares (none under 50, about half by 80) are a modelling choice following those geometric trends.
UNFOLDING_PREVALENCE: tuple[tuple[float, float], ...] = (
    (50.0, 0.0),
    (60.0, 0.15),
    (70.0, 0.35),
    (80.0, 0.55),
    (90.0, 0.65),
)
# How far an unfolded aorta moves the mediastinal contour outwards (a modelling choice of a few mm: visible
# on a full-size film, within the normal range of mediastinal widths).
UNFOLDED_KNOB_MM = 5.0  # extra lateral bulge of the aortic knob
UNFOLDED_DESCENDING_MM = 5.0  # the descending aorta bowing left below the knob
UNFOLDED_ASCENDING_MM = 4.0  # the ascending aorta bowing right in the upper mediastinum
UNFOLDED_ARCH_RISE = 0.02  # extra height of the arch on the lateral view, body units

# Calcification of the aortic knob on chest radiographs: a few per cent under 50, roughly a third to a half
# past 80 (Iribarren et al., JAMA 2000, Kaiser Permanente multiphasic health checkups; Hashimoto et al.,
# J Atheroscler Thromb 2009, rising steeply with age in a Japanese general population). Values are
# approximate readings of their age trends.
CALCIFICATION_PREVALENCE: tuple[tuple[float, float], ...] = (
    (40.0, 0.01),
    (50.0, 0.04),
    (60.0, 0.12),
    (70.0, 0.25),
    (80.0, 0.40),
    (90.0, 0.50),
)
# The calcified rim: a thin curvilinear line just inside the knob's outer wall, over a third to three
# quarters of its outline, on the full-resolution layer (added in grey levels on top of the film): about
# the contrast a posterior rib's cortex has over the lung.
CALCIFICATION_MM = 1.5
CALCIFICATION_VALUE = 35
CALCIFICATION_ARC: tuple[float, float] = (0.35, 0.75)

# --- Breast shadows -----------------------------------------------------------------------------------
# Breasts overlap the lower zones of every adult woman's frontal film: a soft density fading upwards with
# a sharp, downwardly convex lower border (e.g. Felson, Principles of Chest Roentgenology; Fraser and Pare,
# Diagnosis of Diseases of the Chest). Drawn on frontal views; on the lateral view the breast soft tissue
# lies in front of the chest wall (``lateral.py``).
BREAST_DENSITY = 0.075  # added density at the centre of each shadow (the lungs add about -0.34)
BREAST_CENTRE = (0.6, 0.60)  # u as a share of the thorax half-width, v in body units
BREAST_RADII = (0.20, 0.13)
BREAST_FADE = (0.52, 0.14)  # the shadow fades in from this height over this distance (upper border soft)
# On the lateral view: soft tissue in front of the lower anterior chest wall.
LATERAL_BREAST_DENSITY = 0.06
LATERAL_BREAST_V = 0.56
LATERAL_BREAST_RADII = (0.12, 0.10)

# Columns of the ground truth (and fields of ImageSpec) that carry the per-patient traits.
TRAIT_COLUMNS: tuple[str, ...] = ("spondylosis", "aortic_unfolding", "aortic_calcification")
_TRAIT_PREVALENCE: dict[str, tuple[tuple[float, float], ...]] = {
    "spondylosis": SPONDYLOSIS_PREVALENCE,
    "aortic_unfolding": UNFOLDING_PREVALENCE,
    "aortic_calcification": CALCIFICATION_PREVALENCE,
}


def prevalence(points: Sequence[tuple[float, float]], age: float | np.ndarray) -> np.ndarray:
    """The share of patients of ``age`` with a cue, linear between the (age, share) points, flat outside."""
    ages, shares = zip(*points, strict=True)
    return np.interp(np.asarray(age, dtype=np.float64), ages, shares)


def trait_prevalence(trait: str, age: float | np.ndarray) -> np.ndarray:
    """The configured share of patients of ``age`` showing ``trait`` (one of :data:`TRAIT_COLUMNS`)."""
    return prevalence(_TRAIT_PREVALENCE[trait], age)


def sample_cue_traits(
    rng: np.random.Generator, subject_index: np.ndarray, age: np.ndarray, n_subjects: int
) -> pd.DataFrame:
    """Which images show each age-related trait, one boolean column per :data:`TRAIT_COLUMNS` entry.

    Each patient draws one uniform quantile per trait; an image shows the trait when the quantile lies
    below the trait's prevalence at the patient's age on that study. Prevalences only rise with age, so a
    patient keeps a trait on every later study, and the share of patients showing it at each age is the
    configured rate.

    Parameters
    ----------
    rng : np.random.Generator
        The generator of these traits alone (an independent stream of the release).
    subject_index : np.ndarray
        Each image's patient, ``0 .. n_subjects - 1``.
    age : np.ndarray
        Each image's patient age at the study.
    n_subjects : int
        Number of patients (so that a patient's quantiles do not depend on the image count).
    """
    quantiles = rng.random((n_subjects, len(TRAIT_COLUMNS)))
    rows = np.asarray(subject_index, dtype=np.int64)
    age = np.asarray(age, dtype=np.float64)
    return pd.DataFrame(
        {trait: quantiles[rows, k] < trait_prevalence(trait, age) for k, trait in enumerate(TRAIT_COLUMNS)}
    )


def bone_density(age: float, sex: str) -> float:
    """Bone attenuation relative to a young adult's: 1 until :data:`BONE_LOSS_ONSET_AGE`, then falling."""
    loss = BONE_LOSS_PER_YEAR.get(sex, BONE_LOSS_PER_YEAR["M"]) * max(0.0, age - BONE_LOSS_ONSET_AGE)
    return max(BONE_DENSITY_FLOOR, 1.0 - loss)


def aortic_growth(age: float, sex: str) -> float:
    """How much wider the aorta is than at 40, body units."""
    per_decade = AORTA_GROWTH_MM_PER_DECADE.get(sex, AORTA_GROWTH_MM_PER_DECADE["M"])
    return per_decade * max(0.0, age - 40.0) / 10.0 * BODY_UNITS_PER_MM


def knob_bulge(age: float, sex: str, unfolded: bool) -> float:
    """The aortic knob's bulge beyond the upper mediastinum, body units."""
    extra = UNFOLDED_KNOB_MM * BODY_UNITS_PER_MM if unfolded else 0.0
    return KNOB_BULGE + aortic_growth(age, sex) + extra


def osteophyte_size(age: float) -> tuple[float, int]:
    """Spur length (body units) and the number of affected levels of a spine with spondylosis at ``age``."""
    start = SPONDYLOSIS_PREVALENCE[0][0] + 10.0
    t = float(np.clip((age - start) / 40.0, 0.0, 1.0))
    length_mm = OSTEOPHYTE_MM[0] + (OSTEOPHYTE_MM[1] - OSTEOPHYTE_MM[0]) * t
    levels = round(OSTEOPHYTE_LEVELS[0] + (OSTEOPHYTE_LEVELS[1] - OSTEOPHYTE_LEVELS[0]) * t)
    return length_mm * BODY_UNITS_PER_MM, levels


def osteophyte_sites(rng: np.random.Generator, age: float) -> list[tuple[int, float, float]]:
    """Where a spine's osteophytes sit: ``(body, endplate, length)``, one tuple per spur.

    ``body`` indexes the drawn vertebral bodies from the top (within :data:`SPINE_FIRST_LEVEL` ..
    :data:`SPINE_FIRST_LEVEL` + :data:`SPINE_LEVELS` - 1); ``endplate`` is -1 for a spur on the upper
    endplate (it points up) and +1 for one on the lower endplate; ``length`` is in body units.
    """
    length, count = osteophyte_size(age)
    count = min(count, SPINE_LEVELS)
    # Thoracic spondylosis is commonest in the mid and lower thoracic spine: favour the lower levels.
    weights = np.linspace(0.5, 1.5, SPINE_LEVELS)
    levels = rng.choice(SPINE_LEVELS, size=count, replace=False, p=weights / weights.sum())
    endplates = rng.choice((-1.0, 1.0), size=count)
    scales = rng.uniform(0.7, 1.2, size=count)
    return [
        (SPINE_FIRST_LEVEL + int(level), float(endplate), float(length * scale))
        for level, endplate, scale in zip(np.sort(levels), endplates, scales, strict=True)
    ]


def calcified_arc(rng: np.random.Generator) -> tuple[float, float]:
    """The calcified stretch of the knob's outline, as (start, end) fractions of it (0 = top)."""
    extent = rng.uniform(*CALCIFICATION_ARC)
    start = rng.uniform(0.0, 1.0 - extent)
    return float(start), float(start + extent)
