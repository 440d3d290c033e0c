"""Findings drawn into a phantom: what each CheXpert label looks like on a frontal and a lateral view."""

from __future__ import annotations

import numpy as np
from PIL import Image

from medslice.synth.render.frame import ramp
from medslice.synth.render.frontal import HILUM, FrontalThorax
from medslice.synth.render.lateral import LateralThorax
from medslice.synth.render.phantom import SEVERITY_AMPLITUDE, SIDE_SIGN, Phantom, gauss

# Centre (as a fraction of the thorax half-width, height) of each lung zone on a frontal view.
FRONTAL_ZONES: dict[str, tuple[float, float]] = {
    "right_upper": (-0.55, 0.24),
    "right_middle": (-0.45, 0.50),
    "right_lower": (-0.58, 0.58),
    "left_upper": (0.55, 0.25),
    "lingula": (0.62, 0.50),
    "left_lower": (0.62, 0.59),
}
# Centre (u, v) of each zone on a lateral view (anterior is image left): lower lobes are posterior.
LATERAL_ZONES: dict[str, tuple[float, float]] = {
    "right_upper": (0.02, 0.25),
    "right_middle": (-0.14, 0.47),
    "right_lower": (0.16, 0.58),
    "left_upper": (0.0, 0.27),
    "lingula": (-0.12, 0.45),
    "left_lower": (0.18, 0.60),
}
# Pleural effusion meniscus height above the costophrenic angle, by severity.
EFFUSION_LEVEL: dict[str, float] = {"mild": 0.04, "moderate": 0.12, "severe": 0.24}
# Fraction of the lung that stays expanded under a pneumothorax, by severity.
PNEUMOTHORAX_REMAINING: dict[str, float] = {"mild": 0.86, "moderate": 0.72, "severe": 0.55}


def _sides(side: str) -> tuple[str, ...]:
    return ("right", "left") if side == "bilateral" else (side,)


def _jitter(ph: Phantom, spread: float = 0.015, limit: float = 0.03) -> float:
    """A study-consistent small offset, bounded so that a lesion stays in its zone."""
    return float(np.clip(ph.study_rng.normal(0.0, spread), -limit, limit))


def _patchy(ph: Phantom, shape: tuple[int, int], threshold: float) -> np.ndarray:
    """A patchy, study-consistent texture in [0, 1] (blotches of a smooth random field)."""
    h, w = ph.density.shape
    field = ph.study_rng.random(shape, dtype=np.float32)
    smooth = np.asarray(Image.fromarray(field, mode="F").resize((w, h), Image.Resampling.BICUBIC))
    return np.clip((smooth - threshold) / (1.0 - threshold), 0.0, 1.0) ** 0.7


# --------------------------------------------------------------------------------------------- frontal


def draw_frontal_findings(ph: Phantom, thorax: FrontalThorax) -> None:
    """Draw every finding of ``ph.spec`` on a frontal view (cardiomegaly and a wide mediastinum are
    already in the thorax geometry)."""
    spec = ph.spec
    u, v = ph.u, ph.v
    lungs = ph.lungs
    if spec.edema_severity:
        _frontal_edema(ph, thorax, lungs)
    for finding, density in (("lung_opacity", 0.22), ("pneumonia", 0.30), ("consolidation", 0.34)):
        severity = getattr(spec, f"{finding}_severity")
        if severity:
            zone = getattr(spec, f"{finding}_zone")
            _frontal_opacity(ph, thorax, lungs, zone=zone, severity=severity, density=density)
    if spec.atelectasis_severity:
        _frontal_atelectasis(ph, thorax)
    if spec.lung_lesion_severity:
        zu, zv = FRONTAL_ZONES[spec.lung_lesion_zone]
        cu = zu * thorax.half_width + _jitter(ph)
        cv = zv + _jitter(ph)
        radius = spec.lung_lesion_size_mm * 0.0011  # ~1 body unit = 40 cm of detector
        nodule = ramp(radius - np.sqrt((u - cu) ** 2 + (v - cv) ** 2), 0.004)
        ph.density += 0.26 * nodule
    if spec.pleural_other_severity:
        _frontal_pleural_thickening(ph, thorax)
    if spec.pleural_effusion_severity:
        for side in _sides(spec.pleural_effusion_side):
            _frontal_effusion(ph, thorax, side)
    if spec.pneumothorax_severity:
        _frontal_pneumothorax(ph, thorax, spec.pneumothorax_side)


