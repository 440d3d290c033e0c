"""Synthetic MIMIC-CXR-JPG: procedural chest radiographs, reports and demographics in the exact MIMIC formats.

``generate_release(config, seed)`` returns the tables in memory and a picklable renderer of the pixels;
``medslice.mimic.writer.write_release`` puts them on disk in the PhysioNet layout. Pixels carry the findings,
and reports (hence the CheXpert labels) agree with the pixels up to a small, recorded share of label noise;
``ground_truth`` holds every rendered attribute per image.
"""

from medslice.synth.config import SyntheticConfig
from medslice.synth.release import SyntheticRelease, generate_release
from medslice.synth.render.image import render_image
from medslice.synth.render.spec import ImageSpec

__all__ = ["ImageSpec", "SyntheticConfig", "SyntheticRelease", "generate_release", "render_image"]
