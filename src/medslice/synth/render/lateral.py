"""Normal anatomy of a lateral chest radiograph.

The patient faces image left: anterior is ``u < 0``. Both lungs superimpose into one lung field; the heart
lies anteriorly on the diaphragm, the spine posteriorly, with the retrosternal clear space above the heart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from medslice.synth.render import demographic_cues as cues
from medslice.synth.render.frame import Stroke, bump, ramp
from medslice.synth.render.phantom import Phantom, gauss
from medslice.synth.render.spec import ImageSpec

EDGE = 0.006
SPINE_U = 0.25
HILUM_LATERAL = (0.03, 0.42)
TRACHEA = ((-0.01, 0.0), (0.05, 0.34))
VERTEBRA_PITCH = 0.045
VERTEBRA_START = 0.03  # top of the drawn spine
VERTEBRA_HALF_DEPTH = 0.037
OSTEOPHYTE_VALUE = 90  # bone-layer value of an anterior spur: as dense as the vertebral cortex (0.12)
HEART_AXIS = (math.cos(math.radians(-25.0)), math.sin(math.radians(-25.0)))


@dataclass(frozen=True)
class LateralThorax:
    """Geometry of the thorax on a lateral view, in body units.

    Attributes
    ----------
    anterior : float
        Inner anterior chest wall (behind the sternum), at mid-height.
    posterior : float
        Posterior limit of the lung field (the posterior ribs).
    apex : float
        Height of the lung apex.
    dome : float
        Height of the highest point of the diaphragm.
    heart_centre : tuple[float, float]
        Centre (u, v) of the heart shadow.
    heart_radii : tuple[float, float]
        Half-axes (u, v) of the heart shadow; larger with cardiomegaly.
    aorta_width : float
        Width of the aortic arch band (wider with a wide mediastinum, and with age).
    arch_height : float
        Rise of the aortic arch above its ends (higher when the aorta is unfolded).
    """

    anterior: float
    posterior: float
    apex: float
    dome: float
    heart_centre: tuple[float, float]
    heart_radii: tuple[float, float]
    aorta_width: float
    arch_height: float = 0.14

    @classmethod
    def from_spec(cls, spec: ImageSpec) -> LateralThorax:
        """Derive the lateral geometry of one patient and acquisition."""
        depth = (1.0 if spec.sex == "M" else 0.94) * spec.habitus
        anterior = -0.30 * depth
        lift = 0.035 if spec.orientation == "recumbent" else 0.0
        dome = 0.60 + spec.inspiration - lift
        # The heart's depth grows with the cardiothoracic ratio, mostly backwards towards the spine.
        size = (spec.cardiothoracic_ratio / 0.44) ** 0.9
        radius_u = 0.15 * size * depth
        radius_v = 0.175 * size**0.9
        # The heart sits on the diaphragm against the lower sternum; only its upper outline shows.
        centre = (anterior + 0.95 * radius_u, dome + 0.045)
        return cls(
            anterior=anterior,
            posterior=0.335,
            apex=0.095,
            dome=dome,
            heart_centre=centre,
            heart_radii=(radius_u, radius_v),
            aorta_width=0.035 * spec.mediastinal_width + cues.aortic_growth(spec.age, spec.sex),
            arch_height=0.14 + (cues.UNFOLDED_ARCH_RISE if spec.aortic_unfolding else 0.0),
        )

    def anterior_border(self, v: np.ndarray) -> np.ndarray:
        """Inner anterior chest wall at height ``v``: convex forwards, shallower at the top."""
        return self.anterior + 0.10 * ((np.clip(v, 0.12, 0.75) - 0.47) / 0.37) ** 2

    def apex_top(self, u: np.ndarray) -> np.ndarray:
        """Height of the lung apex above ``u``."""
        return self.apex + 1.8 * (u - 0.08) ** 2

    def diaphragm(self, u: np.ndarray) -> np.ndarray:
        """Height of the diaphragm at ``u``: deepest in the posterior costophrenic sulcus."""
        x = u + 0.02
        return self.dome + np.where(x > 0, 0.12 * (x / 0.35) ** 2, 0.07 * (x / 0.3) ** 2)

    def lung(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Soft mask of the lung field, heart excluded."""
        mask = ramp(u - self.anterior_border(v), EDGE) * ramp(self.posterior - u, 0.02)
        # The apex fades into the shoulders' soft tissue rather than having a sharp outline.
        mask = mask * ramp(self.diaphragm(u) - v, EDGE) * ramp(v - self.apex_top(u), 0.04)
        # Both lungs wrap around the heart, so the heart shadow is grey rather than white.
        return mask * (1.0 - 0.5 * self.heart(u, v))

    def heart(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Soft mask of the heart shadow."""
        (cu, cv), (ru, rv) = self.heart_centre, self.heart_radii
        # The long axis runs from the lower front upwards and backwards.
        du, dv = u - cu, v - cv
        along = du * HEART_AXIS[0] + dv * HEART_AXIS[1]
        across = -du * HEART_AXIS[1] + dv * HEART_AXIS[0]
        inside = 1.0 - (along / ru) ** 2 - (across / rv) ** 2
        return ramp(inside, 0.12) * ramp(u - self.anterior_border(v), 0.01)


def draw_lateral_anatomy(ph: Phantom, lateral: LateralThorax) -> None:
    """Draw the normal lateral anatomy into ``ph`` and store the lung-field mask in ``ph.lungs``."""
    spec, u, v = ph.spec, ph.u, ph.v
    anterior_skin = lateral.anterior_border(v) - 0.05
    body = ramp(u - anterior_skin, 0.012) * ramp(0.41 - u, 0.012)
    density = body * (0.52 + 0.06 * np.clip((0.2 - v) / 0.2, 0.0, 1.0))
    if spec.sex == "F":
        # The breasts lie in front of the lower anterior chest wall (no lower-zone shadow as on a frontal).
        breast = gauss(u, v, (lateral.anterior, cues.LATERAL_BREAST_V), cues.LATERAL_BREAST_RADII)
        density += cues.LATERAL_BREAST_DENSITY * body * breast
    # Shoulders and raised arms overlap the upper chest.
    density += 0.12 * body * np.clip((0.32 - v) / 0.22, 0.0, 1.0)
    lung = lateral.lung(u, v)
    density -= 0.33 * lung * (1.0 - 0.15 * np.clip((v - 0.45) / 0.2, 0.0, 1.0))
    diaphragm = lateral.diaphragm(u)
    density += 0.04 * lateral.heart(u, v) * ramp(diaphragm + 0.03 - v, 0.02)
    # Below the diaphragm (liver); the second hemidiaphragm is a faint parallel contour.
    density += 0.09 * body * ramp(v - diaphragm, 0.01)
    density += 0.06 * ramp(v - lateral.diaphragm(u - 0.02) - 0.025, 0.008) * lung
    # The dark tracheal air column, obliquely down to the carina.
    (tu0, tv0), (tu1, tv1) = TRACHEA
    trachea_u = tu0 + (tu1 - tu0) * np.clip((v - tv0) / (tv1 - tv0), 0.0, 1.0)
    density -= 0.10 * ramp(0.016 - np.abs(u - trachea_u), 0.006) * ramp(tv1 - v, 0.02) * (1.0 - 0.7 * lung)
    hu, hv = HILUM_LATERAL
    density += 0.08 * lung * gauss(u, v, (hu, hv), (0.06, 0.06))
    # Vertebral bodies (brighter cortex, darker discs) along a gentle kyphosis, posterior elements behind.
    centre = _spine_centre(v)
    phase = np.mod(v - VERTEBRA_START, VERTEBRA_PITCH) / VERTEBRA_PITCH
    across = np.abs(u - centre)
    vertebrae = (
        ramp(VERTEBRA_HALF_DEPTH - across, 0.004) * ramp(0.82 - phase, 0.06) * ramp(phase - 0.02, 0.04)
    )
    cortex = vertebrae * (
        1.0 - 0.35 * ramp(0.030 - across, 0.004) * ramp(0.75 - phase, 0.06) * ramp(phase - 0.1, 0.06)
    )
    posterior = bump(u - centre, 0.075, 0.02) * bump(phase, 0.45, 0.2)
    # Like the other bones, the spine is less dense in the old.
    density += (0.12 * cortex + 0.05 * posterior) * np.float32(ph.bone_density)
    ph.density += density
    ph.lungs = lung
    ph.markable += lung
    _draw_lateral_layers(ph, lateral)
    _draw_age_cues(ph, lateral)
    _draw_lateral_vessels(ph)


def _spine_centre(v: np.ndarray) -> np.ndarray:
    """Centre of the vertebral bodies at height ``v``: a gentle kyphosis."""
    return SPINE_U + 0.03 * np.sin(np.pi * v)


def _arch(lateral: LateralThorax) -> tuple[np.ndarray, np.ndarray]:
    """Centre line of the aortic arch (from the ascending aorta over the top) and the descending aorta."""
    t = np.linspace(0.0, 1.0, 12)
    arch_u = np.concatenate([-0.06 + 0.20 * t, np.full(6, 0.17)])
    arch_v = np.concatenate(
        [0.40 - lateral.arch_height * np.sin(t * math.pi * 0.85), np.linspace(0.36, 0.70, 6)]
    )
    return arch_u, arch_v


def _draw_age_cues(ph: Phantom, lateral: LateralThorax) -> None:
    """A calcified aortic arch, and osteophytes on the anterior margins of the vertebral bodies."""
    spec = ph.spec
    if spec.aortic_calcification:
        # A thin bright line just inside the outer (upper) wall of the arch, over part of its curve. The arc
        # is the cue generator's first draw, as on the frontal view, so both views calcify the same stretch.
        start, end = cues.calcified_arc(ph.cue_rng)
        thickness = cues.CALCIFICATION_MM * cues.BODY_UNITS_PER_MM
        t = np.linspace(start, end, 8)
        arch_u = -0.06 + 0.20 * t
        arch_v = 0.40 - lateral.arch_height * np.sin(t * math.pi * 0.85) - lateral.aorta_width + thickness
        ph.sharp.polyline(arch_u, arch_v, thickness, cues.CALCIFICATION_VALUE)
    if spec.spondylosis:
        spurs: list[Stroke] = []
        # Spurs on the anterior corners of the vertebral bodies, curling towards the disc space.
        for body, endplate, length in cues.osteophyte_sites(ph.cue_rng, spec.age):
            top = VERTEBRA_START + body * VERTEBRA_PITCH
            corner_v = top + VERTEBRA_PITCH * (0.02 if endplate < 0 else 0.82)
            corner_u = float(_spine_centre(np.asarray(corner_v))) - VERTEBRA_HALF_DEPTH + 0.002
            spurs.append(
                (
                    np.array([corner_u, corner_u - 0.6 * length, corner_u - length]),
                    np.array(
                        [corner_v, corner_v + endplate * 0.15 * length, corner_v + endplate * 0.6 * length]
                    ),
                    0.35 * length,
                    OSTEOPHYTE_VALUE,
                )
            )
        ph.bone.polylines(spurs)


def _draw_lateral_layers(ph: Phantom, lateral: LateralThorax) -> None:
    """The aortic arch, the sternum and the posterior ribs."""
    arch_u, arch_v = _arch(lateral)
    soft: list[Stroke] = [(arch_u, arch_v, 2 * lateral.aorta_width, 28)]
    for k in range(9):
        level = 0.14 + 0.06 * k
        r = np.linspace(0.0, 1.0, 8)
        soft.append((0.36 - 0.40 * r, level + 0.09 * r + 0.03 * np.sin(r * math.pi), 0.014, 45))
    ph.soft.polylines(soft)
    ph.bone.polylines([(np.array([-0.255, -0.275, -0.29]), np.array([0.16, 0.33, 0.50]), 0.016, 110)])


def _draw_lateral_vessels(ph: Phantom) -> None:
    """Short vessels radiating from the hilum in every direction."""
    rng = ph.rng
    hu, hv = HILUM_LATERAL
    strokes: list[Stroke] = []
    t = np.linspace(0.0, 1.0, 4)
    for angle in np.linspace(0.0, 2 * math.pi, 9, endpoint=False):
        theta = angle + rng.normal(0.0, 0.3)
        length = 0.08 + 0.06 * rng.random()
        bend = rng.normal(0.0, 0.2)
        # Vessels leave the hilum from different points, not from one star centre.
        start_u, start_v = hu + 0.03 * math.cos(theta), hv + 0.04 * math.sin(theta)
        su = start_u + length * t * np.cos(theta + bend * t)
        sv = start_v + length * t * np.sin(theta + bend * t)
        strokes.append((su, sv, 0.006, 100))
        for fork in (-1.0, 1.0):
            child = theta + bend + fork * 0.35
            strokes.append(
                (
                    su[-1] + 0.6 * length * t * math.cos(child),
                    sv[-1] + 0.6 * length * t * math.sin(child),
                    0.0035,
                    80,
                )
            )
    ph.vessels.polylines(strokes)