def _frontal_edema(ph: Phantom, thorax: FrontalThorax, lungs: np.ndarray) -> None:
    """Perihilar (bat-wing) haze, indistinct vessels and Kerley B lines at the bases."""
    amplitude = SEVERITY_AMPLITUDE[ph.spec.edema_severity]
    u, v = ph.u, ph.v
    haze = sum(gauss(u, v, (hu * 1.6, hv + 0.03), (0.11, 0.13)) for hu, hv in HILUM.values())
    ph.density += (0.20 * amplitude) * haze * lungs * (0.8 + 0.4 * _patchy(ph, (10, 8), 0.3))
    # Interstitial fluid blurs the vessel outlines.
    ph.markable *= 1.0 - 0.5 * amplitude * np.clip(haze, 0.0, 1.0)
    strokes = []
    for side in ("right", "left"):
        sign = SIDE_SIGN[side]
        edge = thorax.half_width
        for k in range(int(3 + 4 * amplitude)):
            lv = thorax.costophrenic - 0.03 - 0.014 * k
            strokes.append(
                (np.array([sign * (edge - 0.002), sign * (edge - 0.03)]), np.array([lv, lv]), 0.004, 110)
            )
    ph.soft.polylines(strokes)


def _frontal_opacity(
    ph: Phantom,
    thorax: FrontalThorax,
    lungs: np.ndarray,
    *,
    zone: str,
    severity: str,
    density: float,
) -> None:
    """Patchy airspace opacity in one zone; denser for consolidation than for a vague opacity."""
    amplitude = SEVERITY_AMPLITUDE[severity]
    zu, zv = FRONTAL_ZONES[zone]
    cu = zu * thorax.half_width
    radius = 0.06 + 0.06 * amplitude
    envelope = gauss(ph.u, ph.v, (cu, zv), (radius * 1.1, radius))
    patches = _patchy(ph, (14, 12), 0.35)
    opacity = np.clip(envelope * (0.45 + 0.9 * patches), 0.0, 1.0) * lungs
    ph.density += (density * (0.6 + 0.4 * amplitude)) * opacity
    ph.markable *= 1.0 - 0.8 * opacity


def _frontal_atelectasis(ph: Phantom, thorax: FrontalThorax) -> None:
    """Plate-like (linear) atelectasis: short dense bands above the hemidiaphragm(s)."""
    spec = ph.spec
    amplitude = SEVERITY_AMPLITUDE[spec.atelectasis_severity]
    strokes = []
    for side in _sides(spec.atelectasis_side):
        sign = SIDE_SIGN[side]
        base = thorax.dome[side]
        for k in range(1 + int(amplitude > 0.6)):
            u0 = sign * thorax.half_width * (0.30 + 0.05 * k)
            u1 = sign * thorax.half_width * (0.82 - 0.1 * k)
            v0 = base - 0.04 - 0.04 * k + _jitter(ph, 0.006, 0.012)
            tilt = 0.015 + _jitter(ph, 0.01, 0.015)
            width = 0.010 + 0.008 * amplitude
            strokes.append((np.array([u0, u1]), np.array([v0, v0 - tilt]), width, 150))
    ph.soft.polylines(strokes)


def _frontal_pleural_thickening(ph: Phantom, thorax: FrontalThorax) -> None:
    """A band of pleural thickening along the lateral chest wall, with an apical cap."""
    spec = ph.spec
    side = spec.pleural_other_side
    thickness = 0.010 + 0.012 * SEVERITY_AMPLITUDE[spec.pleural_other_severity]
    lung = ph.lungs * ph.side(side)
    inner = thorax.lateral_border(ph.v) - thickness
    band = ramp(np.abs(ph.u) - inner, 0.006) * ramp(ph.v - 0.16, 0.04) * ramp(0.62 - ph.v, 0.06)
    cap = ramp(thorax.apex_top(np.abs(ph.u)) + thickness * 1.5 - ph.v, 0.006)
    region = np.clip(band + cap, 0.0, 1.0) * lung
    ph.density += 0.30 * region
    ph.markable *= 1.0 - region


def _frontal_effusion(ph: Phantom, thorax: FrontalThorax, side: str) -> None:
    """A meniscus that blunts the costophrenic angle (erect) or a layering haze (recumbent)."""
    spec = ph.spec
    severity = spec.pleural_effusion_severity
    u, v = ph.u, ph.v
    space = ph.lungs * ph.side(side)
    if spec.orientation == "recumbent":
        amplitude = SEVERITY_AMPLITUDE[severity]
        gradient = 0.35 + 0.65 * np.clip((v - 0.25) / 0.45, 0.0, 1.0)
        haze = space * gradient * (0.10 + 0.14 * amplitude)
        blunt = space * ramp(v - (thorax.costophrenic - 0.04 - 0.03 * amplitude), 0.02)
        ph.density += haze + 0.28 * blunt
        ph.markable *= 1.0 - 0.6 * gradient * space
        return
    medial = thorax.medial_border(v, side)
    reach = np.clip((np.abs(u) - medial) / (thorax.half_width - medial + 1e-3), 0.0, 1.0)
    # The meniscus climbs laterally along the chest wall.
    level = thorax.costophrenic - EFFUSION_LEVEL[severity] - 0.10 * reach**2
    fluid = space * ramp(v - level, 0.035)
    ph.density += 0.34 * fluid
    ph.markable *= 1.0 - fluid


