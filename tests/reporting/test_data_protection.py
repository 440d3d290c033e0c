"""The report's radiographs: embedded only if ``report.embed_images`` says so, with a notice on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from medslice.errors import MedsliceError
from medslice.mimic.release_text import SYNTHETIC_LICENSE
from medslice.reporting import audit
from medslice.reporting.artifacts import VariantTables
from medslice.reporting.audit import ENRICHMENT_FIELDS, build_report
from medslice.reporting.data_protection import (
    CREDENTIALED_NOTICE,
    IMAGES_LEFT_OUT,
    ReportSettings,
    release_is_synthetic,
)
from medslice.slicing.summary import summarize_slices
from tests.reporting.report_inputs import report_artifacts

from .html_inspection import parse

CONF = Path(__file__).resolve().parents[2] / "conf"
EMPTY_SUMMARY = pd.DataFrame(
    columns=["scenario", "variant", "method", "metric", "mean", "ci_low", "ci_high", "n"]
)
PHYSIONET_LICENSE = "PhysioNet Credentialed Health Data License 1.5.0\n"


def _release(root: Path, license_text: str | None) -> pd.DataFrame:
    """Six grey images under ``root`` (and its LICENSE.txt when given); their cohort."""
    ids = [f"d{i}" for i in range(6)]
    for name in ids:
        Image.fromarray(np.full((16, 16), 128, dtype=np.uint8)).save(root / f"{name}.jpg")
    if license_text is not None:
        (root / "LICENSE.txt").write_text(license_text, encoding="utf-8")
    return pd.DataFrame({"dicom_id": ids, "image_path": [f"{name}.jpg" for name in ids]})


def _report(root: Path, cohort: pd.DataFrame, embed_images: bool) -> str:
    """The report of one scenario with one slice of three members."""
    predictions = pd.DataFrame(
        {"dicom_id": cohort["dicom_id"], "bootstrap": 0, "target": [0, 1] * 3, "pred": [1, 1, 1, 0, 0, 1]}
    ).assign(accepted=True)
    membership = np.array([0.9, 0.1, 0.8, 0.2, 0.9, 0.1])
    slices = predictions[["dicom_id", "bootstrap"]].assign(slice_0=membership)
    summary = summarize_slices(
        membership[:, None], predictions["target"].to_numpy(), predictions["pred"].to_numpy()
    ).assign(bootstrap=0)
    explanations = pd.DataFrame(
        columns=["bootstrap", "slice", "kind", "source", "term", "score", "rank", *ENRICHMENT_FIELDS]
    )
    artifacts = report_artifacts(
        EMPTY_SUMMARY,
        scenarios=["user"],
        variants=["image"],
        predictions={"user": predictions},
        tables={("user", "image"): VariantTables(slices, summary, {}, explanations)},
        cohort=cohort,
        image_root=str(root),
        settings=ReportSettings(embed_images=embed_images),
    )
    return build_report(artifacts)


def _text(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())


def _montages(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in parse(html).elements if tag == "img" and attrs.get("class") == "montage"]


@pytest.mark.parametrize("license_text", [SYNTHETIC_LICENSE, PHYSIONET_LICENSE, None])
def test_images_off_leaves_every_radiograph_out_and_says_how_to_turn_them_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, license_text: str | None
) -> None:
    cohort = _release(tmp_path, license_text)

    def refuse(path: str) -> np.ndarray:
        raise AssertionError(f"read {path} with images off")

    monkeypatch.setattr(audit, "_read_image", refuse)
    html = _report(tmp_path, cohort, embed_images=False)
    assert 'data-slice="0"' in html  # the card is there, without its montage
    assert not _montages(html)
    assert "image/jpeg" not in html
    # Only the charts of numbers remain: the precision bar chart (and no forest plot without pairs).
    images = [attrs for tag, attrs in parse(html).elements if tag == "img"]
    assert [str(attrs.get("alt")).split(" ")[0] for attrs in images] == ["Paper"]
    text = _text(html)
    assert IMAGES_LEFT_OUT in text and "report.embed_images: true" in text
    assert CREDENTIALED_NOTICE not in text


def test_images_from_a_real_release_come_with_a_notice_at_the_top(tmp_path: Path) -> None:
    cohort = _release(tmp_path, PHYSIONET_LICENSE)
    html = _report(tmp_path, cohort, embed_images=True)
    assert len(_montages(html)) == 1
    text = _text(html)
    assert CREDENTIALED_NOTICE in text and IMAGES_LEFT_OUT not in text
    assert "MIMIC-CXR" in CREDENTIALED_NOTICE and "PhysioNet data-use agreement" in CREDENTIALED_NOTICE
    # First in the page's header, above the title, as an alert.
    header = html.split('<header class="top">', 1)[1]
    assert header.index(CREDENTIALED_NOTICE) < header.index("<h1>")
    assert any(attrs.get("role") == "alert" for _, attrs in parse(html).elements)


def test_images_from_the_synthetic_release_carry_no_notice(tmp_path: Path) -> None:
    cohort = _release(tmp_path, SYNTHETIC_LICENSE)
    html = _report(tmp_path, cohort, embed_images=True)
    assert len(_montages(html)) == 1
    assert CREDENTIALED_NOTICE not in _text(html) and IMAGES_LEFT_OUT not in _text(html)


def test_only_the_synthetic_writers_licence_marks_a_release_synthetic(tmp_path: Path) -> None:
    assert not release_is_synthetic(tmp_path)  # no LICENSE.txt: treated as real
    (tmp_path / "LICENSE.txt").write_text(PHYSIONET_LICENSE + "synthetic data are not covered\n")
    assert not release_is_synthetic(tmp_path)
    (tmp_path / "LICENSE.txt").write_bytes(b"\xff\xfe\x00")
    assert not release_is_synthetic(tmp_path)
    (tmp_path / "LICENSE.txt").write_text(SYNTHETIC_LICENSE)
    assert release_is_synthetic(tmp_path)
    assert audit.data_version(pd.DataFrame({"dicom_id": ["d0"]}), tmp_path).startswith("synthetic release")


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"report": None},
        {"report": {}},
        {"report": {"embed_image": True}},
        {"report": {"embed_images": 1}},
    ],
)
def test_a_missing_or_misspelt_report_block_is_refused(parameters: dict) -> None:
    with pytest.raises(MedsliceError, match="report"):
        ReportSettings.from_dict(parameters.get("report", {}) if "report" in parameters else None)


def _report_block(env: str) -> dict:
    path = CONF / env / "parameters" / "report.yml"
    return yaml.safe_load(path.read_text())["report"] if path.is_file() else {}


@pytest.mark.parametrize(("env", "embed"), [("base", True), ("tiny", True), ("mimic", False)])
def test_images_are_on_for_the_demo_and_off_for_real_data(env: str, embed: bool) -> None:
    block = {**_report_block("base"), **_report_block(env)}
    assert ReportSettings.from_dict(block).embed_images is embed
