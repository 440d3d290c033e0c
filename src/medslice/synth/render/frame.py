"""Coordinates of a phantom: an upright body-aligned coarse grid, and the full-resolution image.

Anatomy is described in isotropic *body units*: ``v`` runs 0 (top) to 1 (bottom) over the image height and
``u`` is the horizontal offset from the midline in the same unit, so circles stay circles whatever the
detector's aspect ratio. Smooth density fields are computed on a coarse grid aligned with the body, where
``u`` is a row vector and ``v`` a column vector, so that profiles depending on one coordinate cost almost
nothing. Patient positioning (magnification, shift, tilt) is applied once, by an affine resampling of the
coarse field to the full image. Thin sharp structures (devices, the pleural line, text) are drawn directly
at full resolution through the same positioning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from medslice.errors import BadValueError

# The coarse grid never needs more than this many pixels per body unit (~ image height): its edges are
# soft in a radiograph anyway.
MAX_FIELD_ROWS = 384

Stroke = tuple[np.ndarray, np.ndarray, float, int]


@dataclass(frozen=True)
class Frame:
    """Where the body sits in the image: magnification, shift and in-plane tilt.

    Attributes
    ----------
    rows : int
        Image rows.
    columns : int
        Image columns.
    scale : float
        Magnification of the body (1 = reference size).
    shift_u : float
        Horizontal offset of the body centre, in image units.
    shift_v : float
        Vertical offset of the body centre, in image units.
    tilt_deg : float
        In-plane rotation (patient rotation on the detector), degrees.
    """

    rows: int
    columns: int
    scale: float = 1.0
    shift_u: float = 0.0
    shift_v: float = 0.0
    tilt_deg: float = 0.0

    @property
    def _rotation(self) -> tuple[float, float]:
        angle = math.radians(self.tilt_deg)
        return math.cos(angle), math.sin(angle)

    def to_body(self, u_img: np.ndarray, v_img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Body coordinates of image-unit points (``u_img`` from the image centre, ``v_img`` from the top)."""
        cos, sin = self._rotation
        du = np.asarray(u_img, dtype=np.float64) - self.shift_u
        dv = np.asarray(v_img, dtype=np.float64) - 0.5 - self.shift_v
        return (du * cos + dv * sin) / self.scale, 0.5 + (-du * sin + dv * cos) / self.scale

    def to_pixels(self, u: np.ndarray | float, v: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Full-resolution pixel coordinates (x = column, y = row; continuous) of body points."""
        cos, sin = self._rotation
        u = np.asarray(u, dtype=np.float64) * self.scale
        dv = (np.asarray(v, dtype=np.float64) - 0.5) * self.scale
        u_img = self.shift_u + u * cos - dv * sin
        v_img = 0.5 + self.shift_v + u * sin + dv * cos
        return (u_img + 0.5 * self.columns / self.rows) * self.rows, v_img * self.rows

    def pixels_per_unit(self) -> float:
        """Full-resolution pixels per body unit."""
        return self.rows * self.scale

    @property
    def size(self) -> tuple[int, int]:
        """PIL size (width, height) of the image."""
        return self.columns, self.rows

    @cached_property
    def grid(self) -> Grid:
        """The coarse body-aligned grid covering everything visible in the image."""
        half = 0.5 * self.columns / self.rows
        corners_u, corners_v = self.to_body(
            np.array([-half, half, -half, half]), np.array([0.0, 0.0, 1.0, 1.0])
        )
        per_unit = self.rows / max(1, math.ceil(self.rows / MAX_FIELD_ROWS))
        margin = 1.5 / per_unit
        return Grid(
            u0=float(corners_u.min()) - margin,
            v0=float(corners_v.min()) - margin,
            width=math.ceil((corners_u.max() - corners_u.min() + 2 * margin) * per_unit),
            height=math.ceil((corners_v.max() - corners_v.min() + 2 * margin) * per_unit),
            per_unit=per_unit,
        )

    def resample(self, field: np.ndarray) -> np.ndarray:
        """Map a coarse field (on :attr:`grid`) onto the full image: position, tilt and upsampling at once."""
        grid = self.grid
        cos, sin = self._rotation
        k = 1.0 / (self.rows * self.scale)
        half = 0.5 * self.columns / self.rows
        # Body coordinates as affine functions of the output's continuous pixel coordinates (X, Y).
        u_x, u_y = cos * k, sin * k
        u_c = ((-half - self.shift_u) * cos + (-0.5 - self.shift_v) * sin) / self.scale
        v_x, v_y = -sin * k, cos * k
        v_c = 0.5 + ((half + self.shift_u) * sin + (-0.5 - self.shift_v) * cos) / self.scale
        p = grid.per_unit
        coefficients = (
            u_x * p,
            u_y * p,
            (u_c - grid.u0) * p,
            v_x * p,
            v_y * p,
            (v_c - grid.v0) * p,
        )
        image = Image.fromarray(np.ascontiguousarray(field, dtype=np.float32), mode="F")
        resampled = image.transform(
            self.size, Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BILINEAR
        )
        return np.asarray(resampled)


@dataclass(frozen=True)
class Grid:
    """A coarse grid aligned with the body: pixel (i, j) is centred at body point (u0 + (j + .5) / p, ...)."""

    u0: float
    v0: float
    width: int
    height: int
    per_unit: float

    @cached_property
    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Body coordinates of the pixel centres: ``u`` as a row (1, width), ``v`` as a column (height, 1)."""
        u = self.u0 + (np.arange(self.width, dtype=np.float32) + 0.5) / self.per_unit
        v = self.v0 + (np.arange(self.height, dtype=np.float32) + 0.5) / self.per_unit
        return u[None, :].astype(np.float32), v[:, None].astype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        """Numpy shape (height, width)."""
        return self.height, self.width

    @property
    def size(self) -> tuple[int, int]:
        """PIL size (width, height)."""
        return self.width, self.height

    def to_pixels(self, u: np.ndarray | float, v: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Grid pixel coordinates (continuous) of body points."""
        return (np.asarray(u) - self.u0) * self.per_unit, (np.asarray(v) - self.v0) * self.per_unit

    def pixels_per_unit(self) -> float:
        """Grid pixels per body unit."""
        return self.per_unit


class Layer:
    """An 8-bit drawing layer in body units (0 = nothing, 255 = full strength).

    Draw on the coarse :class:`Grid` for soft structures that join the density field, or on the
    full-resolution :class:`Frame` for thin sharp ones.
    """

    def __init__(self, target: Frame | Grid) -> None:
        """Create an empty layer the size of ``target``."""
        self.target = target
        self.image = Image.new("L", target.size, 0)
        self.draw = ImageDraw.Draw(self.image)
        self.empty = True

    def width(self, body_units: float) -> int:
        """Line width in pixels of a structure ``body_units`` thick (at least one pixel)."""
        return max(1, round(body_units * self.target.pixels_per_unit()))

    def polyline(
        self, u: Sequence[float] | np.ndarray, v: Sequence[float] | np.ndarray, thickness: float, value: int
    ) -> None:
        """Draw a polyline through body points with rounded joints."""
        self.polylines([(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64), thickness, value)])

    def polylines(self, strokes: Sequence[Stroke]) -> None:
        """Draw many polylines ``(u, v, thickness, value)`` with one coordinate transform."""
        if not strokes:
            return
        sizes = [len(stroke[0]) for stroke in strokes]
        x, y = self.target.to_pixels(
            np.concatenate([np.asarray(stroke[0], dtype=np.float64) for stroke in strokes]),
            np.concatenate([np.asarray(stroke[1], dtype=np.float64) for stroke in strokes]),
        )
        xy = np.stack([x, y], axis=1).tolist()
        start = 0
        for size, (_, _, thickness, value) in zip(sizes, strokes, strict=True):
            if size >= 2:
                points = [(p[0], p[1]) for p in xy[start : start + size]]
                self.draw.line(points, fill=int(value), width=self.width(thickness), joint="curve")
            start += size
        self.empty = False

    def ellipse(self, u: float, v: float, ru: float, rv: float, value: int) -> None:
        """Fill an ellipse centred at a body point (axis-aligned on the layer)."""
        x0, y0 = self.target.to_pixels(u - ru, v - rv)
        x1, y1 = self.target.to_pixels(u + ru, v + rv)
        box = [float(min(x0, x1)), float(min(y0, y1)), float(max(x0, x1)), float(max(y0, y1))]
        self.draw.ellipse(box, fill=int(value))
        self.empty = False

    def polygon(self, u: Sequence[float] | np.ndarray, v: Sequence[float] | np.ndarray, value: int) -> None:
        """Fill a polygon given by body points."""
        x, y = self.target.to_pixels(np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64))
        self.draw.polygon(list(zip(x.tolist(), y.tolist(), strict=True)), fill=int(value))
        self.empty = False

    def as_array(self, blur_units: float = 0.0) -> np.ndarray:
        """The layer as float32 in [0, 1], optionally box-blurred by ``blur_units`` body units."""
        image = self.image
        radius = blur_units * self.target.pixels_per_unit()
        if radius >= 0.5:
            image = image.filter(ImageFilter.BoxBlur(radius))
        return np.asarray(image, dtype=np.float32) * np.float32(1.0 / 255.0)


def ramp(x: np.ndarray, width: float) -> np.ndarray:
    """A soft step: 0 for x << 0, 1 for x >> 0, linear over ``width`` (cheaper than a sigmoid)."""
    out = np.multiply(x, np.float32(1.0 / width), dtype=np.float32)
    out += np.float32(0.5)
    return np.clip(out, 0.0, 1.0, out=out)


def bump(x: np.ndarray | float, centre: float, width: float) -> np.ndarray:
    """A Gaussian bump of height 1."""
    return np.exp(-(((np.asarray(x, dtype=np.float32) - np.float32(centre)) / np.float32(width)) ** 2))


def bezier(points: Sequence[tuple[float, float]], n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Sample a quadratic or cubic Bezier curve given by its control points (body units)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    p = np.asarray(points, dtype=np.float64)
    if len(p) == 3:
        curve = (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t**2 * p[2]
    elif len(p) == 4:
        curve = (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
    else:
        raise BadValueError(f"points must hold 3 or 4 control points, got {len(p)}")
    return curve[:, 0], curve[:, 1]


def through(points: Sequence[tuple[float, float]], per_segment: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A smooth curve passing through every waypoint (uniform Catmull-Rom spline), body units."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 2:
        raise BadValueError(f"points must hold at least 2 waypoints, got {len(p)}")
    padded = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    pieces = []
    for k in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[k - 1], padded[k], padded[k + 1], padded[k + 2]
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    curve = np.vstack([*pieces, p[-1:]])
    return curve[:, 0], curve[:, 1]
