"""Normal anatomy of a frontal (PA or AP) chest radiograph.

Patient right is image left (``u < 0``). Lungs are dark; mediastinum, heart, diaphragm and bones are bright.
Functions of one coordinate take and return broadcastable arrays: ``u`` is a row, ``v`` a column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from medslice.synth.render import demographic_cues as cues
from medslice.synth.render.frame import Stroke, bump, ramp
from medslice.synth.render.phantom import SIDE_SIGN, Phantom
from medslice.synth.render.spec import ImageSpec

EDGE = 0.006  # softness of organ borders, body units
CARINA_V = 0.335
HILUM: dict[str, tuple[float, float]] = {"right": (-0.085, 0.40), "left": (0.095, 0.385)}
N_POSTERIOR_RIBS = 10
VERTEBRA_PITCH = 0.043
VERTEBRA_START = 0.02  # top of the drawn spine
VERTEBRA_HALF_WIDTH = 0.034
KNOB_V = 0.275  # height of the aortic knob


@dataclass(frozen=True)
class FrontalThorax:
    """Geometry of the thorax on a frontal view, in body units.

    Attributes
    ----------
    half_width : float
        Inner rib margin at the widest, from the midline.
    apex : float
        Height of the lung apices.
    dome : dict[str, float]
        Height of the hemidiaphragm domes, per side.
    costophrenic : float
        Height of the costophrenic angles.
    heart : dict[str, float]
        Heart border distance from the midline, per side (includes AP magnification).
    mediastinum : float
        Half-width of the upper mediastinum.
    knob : float
        Bulge of the aortic knuckle (grows with age, more when the aorta is unfolded).
    ascending : float
        Bulge of an unfolded ascending aorta into the right upper mediastinum (0 if not).
    descending : float
        Leftward bow of an unfolded descending aorta below the knob (0 if not).
    """

    half_width: float
    apex: float
    dome: dict[str, float]
    costophrenic: float
    heart: dict[str, float]
    mediastinum: float
    knob: float
    ascending: float = 0.0
    descending: float = 0.0

    @classmethod
    def from_spec(cls, spec: ImageSpec) -> FrontalThorax:
        """Derive the thorax of one patient and acquisition."""
        half_width = (0.328 if spec.sex == "M" else 0.306) * spec.habitus
        # Recumbent patients breathe in less: the domes ride higher.
        lift = 0.035 if spec.orientation == "recumbent" else 0.0
        dome_right = 0.625 + spec.inspiration - lift
        # AP: the heart lies far from the detector and is magnified more than the thorax.
        heart_mag = 1.09 if spec.view_position.startswith("AP") else 1.0
        heart_total = spec.cardiothoracic_ratio * 2.0 * half_width * heart_mag
        unfolded = spec.aortic_unfolding
        mm = cues.BODY_UNITS_PER_MM
        return cls(
            half_width=half_width,
            apex=0.095,
            dome={"right": dome_right, "left": dome_right + 0.022},
            costophrenic=dome_right + 0.105,
            heart={"right": 0.34 * heart_total, "left": 0.66 * heart_total},
            mediastinum=0.05 * spec.mediastinal_width,
            knob=cues.knob_bulge(spec.age, spec.sex, unfolded),
            ascending=cues.UNFOLDED_ASCENDING_MM * mm if unfolded else 0.0,
            descending=cues.UNFOLDED_DESCENDING_MM * mm if unfolded else 0.0,
        )

    def lateral_border(self, v: np.ndarray) -> np.ndarray:
        """Distance from the midline of the inner chest wall at height ``v``."""
        t = np.clip((v - self.apex) / (0.54 - self.apex), 0.0, 1.0)
        return 0.13 + (self.half_width - 0.13) * np.sqrt(t)

    def apex_top(self, abs_u: np.ndarray) -> np.ndarray:
        """Height of the lung apex dome above ``|u|``."""
        return self.apex + 2.6 * (abs_u - 0.12) ** 2

    def medial_border(self, v: np.ndarray, side: str) -> np.ndarray:
        """Distance from the midline of the mediastinum/heart border at height ``v`` on ``side``."""
        m = self.mediastinum
        if side == "right":
            heart = self.heart["right"]
            profile = np.clip((v - 0.40) / 0.15, 0.0, 1.0)
            profile = profile * profile * (3 - 2 * profile)
            upper = m * (1 + 0.12 * bump(v, 0.24, 0.08)) + self.ascending * bump(v, 0.27, 0.045)
            return upper + (heart - m) * profile
        heart = self.heart["left"]
        profile = np.sin(np.clip((v - 0.385) / 0.26, 0.0, 1.0) * (math.pi / 2)) ** 1.3
        aorta = self.knob * bump(v, KNOB_V, 0.028) + self.descending * bump(v, 0.34, 0.05)
        return m + aorta + 0.012 * bump(v, 0.35, 0.022) + (heart - m) * profile

    def diaphragm(self, u: np.ndarray, side: str) -> np.ndarray:
        """Height of the hemidiaphragm under ``u`` on ``side``."""
        abs_u = np.abs(u)
        peak = 0.45 * self.half_width
        dome = self.dome[side]
        depth = self.costophrenic - self.dome["right"]
        lateral = dome + depth * ((abs_u - peak) / (self.half_width - peak)) ** 2
        medial = dome + 0.35 * depth * ((peak - abs_u) / peak) ** 2
        return np.where(abs_u >= peak, lateral, medial)

    def either_diaphragm(self, u: np.ndarray) -> np.ndarray:
        """The diaphragm under ``u``, right or left depending on the side of ``u``."""
        return np.where(u < 0, self.diaphragm(u, "right"), self.diaphragm(u, "left"))

    def lungs(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Soft mask of both lung fields (0..1); multiply by :meth:`Phantom.side` for one lung."""
        abs_u = np.abs(u)
        medial = np.where(u < 0, self.medial_border(v, "right"), self.medial_border(v, "left"))
        mask = ramp(self.lateral_border(v) - abs_u, EDGE)
        mask *= ramp(abs_u - medial, EDGE)
        mask *= ramp(self.either_diaphragm(u) - v, EDGE)
        mask *= ramp(v - self.apex_top(abs_u), EDGE)
        return mask

    def rib_level(self, index: int) -> float:
        """Height at which posterior rib ``index`` (0 = first) leaves the spine."""
        spacing = (self.costophrenic - 0.05 - self.apex) / (N_POSTERIOR_RIBS - 0.6)
        return self.apex - 0.02 + index * spacing


