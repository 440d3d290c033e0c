"""Credentialed data stays where it belongs: no kedro-viz preview and no log line shows patient data.

The checks read the catalog of the ``mimic`` environment (what a real run uses) and the outputs of the
tiny audit (the ``tiny_audit`` fixture), whose synthetic release stands in for the real one.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.io.catalog_config_resolver import CatalogConfigResolver
from kedro.utils import load_obj

from tests.tiny_project import PROJECT, kedro_command, kedro_environment, new_project

CONF = PROJECT / "conf"
RELEASE = Path("data/01_raw/mimic-cxr-jpg/2.1.0")
ID_COLUMNS = ("dicom_id", "subject_id", "study_id", "hadm_id")
# The layers whose every dataset is the release's rows, one row per image, study, report or patient.
ROW_LAYERS = ("raw", "intermediate", "primary", "feature", "model_input")


def _config(env: str, key: str) -> dict[str, Any]:
    loader = OmegaConfigLoader(
        str(CONF),
        env=env,
        base_env="base",
        default_run_env="local",
        merge_strategy={"parameters": "soft", "globals": "soft"},
    )
    return dict(loader[key])


def _viz(config: Mapping[str, Any]) -> dict[str, Any]:
    return ((config.get("metadata") or {}).get("kedro-viz")) or {}


def _previewable(config: Mapping[str, Any]) -> bool:
    """Whether kedro-viz could preview the dataset at all: its type has a ``preview`` method."""
    dataset_type = str(config["type"])
    if "." not in dataset_type:
        dataset_type = f"kedro.io.{dataset_type}"
    return hasattr(load_obj(dataset_type), "preview")


@pytest.fixture(scope="module")
def mimic_catalog() -> dict[str, Any]:
    return _config("mimic", "catalog")


def test_mimic_previews_are_off_for_every_dataset_of_the_row_layers(mimic_catalog: dict[str, Any]) -> None:
    """Entries and dataset factories alike: a row layer's dataset shows no preview, unless it has none."""
    assert mimic_catalog["synthetic_ground_truth"]["type"] == "kedro.io.MemoryDataset"  # the mimic override
    checked = [
        name
        for name, config in mimic_catalog.items()
        if not name.startswith("_") and _viz(config).get("layer")
    ]
    in_rows = [name for name in checked if _viz(mimic_catalog[name])["layer"] in ROW_LAYERS]
    assert {"cohort", "reports", "patients", "phrase_bank", "{scenario}.train_set"} <= set(in_rows)
    shown = [
        name
        for name in in_rows
        if _previewable(mimic_catalog[name]) and _viz(mimic_catalog[name]).get("preview") is not False
    ]
    assert not shown, f"kedro-viz would preview patient rows or report text of {shown}"


# --- the tiny audit's outputs ------------------------------------------------------------------------


def _release_ids(project: Path) -> set[str]:
    metadata = pd.read_csv(project / RELEASE / "mimic-cxr-2.0.0-metadata.csv.gz", dtype=str)
    return set(metadata[["dicom_id", "subject_id", "study_id"]].to_numpy().ravel())


def _report_texts(project: Path) -> list[str]:
    return [
        " ".join(path.read_text().split()) for path in sorted((project / RELEASE).glob("files/p*/p*/s*.txt"))
    ]


