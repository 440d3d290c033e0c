"""The accumulator that anatomy, findings and devices draw into before the image is composed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from medslice.synth.render.demographic_cues import bone_density
from medslice.synth.render.frame import Frame, Layer
from medslice.synth.render.spec import ImageSpec

SEVERITY_AMPLITUDE: dict[str, float] = {"": 0.0, "mild": 0.55, "moderate": 0.8, "severe": 1.0}
SIDE_SIGN: dict[str, float] = {"right": -1.0, "left": 1.0}

# Scale of the coarse drawing layers in density units (a 255 pixel adds this much).
BONE_GAIN = 0.34
SOFT_GAIN = 0.30
VESSEL_GAIN = 0.16
# Fine parenchymal texture of aerated lung (absent beyond a pneumothorax's pleural line).
PARENCHYMA_GAIN = 0.08
# Full-resolution layer: devices saturate, the pleural line is a faint thin white line.
SHARP_GAIN = 0.9


@dataclass
class Phantom:
    """Density fields (coarse grid) and drawing layers of one image under construction.

    Attributes
    ----------
    spec : ImageSpec
        What to draw.
    frame : Frame
        Body placement in the image.
    rng : np.random.Generator
        This image's random generator (texture only: every clinical attribute is in ``spec``).
    study_rng : np.random.Generator
        A generator shared by the study's images, so that e.g. a pneumonia has the same shape
        on the PA and the lateral view.
    cue_rng : np.random.Generator
        Another generator shared by the study's images, for the shapes of age-related cues
        (osteophytes, a calcified arc); apart from ``study_rng`` so that drawing a cue leaves the
        findings' shapes alone.
    u, v : np.ndarray
        Body coordinates of the coarse grid: ``u`` a row (1, w), ``v`` a column (h, 1).
    density : np.ndarray
        Attenuation on the coarse grid (higher = whiter).
    lungs : np.ndarray
        Mask of the lung fields (set by the anatomy; findings reuse it).
    markable : np.ndarray
        Where lung markings (vessels) show: aerated lung, minus pneumothorax, effusion, ...
    bone : Layer
        Coarse layer of bones (ribs, clavicles, spine), added with :data:`BONE_GAIN` times the
        patient's bone density.
    soft : Layer
        Coarse layer of soft densities (anterior ribs, bands, thickening), added with :data:`SOFT_GAIN`.
    vessels : Layer
        Coarse layer of lung vessels, added inside ``markable`` with :data:`VESSEL_GAIN`.
    sharp : Layer
        Full-resolution layer of thin high-contrast lines (devices, pleural line).
    """

    spec: ImageSpec
    frame: Frame
    rng: np.random.Generator
    study_rng: np.random.Generator
    cue_rng: np.random.Generator
    u: np.ndarray = field(init=False)
    v: np.ndarray = field(init=False)
    density: np.ndarray = field(init=False)
    lungs: np.ndarray = field(init=False)
    markable: np.ndarray = field(init=False)
    bone: Layer = field(init=False)
    soft: Layer = field(init=False)
    vessels: Layer = field(init=False)
    sharp: Layer = field(init=False)

    def __post_init__(self) -> None:
        """Allocate the grids and the empty layers."""
        grid = self.frame.grid
        self.u, self.v = grid.coordinates
        self.density = np.zeros(grid.shape, dtype=np.float32)
        self.lungs = np.zeros(grid.shape, dtype=np.float32)
        self.markable = np.zeros(grid.shape, dtype=np.float32)
        self.bone = Layer(grid)
        self.soft = Layer(grid)
        self.vessels = Layer(grid)
        self.sharp = Layer(self.frame)

    @property
    def bone_density(self) -> float:
        """The patient's bone attenuation relative to a young adult's (it falls with age, faster in women)."""
        return bone_density(self.spec.age, self.spec.sex)

    def side(self, side: str) -> np.ndarray:
        """A (1, w) mask of one side of the body: patient right is ``u < 0``."""
        return ((self.u < 0) if side == "right" else (self.u >= 0)).astype(np.float32)

    def coarse_density(self) -> np.ndarray:
        """The coarse density with the coarse layers added."""
        density = self.density
        if not self.bone.empty:
            density = density + self.bone.as_array() * np.float32(BONE_GAIN * self.bone_density)
        if not self.soft.empty:
            density = density + self.soft.as_array() * np.float32(SOFT_GAIN)
        markable = np.clip(self.markable, 0.0, 1.0)
        texture = self.rng.random(self.density.shape, dtype=np.float32) - np.float32(0.5)
        density = density + texture * markable * np.float32(PARENCHYMA_GAIN)
        if not self.vessels.empty:
            density = density + self.vessels.as_array() * markable * np.float32(VESSEL_GAIN)
        return density


def gauss(
    u: np.ndarray, v: np.ndarray, centre: tuple[float, float], radii: tuple[float, float]
) -> np.ndarray:
    """A separable 2-D Gaussian on the broadcast grid (two 1-D exponentials and one outer product)."""
    (cu, cv), (ru, rv) = centre, radii
    return np.exp(-(((u - np.float32(cu)) / np.float32(ru)) ** 2)) * np.exp(
        -(((v - np.float32(cv)) / np.float32(rv)) ** 2)
    )