def draw_frontal_anatomy(ph: Phantom, thorax: FrontalThorax) -> None:
    """Draw the normal frontal anatomy into ``ph`` and store the lung mask in ``ph.lungs``."""
    spec, u, v = ph.spec, ph.u, ph.v
    abs_u = np.abs(u)
    half_width = thorax.half_width

    # Soft tissue: neck widening to the shoulders, then the chest wall; thicker in the middle.
    neck = 0.085 + 0.36 * np.clip((v - 0.015) / 0.13, 0.0, 1.0) ** 0.8
    body_half = np.maximum(neck, half_width + 0.075 + 0.06 * bump(v, 0.2, 0.12))
    body = ramp(body_half - abs_u, 0.012)
    density = body * (0.50 + 0.07 * np.clip(1.0 - (u / (half_width + 0.07)) ** 2, 0.0, 1.0))

    # Mediastinum and heart: the medial border is side-specific.
    medial = np.where(u < 0, thorax.medial_border(v, "right"), thorax.medial_border(v, "left"))
    diaphragm = thorax.either_diaphragm(u)
    mediastinum = ramp(medial - abs_u, EDGE) * ramp(v - 0.03, 0.03)
    density += mediastinum * (ramp(diaphragm + 0.02 - v, 0.02) * 0.17 + 0.03 * ramp(v - 0.42, 0.04))

    # Below the diaphragm: the liver on the right, the stomach bubble under the left dome.
    density += 0.09 * body * ramp(v - diaphragm, 0.01)
    bubble_v = thorax.dome["left"] + (0.045 if spec.orientation == "erect" else 0.035)
    bubble = ramp(1.0 - ((u - 0.15) / 0.05) ** 2 - ((v - bubble_v) / 0.028) ** 2, 0.4)
    if spec.orientation == "erect":
        # Air rises: the bubble has a flat fluid level.
        bubble *= ramp(bubble_v + 0.006 - v, 0.004)
    density -= 0.22 * bubble

    # Lungs: air is dark; the apices and bases are overlapped by more soft tissue.
    lungs = thorax.lungs(u, v)
    aeration = 1.0 - 0.18 * bump(v, thorax.apex + 0.02, 0.07) - 0.12 * np.clip((v - 0.5) / 0.2, 0.0, 1.0)
    density -= 0.34 * lungs * aeration * _mottle(ph, 0.12)
    # Hilar vessels: a soft density where the pulmonary arteries leave the mediastinum.
    hila = sum(
        np.exp(-(((u - hu) / 0.05) ** 2)) * np.exp(-(((v - hv) / 0.07) ** 2)) for hu, hv in HILUM.values()
    )
    density += 0.07 * lungs * hila

    # Trachea: a dark air column down to the carina.
    density -= 0.10 * ramp(0.017 - np.abs(u + 0.004), 0.006) * ramp(CARINA_V - v, 0.01)

    # Spine: vertebral bodies with darker disc spaces, and paired pedicles, faint behind the mediastinum;
    # like the other bones, less dense in the old.
    phase = np.mod(v - VERTEBRA_START, VERTEBRA_PITCH) / VERTEBRA_PITCH
    bodies = ramp(VERTEBRA_HALF_WIDTH - abs_u, 0.004) * (ramp(0.82 - phase, 0.08) * ramp(phase - 0.02, 0.04))
    pedicles = bump(abs_u, 0.026, 0.007) * bump(phase, 0.3, 0.16)
    density += (0.035 * bodies + 0.05 * pedicles) * np.float32(ph.bone_density)

    if spec.sex == "F":
        # Breast shadows: a density over the lung bases, sharp at the lower curved margin, fading upwards.
        (cu, cv), (ru, rv) = cues.BREAST_CENTRE, cues.BREAST_RADII
        fade_v, fade_span = cues.BREAST_FADE
        fade = np.clip((v - fade_v) / fade_span, 0.0, 1.0)
        for sign in (-1.0, 1.0):
            breast = 1.0 - ((u - sign * cu * half_width) / ru) ** 2 - ((v - cv) / rv) ** 2
            density += cues.BREAST_DENSITY * ramp(breast, 0.12) * fade * (0.25 + 0.75 * lungs)

    ph.density += density
    ph.lungs = lungs
    ph.markable += lungs
    _draw_bones(ph, thorax)
    _draw_age_cues(ph, thorax)
    ph.vessels.polylines(_vessel_strokes(ph.rng))


