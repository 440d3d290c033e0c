"""What the report may carry of a release: its settings (``report`` parameters) and the release's kind.

The report's images are radiographs of the release audited. On the synthetic release they are procedural
phantoms; on a real PhysioNet download they are credentialed patient images, which the data-use agreement
forbids sharing. ``report.embed_images`` (conf/base: on, conf/mimic: off) decides whether the report
embeds them; when it does on a release that is not medslice's synthetic one, the report says so at the
top (docs/decisions/0044-credentialed-data.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from medslice.errors import BadTypeError, BadValueError
from medslice.mimic.release_text import SYNTHETIC_LICENSE
from medslice.mimic.schemas import LICENSE_FILE

REPORT_BLOCK = "report"

IMAGES_LEFT_OUT = (
    "Radiographs were left out of this report (report.embed_images is false); "
    "set report.embed_images: true in the parameters to embed them."
)
CREDENTIALED_NOTICE = (
    "This report contains credentialed patient images from MIMIC-CXR. It must not be shared with anyone "
    "outside the PhysioNet data-use agreement."
)

# The lines of medslice's synthetic LICENSE.txt that say what it is: a release that lacks either is
# treated as real (credentialed), so a missing, edited or PhysioNet licence errs on the side of caution.
SYNTHETIC_MARKERS = (
    SYNTHETIC_LICENSE.splitlines()[0],
    "This folder contains no patient data.",
)


@dataclass(frozen=True)
class ReportSettings:
    """The ``report`` parameters block; its values live in conf/base/parameters/report.yml.

    ``embed_images``: whether slice cards embed montages of the release's radiographs.
    """

    embed_images: bool

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> ReportSettings:
        """Read ``parameters["report"]``: every key present, none unknown, ``embed_images`` a boolean."""
        block = parameters.get(REPORT_BLOCK)
        names = [field.name for field in fields(cls)]
        if not isinstance(block, Mapping):
            raise BadValueError(
                f"The parameters have no {REPORT_BLOCK!r} block (keys {names}).",
                fix="Add it as in conf/base/parameters/report.yml.",
            )
        unknown = sorted(str(key) for key in block if key not in names)
        missing = [name for name in names if name not in block]
        if unknown or missing:
            raise BadValueError(
                f"{REPORT_BLOCK} has unknown key(s) {unknown} and lacks {missing}; known: {names}.",
                fix="Write it as in conf/base/parameters/report.yml.",
            )
        if not isinstance(block["embed_images"], bool):
            raise BadTypeError(
                f"{REPORT_BLOCK}.embed_images must be true or false, got {block['embed_images']!r}."
            )
        return cls(embed_images=block["embed_images"])


def release_is_synthetic(image_root: str | Path) -> bool:
    """Whether ``image_root`` holds medslice's synthetic release, by the LICENSE.txt its writer puts there.

    Anything else (no licence, an unreadable one, PhysioNet's) counts as a real, credentialed release.
    """
    license_file = Path(image_root) / LICENSE_FILE
    try:
        text = license_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return all(marker in text for marker in SYNTHETIC_MARKERS)