def _sentences(project: Path, n: int = 200) -> list[str]:
    """Up to ``n`` distinct sentences of the release's reports, long enough to be unmistakable."""
    found: dict[str, None] = {}
    for text in _report_texts(project):
        for sentence in re.split(r"(?<=[.:])\s+", text):
            if len(sentence) >= 25 and not sentence.isupper() and "___" not in sentence:
                found.setdefault(sentence)
    sample = list(found)
    assert len(sample) >= 20, "the tiny release has too few report sentences to test with"
    return sample[:: max(1, len(sample) // n)]


def _files(folder: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_text(encoding="utf-8", errors="ignore")


@pytest.fixture(scope="module")
def viz_build(tiny_audit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``kedro viz build --include-previews`` over the tiny audit's data, in a copy of its project.

    The copy links to the audit's data, so the audit's project stays as it was; kedro-viz only reads it.
    It builds offline: the static site comes with the package, and DO_NOT_TRACK is set.
    """
    project = new_project(tmp_path_factory.mktemp("viz"))
    (project / "data").rename(project / "empty_data")
    (project / "data").symlink_to(tiny_audit / "data", target_is_directory=True)
    result = subprocess.run(
        kedro_command("viz", "build", "--include-previews"),
        cwd=project,
        env=kedro_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"kedro viz build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    build = project / "build"
    assert (build / "api" / "main").is_file()
    return build


def test_the_viz_build_shows_no_id_and_no_report_sentence(tiny_audit: Path, viz_build: Path) -> None:
    ids = _release_ids(tiny_audit)
    sentences = _sentences(tiny_audit)
    previews = 0
    for path, text in _files(viz_build):
        previews += text.count('"preview":{') + text.count('"preview": {')
        flat = " ".join(text.split())
        assert not [i for i in ids if i in text], f"{path} holds ids of the release"
        assert not [s for s in sentences if s in flat], f"{path} holds report sentences"
    assert previews > 0, "no preview was built: the check proves nothing"


def _holds_patient_data(value: Any, ids: set[str], corpus: str) -> str | None:
    """Why ``value`` (a loaded dataset) holds patient data, or None: ids, or words of the reports."""
    if isinstance(value, pa.Table):
        value = value.drop_columns([c for c in value.column_names if c == "embedding"]).to_pandas()
    if isinstance(value, pd.DataFrame):
        id_columns = [column for column in ID_COLUMNS if column in value]
        if id_columns:
            return f"columns {id_columns}"
        for column in value.select_dtypes(include=["object", "string"]):
            words = {str(v).lower() for v in value[column].dropna().unique()}
            from_reports = {w for w in words if re.fullmatch(r"[a-z][a-z ]{2,}", w) and f" {w} " in corpus}
            if len(from_reports) >= 3:
                return f"column {column!r} holds words of the reports, e.g. {sorted(from_reports)[:3]}"
        return None
    if isinstance(value, (Mapping, list)):
        text = json.dumps(value, default=str)
        return "ids of the release" if any(i in text for i in ids) else None
    return None


def test_every_dataset_holding_ids_or_report_text_has_its_preview_off(
    tiny_audit: Path, viz_build: Path, mimic_catalog: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every data node of every pipeline, by what the tiny audit wrote into it, against mimic's catalog."""
    nodes = json.loads((viz_build / "api" / "main").read_text())["nodes"]
    names = sorted({node["name"] for node in nodes if node["type"] == "data"})
    monkeypatch.chdir(tiny_audit)
    tiny = DataCatalog.from_config(_config("tiny", "catalog"))
    mimic = CatalogConfigResolver(mimic_catalog)
    ids = _release_ids(tiny_audit)
    corpus = " " + " ".join(re.sub(r"[^a-z ]", " ", t.lower()) for t in _report_texts(tiny_audit)) + " "
    corpus = " ".join(corpus.split()).join("  ")
    flagged, shown = {}, []
    for name in names:
        try:
            value = tiny.load(name)
        except Exception:  # noqa: BLE001 - not written by the tiny audit (user.*, a MemoryDataset): skipped
            continue
        reason = _holds_patient_data(value, ids, corpus)
        if reason is None:
            continue
        flagged[name] = reason
        config = mimic.resolve_pattern(name)
        if _previewable(config) and _viz(config).get("preview") is not False:
            shown.append(f"{name}: {reason}")
    assert {"cohort", "reports", "noisy_label.report.explanations", "noisy_label.predictions"} <= set(flagged)
    assert not shown, "kedro-viz previews patient data under --env=mimic:\n" + "\n".join(shown)


def test_no_log_line_prints_report_text(tiny_audit: Path, tmp_path: Path) -> None:
    """The tiny audit's info.log, and what an ingestion run (it parses every report) prints."""
    sentences = _sentences(tiny_audit)
    project = new_project(tmp_path / "project", raw_from=tiny_audit)
    result = subprocess.run(
        kedro_command("run", "--pipelines=ingestion", "--env=tiny"),
        cwd=project,
        # A wide console, so that Rich does not wrap a logged sentence across lines.
        env={**kedro_environment(), "COLUMNS": "1000"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    logs = {
        "info.log of the tiny audit": (tiny_audit / "info.log").read_text(encoding="utf-8"),
        "stdout of ingestion": result.stdout,
        "stderr of ingestion": result.stderr,
        "info.log of ingestion": (project / "info.log").read_text(encoding="utf-8"),
    }
    assert "Running node" in logs["info.log of the tiny audit"]
    for label, text in logs.items():
        flat = " ".join(text.split())
        printed = [sentence for sentence in sentences if sentence in flat]
        assert not printed, f"{label} prints report text: {printed[:3]}"