def _draw_age_cues(ph: Phantom, thorax: FrontalThorax) -> None:
    """A calcified aortic knob.

    Osteophytes are drawn on the lateral view only: on a frontal film the thoracic spine lies behind the
    mediastinum, and the anterior spurs show best on the lateral (``lateral.py``).
    """
    spec = ph.spec
    if spec.aortic_calcification:
        # A thin bright line just inside the knob's outer wall, over part of its outline. The knob is near
        # white on the film, so the line goes on the full-resolution layer, which adds brightness on top.
        start, end = cues.calcified_arc(ph.cue_rng)
        arc_v = KNOB_V + 0.045 * (np.linspace(start, end, 8) - 0.5) * 2
        thickness = cues.CALCIFICATION_MM * cues.BODY_UNITS_PER_MM
        arc_u = thorax.medial_border(arc_v.astype(np.float32), "left") - 1.2 * thickness
        ph.sharp.polyline(arc_u, arc_v, thickness, cues.CALCIFICATION_VALUE)


def _mottle(ph: Phantom, amount: float) -> np.ndarray:
    """Smooth random variation around 1 (uneven aeration and overlapping soft tissue)."""
    h, w = ph.density.shape
    coarse = ph.rng.random((6, 5), dtype=np.float32)
    field = np.asarray(Image.fromarray(coarse, mode="F").resize((w, h), Image.Resampling.BICUBIC))
    return 1.0 + (2.0 * amount) * (field - 0.5)


_T14 = np.linspace(0.0, 1.0, 14)
_S16 = np.linspace(0.0, 1.0, 16)
_A10 = np.linspace(0.0, 1.0, 10)


def _draw_bones(ph: Phantom, thorax: FrontalThorax) -> None:
    """Clavicles, humeral heads, scapulae and ribs (posterior on ``bone``, anterior on ``soft``)."""
    spec = ph.spec
    ap = spec.view_position.startswith("AP")
    bone: list[Stroke] = []
    soft: list[Stroke] = []
    # Clavicles project higher on a lordotic AP film.
    clavicle_v = 0.155 - (0.025 if ap else 0.0)
    for sign in (-1.0, 1.0):
        cu = sign * (0.035 + 0.40 * _T14)
        cv = clavicle_v + 0.02 * np.sin(_T14 * math.pi * 1.2) - 0.06 * _T14
        bone += [(cu, cv, 0.024, 130), (cu, cv, 0.012, 115)]
        ph.bone.ellipse(sign * 0.48, 0.16, 0.08, 0.09, 55)
        # The scapulae overlap the lungs when the arms cannot be rotated forward (AP).
        inset = 0.06 if ap else 0.0
        lateral = thorax.half_width + 0.06
        ph.soft.polygon(
            [sign * (lateral - 0.05 - inset), sign * (lateral + 0.05), sign * (lateral + 0.02)],
            [0.14, 0.13, 0.46],
            60,
        )
    for index in range(N_POSTERIOR_RIBS):
        for side in ("right", "left"):
            fractured = (
                bool(spec.fracture_severity) and spec.fracture_side == side and index + 1 == spec.fracture_rib
            )
            _rib_strokes(ph, thorax, index, side, fractured=fractured, bone=bone, soft=soft)
    ph.bone.polylines(bone)
    ph.soft.polylines(soft)