def _frontal_pneumothorax(ph: Phantom, thorax: FrontalThorax, side: str) -> None:
    """A visceral pleural line with no lung markings (and more lucency) between it and the chest wall."""
    spec = ph.spec
    remaining = PNEUMOTHORAX_REMAINING[spec.pneumothorax_severity]
    sign = SIDE_SIGN[side]
    # The lung collapses towards a point low in the hemithorax: the gap is widest at the apex.
    cu, cv = sign * 0.55 * thorax.half_width, thorax.dome[side] - 0.02
    u, v = ph.u, ph.v
    lung = ph.lungs * ph.side(side)
    collapsed = thorax.lungs(cu + (u - cu) / remaining, cv + (v - cv) / remaining) * ph.side(side)
    gap = np.clip(lung - collapsed, 0.0, 1.0)
    ph.density -= 0.06 * gap
    ph.markable *= 1.0 - gap
    # The pleural line: the outline of the collapsed lung (apex dome and lateral border), scaled.
    top_u = np.linspace(0.07, 0.17, 6)
    lat_v = np.linspace(thorax.apex + 0.012, thorax.dome[side] - 0.03, 16)
    border_u = np.concatenate([top_u, thorax.lateral_border(lat_v)]) * sign
    border_v = np.concatenate([thorax.apex_top(top_u), lat_v])
    line_u = cu + (border_u - cu) * remaining
    line_v = cv + (border_v - cv) * remaining
    ph.sharp.polyline(line_u, line_v, 0.0022, 75)


# --------------------------------------------------------------------------------------------- lateral


def draw_lateral_findings(ph: Phantom, lateral: LateralThorax) -> None:
    """Draw the findings that show on a lateral view (cardiomegaly is in the lateral geometry)."""
    spec = ph.spec
    u, v = ph.u, ph.v
    lung = ph.lungs
    if spec.edema_severity:
        amplitude = SEVERITY_AMPLITUDE[spec.edema_severity]
        haze = gauss(u, v, (0.03, 0.42), (0.14, 0.13))
        ph.density += 0.18 * amplitude * haze * lung
        ph.markable *= 1.0 - 0.5 * amplitude * haze
    for finding, density in (("lung_opacity", 0.14), ("pneumonia", 0.22), ("consolidation", 0.28)):
        severity = getattr(spec, f"{finding}_severity")
        if severity:
            cu, cv = LATERAL_ZONES[getattr(spec, f"{finding}_zone")]
            amplitude = SEVERITY_AMPLITUDE[severity]
            radius = 0.06 + 0.05 * amplitude
            envelope = gauss(u, v, (cu, cv), (radius * 1.2, radius))
            opacity = np.clip(envelope * (0.45 + 0.9 * _patchy(ph, (14, 12), 0.35)), 0.0, 1.0) * lung
            ph.density += density * (0.6 + 0.4 * amplitude) * opacity
            ph.markable *= 1.0 - 0.8 * opacity
    if spec.atelectasis_severity:
        amplitude = SEVERITY_AMPLITUDE[spec.atelectasis_severity]
        base = lateral.dome
        ph.soft.polylines(
            [(np.array([-0.05, 0.22]), np.array([base - 0.06, base - 0.03]), 0.008 + 0.006 * amplitude, 180)]
        )
    if spec.lung_lesion_severity:
        cu, cv = LATERAL_ZONES[spec.lung_lesion_zone]
        cu += _jitter(ph)
        cv += _jitter(ph)
        radius = spec.lung_lesion_size_mm * 0.0011
        ph.density += 0.22 * ramp(radius - np.sqrt((u - cu) ** 2 + (v - cv) ** 2), 0.004)
    if spec.pleural_effusion_severity:
        # Fluid collects in the deep posterior costophrenic sulcus first.
        severity = spec.pleural_effusion_severity
        level = lateral.diaphragm(u) - EFFUSION_LEVEL[severity] * 1.2 - 0.04
        posterior = ramp(u - (0.05 - 0.25 * SEVERITY_AMPLITUDE[severity]), 0.08)
        fluid = lung * ramp(v - level, 0.02) * posterior
        amount = 1.5 if spec.pleural_effusion_side == "bilateral" else 1.0
        ph.density += 0.24 * amount * fluid
        ph.markable *= 1.0 - fluid
    if spec.pleural_other_severity:
        band = ramp(u - (lateral.posterior - 0.02), 0.01) * ramp(0.55 - v, 0.05) * lung
        ph.density += 0.12 * band
    if spec.pneumothorax_severity and spec.pneumothorax_severity != "mild":
        # Retrosternal and apical lucency without markings; the lateral view shows little else.
        remaining = PNEUMOTHORAX_REMAINING[spec.pneumothorax_severity]
        gap = lung * ramp(lateral.apex + (1.0 - remaining) * 0.4 - v, 0.02)
        ph.density -= 0.05 * gap
        ph.markable *= 1.0 - gap
