"""What the report may carry of a release: its settings (``report`` parameters) and the release's kind.

The report's images are radiographs of the release audited. On the synthetic release they are procedural
phantoms; on a real PhysioNet download they are credentialed patient images, which the data-use agreement
forbids sharing. ``report.embed_images`` (conf/base: on, conf/mimic: off) decides whether the report
embeds them; when it does on a release that is not medslice's synthetic one, the report says so at the
top (docs/decisions/0044-credentialed-data.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medslice.mimic.release_text import SYNTHETIC_LICENSE
from medslice.mimic.schemas import LICENSE_FILE
from medslice.typed_settings import Settings

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
class ReportSettings(Settings):
    """The ``report`` parameters block (conf/base/parameters/report.yml); defaults here and nowhere else.

    Attributes
    ----------
    embed_images : bool
        Whether slice cards embed montages of the release's radiographs. Required: each
        environment states it (on for the synthetic release, off for MIMIC-CXR).
    show_variants : Literal['best', 'all']
        ``best`` shows each scenario's best variant's cards; ``all`` every variant's.
    """

    WHERE = REPORT_BLOCK

    embed_images: bool
    show_variants: Literal["best", "all"] = "best"


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