def _rib_strokes(
    ph: Phantom,
    thorax: FrontalThorax,
    index: int,
    side: str,
    *,
    fractured: bool,
    bone: list[Stroke],
    soft: list[Stroke],
) -> None:
    """One posterior rib (cortex brighter than marrow) and its fainter anterior arc."""
    sign = SIDE_SIGN[side]
    level = thorax.rib_level(index)
    s = _S16
    reach = float(thorax.lateral_border(np.asarray(level + 0.08))) + 0.004
    ru = sign * (0.03 + (reach - 0.03) * np.sin(s * math.pi / 2) ** 0.75)
    # Posterior ribs rise from the spine, arch, and fall steeply at the lateral chest wall.
    rv = level - 0.03 * np.sin(s * math.pi * 0.7) + 0.12 * s**2.8
    thickness = 0.016 + 0.003 * index / N_POSTERIOR_RIBS
    if fractured:
        # A break at two thirds of the rib with the lateral fragment displaced downwards.
        cut = 10
        severity = ph.spec.fracture_severity
        gap = 0.012 if severity == "mild" else 0.02
        step = {"mild": 0.006, "moderate": 0.011, "severe": 0.016}[severity]
        pieces = [(ru[:cut], rv[:cut]), (ru[cut:] + sign * gap, rv[cut:] + step)]
    else:
        pieces = [(ru, rv)]
    for pu, pv in pieces:
        bone += [(pu, pv, thickness, 70), (pu, pv, thickness * 0.5, 55)]
    # The anterior rib runs from the lateral wall down towards the sternum; its cartilage is invisible.
    if index < N_POSTERIOR_RIBS - 2:
        a = _A10
        au = sign * (reach - 0.01 - (reach - 0.14) * a)
        av = level + 0.10 + 0.12 * a - 0.025 * np.sin(a * math.pi)
        soft.append((au, av, 0.017, 70))


_STEPS = np.linspace(0.0, 1.0, 5)


def _vessel_strokes(rng: np.random.Generator) -> list[Stroke]:
    """Pulmonary vessels: curving, forking, tapering lines from each hilum (three generations, vectorised)."""
    angles = np.linspace(-1.2, 1.4, 8)
    starts_u, starts_v, thetas, signs = [], [], [], []
    for side, (hu, hv) in HILUM.items():
        sign = SIDE_SIGN[side]
        # Angles from the lateral direction; positive points down (the bases are better perfused).
        thetas.append(angles + rng.normal(0.0, 0.12, len(angles)))
        starts_v.append(hv + 0.05 * angles + rng.normal(0.0, 0.01, len(angles)))
        starts_u.append(hu + sign * 0.015 * np.abs(angles))
        signs.append(np.full(len(angles), sign))
    u0, v0 = np.concatenate(starts_u), np.concatenate(starts_v)
    theta, sign = np.concatenate(thetas), np.concatenate(signs)
    length = 0.09 + 0.04 * rng.random(len(u0))
    width = 0.007
    strokes: list[Stroke] = []
    for generation in range(3):
        n = len(u0)
        bend = theta[:, None] + rng.normal(0.0, 0.25, n)[:, None] * _STEPS[None, :]
        step = (length / (len(_STEPS) - 1))[:, None]
        du = np.zeros((n, len(_STEPS)))
        dv = np.zeros((n, len(_STEPS)))
        du[:, 1:] = np.cumsum(np.cos(bend[:, :-1]) * step, axis=1) * sign[:, None]
        dv[:, 1:] = np.cumsum(np.sin(bend[:, :-1]) * step, axis=1)
        pu, pv = u0[:, None] + du, v0[:, None] + dv
        value = int(60 + 170 * width / 0.007)
        strokes += [(pu[k], pv[k], width, value) for k in range(n)]
        if generation == 2:
            break
        # Each vessel forks into two thinner, shorter ones.
        fork = np.concatenate([-1.0 - 0.8 * rng.random(n), 1.0 + 0.8 * rng.random(n)]) * 0.25
        u0, v0 = np.tile(pu[:, -1], 2), np.tile(pv[:, -1], 2)
        theta = np.tile(bend[:, -2], 2) + fork
        sign = np.tile(sign, 2)
        length = np.tile(length, 2) * (0.7 + 0.15 * rng.random(2 * n))
        width *= 0.62
    return strokes
