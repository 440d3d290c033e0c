"""Render one synthetic radiograph: anatomy, findings, devices, acquisition effects, burnt-in markers."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from medslice.errors import BadValueError
from medslice.synth.render.devices import draw_frontal_devices, draw_lateral_devices
from medslice.synth.render.findings import draw_frontal_findings, draw_lateral_findings
from medslice.synth.render.frame import Frame
from medslice.synth.render.frontal import FrontalThorax, draw_frontal_anatomy
from medslice.synth.render.lateral import LateralThorax, draw_lateral_anatomy
from medslice.synth.render.phantom import SHARP_GAIN, Phantom
from medslice.synth.render.spec import ImageSpec

# Density window mapped to black..white before the display gamma.
WINDOW_LOW = -0.02
WINDOW_HIGH = 1.0
CURVE = np.float32(1.6)


def render_image(spec: ImageSpec | Mapping[str, Any], seed: int) -> np.ndarray:
    """Render one image as uint8 ``(spec.rows, spec.columns)``.

    The result depends only on ``spec`` and ``seed``: texture randomness comes from
    ``np.random.default_rng([seed, image_index])`` (and a per-study generator for shapes shared by the
    study's views), so images can be rendered in any order or in parallel.
    """
    if not isinstance(spec, ImageSpec):
        spec = ImageSpec.from_mapping(spec)
    if spec.rows < 16 or spec.columns < 16:
        raise BadValueError(f"spec: image must be at least 16 x 16 pixels, got {spec.rows} x {spec.columns}")
    frame = Frame(
        rows=spec.rows,
        columns=spec.columns,
        scale=_magnification(spec),
        shift_u=spec.shift_u,
        shift_v=spec.shift_v,
        tilt_deg=spec.tilt_deg,
    )
    ph = Phantom(
        spec=spec,
        frame=frame,
        rng=np.random.default_rng([seed, spec.image_index, 1]),
        study_rng=np.random.default_rng([seed, spec.study_index, 2]),
        cue_rng=np.random.default_rng([seed, spec.study_index, 3]),
    )
    if spec.view == "lateral":
        lateral = LateralThorax.from_spec(spec)
        draw_lateral_anatomy(ph, lateral)
        draw_lateral_findings(ph, lateral)
        draw_lateral_devices(ph, lateral)
    else:
        thorax = FrontalThorax.from_spec(spec)
        draw_frontal_anatomy(ph, thorax)
        draw_frontal_findings(ph, thorax)
        draw_frontal_devices(ph, thorax)
    return _compose(ph)


def _magnification(spec: ImageSpec) -> float:
    """Portable AP films sit closer to the tube: everything is a little larger."""
    return (1.05 if spec.portable else 1.0) * (0.97 + 0.03 * spec.habitus)


def _compose(ph: Phantom) -> np.ndarray:
    """Window, gamma and contrast on the coarse grid; then position and upsample, add sharp lines, noise
    and text."""
    spec = ph.spec
    # A compressive film curve: dense structures (heart, abdomen) saturate softly, so bones overlapping
    # them fade as on a real radiograph.
    density = np.maximum(ph.coarse_density() - WINDOW_LOW, 0.0)
    display = (1.0 - np.exp(-CURVE * density)) * np.float32(1.0 / (1.0 - np.exp(-CURVE * WINDOW_HIGH)))
    display = np.minimum(display, 1.0) ** np.float32(spec.exposure)
    if spec.portable:
        # Scatter and a bedside technique flatten a portable film's contrast.
        display = 0.06 + 0.86 * display
    # Work in 0..255 from here on, so that the full-resolution steps stay few.
    image = ph.frame.resample(display * np.float32(255.0))
    if not ph.sharp.empty:
        image = image + np.asarray(ph.sharp.image, dtype=np.float32) * np.float32(SHARP_GAIN)
    image = image + _noise(ph.rng, image.shape, spec.noise_level * 255.0)
    pixels = np.clip(image, 0.0, 255.0, out=image).astype(np.uint8)
    _burn_in_markers(pixels, spec)
    return pixels


def _noise(rng: np.random.Generator, shape: tuple[int, int], level: float) -> np.ndarray:
    """Quantum noise: a cheap triangular approximation of Gaussian noise with standard deviation ``level``."""
    n = shape[0] * shape[1]
    raw = np.frombuffer(rng.bytes(2 * n), dtype=np.int8)
    # The sum of two uniform bytes has standard deviation 256 / sqrt(6) ~ 104.5.
    triangular = np.add(raw[:n], raw[n:], dtype=np.int16)
    return np.multiply(triangular, np.float32(level / 104.5), dtype=np.float32).reshape(shape)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` pixels (no font file is needed)."""
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=64)
def _text_mask(text: str, size: int) -> np.ndarray:
    """A burnt-in text stamp (uint8 mask of the glyphs), cached per text and size."""
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("L", (max(1, right), max(1, bottom)), 0)
    ImageDraw.Draw(canvas).text((0, 0), text, fill=255, font=font)
    return np.asarray(canvas)


def _stamp(pixels: np.ndarray, text: str, size: int, *, x: int, y: int, value: int) -> None:
    """Burn ``text`` into ``pixels`` with its top-left corner at (x, y), clipped to the image."""
    mask = _text_mask(text, size)
    rows, columns = pixels.shape
    h, w = min(mask.shape[0], rows - y), min(mask.shape[1], columns - x)
    if h <= 0 or w <= 0 or x < 0 or y < 0:
        return
    region = pixels[y : y + h, x : x + w]
    glyph = mask[:h, :w] > 96
    region[glyph] = np.maximum(region[glyph], value)


def _burn_in_markers(pixels: np.ndarray, spec: ImageSpec) -> None:
    """Burn the technologist's markers into the pixels: the side letter and, on portables, PORTABLE."""
    rows, columns = pixels.shape
    size = max(8, round(rows * 0.032))
    margin = round(rows * 0.03)
    side_letter = "L" if spec.view == "frontal" else "LAT"
    letter_width = _text_mask(side_letter, size).shape[1]
    _stamp(pixels, side_letter, size, x=columns - margin - letter_width, y=margin, value=250)
    if spec.portable:
        _stamp(pixels, "PORTABLE", size, x=margin, y=margin, value=245)
        posture = "SUPINE" if spec.orientation == "recumbent" else "SEMI-UPRIGHT"
        _stamp(pixels, posture, size, x=margin, y=margin + round(size * 1.2), value=245)
