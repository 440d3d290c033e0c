"""Support devices: thin, bright, high-contrast lines and a box device, drawn at full resolution."""

from __future__ import annotations

import numpy as np

from medslice.synth.render.frame import bezier, through
from medslice.synth.render.frontal import CARINA_V, FrontalThorax
from medslice.synth.render.lateral import TRACHEA, LateralThorax
from medslice.synth.render.phantom import SIDE_SIGN, Phantom

CM = 0.024  # one centimetre in body units (the image height covers ~42 cm)

# Venous access routes on a frontal view, as waypoints ending in the superior vena cava (patient right
# is image left): jugular from the neck, subclavian under the clavicle, PICC up the arm and across.
CENTRAL_LINE_ROUTES: dict[str, tuple[tuple[float, float], ...]] = {
    "right_ij": ((-0.085, -0.02), (-0.07, 0.10), (-0.055, 0.20), (-0.045, 0.30), (-0.042, 0.37)),
    "left_ij": ((0.085, -0.02), (0.07, 0.10), (0.05, 0.19), (0.0, 0.23), (-0.04, 0.27), (-0.042, 0.37)),
    "right_subclavian": ((-0.30, 0.17), (-0.18, 0.175), (-0.08, 0.19), (-0.05, 0.25), (-0.042, 0.37)),
    "left_subclavian": (
        (0.30, 0.17),
        (0.18, 0.175),
        (0.08, 0.20),
        (0.0, 0.235),
        (-0.04, 0.27),
        (-0.043, 0.38),
    ),
    "right_picc": (
        (-0.42, 0.34),
        (-0.38, 0.22),
        (-0.26, 0.16),
        (-0.12, 0.18),
        (-0.055, 0.24),
        (-0.045, 0.40),
    ),
    "left_picc": (
        (0.42, 0.34),
        (0.38, 0.22),
        (0.26, 0.16),
        (0.10, 0.19),
        (0.0, 0.235),
        (-0.04, 0.28),
        (-0.045, 0.40),
    ),
}


# Radiopaque markers are drawn wide enough to survive downsampling to a classifier's 128-224 px, as the
# real ones do at MIMIC's 2-3k px; thinner, they vanish and no device shortcut can exist.
MARKER_SCALE = 2.5


def _tube(ph: Phantom, u: np.ndarray, v: np.ndarray, width: float, stripe_gap: bool = False) -> None:
    """A plastic tube (faint wall) with a bright radiopaque stripe, optionally with a side-hole gap."""
    ph.sharp.polyline(u, v, width, 30)
    width *= MARKER_SCALE
    if stripe_gap:
        cut = int(len(u) * 0.75)
        ph.sharp.polyline(u[:cut], v[:cut], width * 0.18, 210)
        ph.sharp.polyline(u[cut + 1 :], v[cut + 1 :], width * 0.18, 210)
    else:
        ph.sharp.polyline(u, v, width * 0.18, 210)


def _wire(ph: Phantom, points: tuple[tuple[float, float], ...], value: int = 230) -> None:
    """A thin catheter or lead along a smooth curve through anatomical waypoints."""
    u, v = through(points)
    ph.sharp.polyline(u, v, 0.0032 * MARKER_SCALE, value)


def _generator(ph: Phantom, u: float, v: float, half_u: float, half_v: float) -> None:
    """The pacemaker generator: a bright box with cut corners and a denser battery block."""
    cut = 0.3 * min(half_u, half_v)
    outline_u = np.array(
        [-half_u + cut, half_u - cut, half_u, half_u, half_u - cut, -half_u + cut, -half_u, -half_u]
    )
    outline_v = np.array(
        [-half_v, -half_v, -half_v + cut, half_v - cut, half_v, half_v, half_v - cut, -half_v + cut]
    )
    ph.sharp.polygon(u + outline_u, v + outline_v, 225)
    ph.sharp.polygon(
        [u - half_u * 0.7, u + half_u * 0.2, u + half_u * 0.2, u - half_u * 0.7],
        [v - half_v * 0.6, v - half_v * 0.6, v + half_v * 0.6, v + half_v * 0.6],
        255,
    )


def draw_frontal_devices(ph: Phantom, thorax: FrontalThorax) -> None:
    """Endotracheal tube, chest tube, central venous catheter and pacemaker on a frontal view."""
    spec = ph.spec
    if spec.endotracheal_tube:
        tip = CARINA_V - spec.ett_tip_cm * CM
        u = np.array([-0.010, -0.006, -0.004])
        v = np.array([-0.02, tip * 0.6, tip])
        _tube(ph, u, v, 0.016)
    if spec.chest_tube:
        sign = SIDE_SIGN[spec.chest_tube_side]
        width = thorax.half_width
        u, v = bezier(
            (
                (sign * (width + 0.11), 0.74),
                (sign * (width + 0.01), 0.60),
                (sign * 0.80 * width, 0.26),
                (sign * 0.42 * width, 0.16),
            ),
            30,
        )
        _tube(ph, u, v, 0.013, stripe_gap=True)
    if spec.central_line:
        _wire(ph, CENTRAL_LINE_ROUTES[spec.central_line_type])
    if spec.pacemaker:
        gu, gv = 0.27, 0.17
        _generator(ph, gu, gv, 0.045, 0.033)
        # Leads run under the clavicle into the SVC, to the right atrium and the right ventricular apex.
        _wire(
            ph,
            ((gu - 0.04, gv), (0.16, 0.19), (0.05, 0.21), (-0.035, 0.28), (-0.045, 0.40), (-0.05, 0.48)),
            240,
        )
        if spec.pacemaker_leads >= 2:
            _wire(
                ph,
                (
                    (gu - 0.04, gv + 0.01),
                    (0.15, 0.20),
                    (0.04, 0.22),
                    (-0.03, 0.30),
                    (-0.03, 0.45),
                    (0.05, 0.56),
                    (0.12, 0.62),
                ),
                240,
            )


def draw_lateral_devices(ph: Phantom, lateral: LateralThorax) -> None:
    """The same devices seen from the side."""
    spec = ph.spec
    if spec.endotracheal_tube:
        (u0, v0), (u1, v1) = TRACHEA
        tip = v1 - spec.ett_tip_cm * CM
        t = np.array([0.0, 0.5, 1.0]) * (tip - v0) / (v1 - v0)
        _tube(ph, u0 + (u1 - u0) * t - 0.004, v0 - 0.02 + (v1 - v0) * t, 0.016)
    if spec.chest_tube:
        u, v = bezier(((0.40, 0.72), (0.30, 0.58), (0.18, 0.25), (0.02, 0.17)), 30)
        _tube(ph, u, v, 0.013, stripe_gap=True)
    if spec.central_line:
        start = (0.02, -0.02) if spec.central_line_type.endswith("ij") else (-0.12, 0.12)
        _wire(ph, (start, (-0.03, 0.14), (-0.05, 0.26), (-0.06, 0.38)))
    if spec.pacemaker:
        gu, gv = lateral.anterior - 0.035, 0.18
        _generator(ph, gu, gv, 0.014, 0.035)
        (hu, hv), (ru, rv) = lateral.heart_centre, lateral.heart_radii
        _wire(
            ph,
            (
                (gu, gv + 0.02),
                (gu + 0.1, 0.24),
                (-0.08, 0.34),
                (hu + 0.2 * ru, hv - 0.6 * rv),
                (hu - 0.3 * ru, hv - 0.2 * rv),
            ),
        )
