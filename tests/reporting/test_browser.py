"""The report in a real browser: headless Chromium parses it, shows every card, logs no error.

Skips when Chromium is absent; ``make browser`` installs it (apt-get), the tests never do.
Set ``MEDSLICE_SCREENSHOT=docs/audit_report.png`` to keep the screenshot this test takes.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medslice.reporting import SliceCard, render_audit_report

from .html_inspection import cards_in, parse

CHROMIUM_NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
WINDOW = (1280, 2000)


def _find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_or_skip() -> str:
    """The Chromium binary, or a skip saying how to get one; installing is ``make browser``'s job."""
    binary = _find_chromium()
    if binary is None:
        pytest.skip(
            f"Chromium is not installed (looked for {', '.join(CHROMIUM_NAMES)}); `make browser` installs it"
        )
    return binary


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary; the tests skip when there is none (they never install anything)."""
    return chromium_or_skip()


def test_missing_chromium_skips_without_installing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the browser tests must not run anything to find Chromium: {args}")

    monkeypatch.setattr(shutil, "which", lambda name: None)
    for name in ("run", "Popen", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, no_process)
    monkeypatch.setattr(os, "system", no_process)
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        chromium_or_skip()


def run_chromium(binary: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    """Open ``page`` in headless Chromium with a throw-away profile; fail if it hangs."""
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def console_messages(stderr: str) -> list[str]:
    """Lines of Chromium's log that come from the page's console (errors, uncaught exceptions)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_console_detection_catches_a_page_error(chromium: str, tmp_path: Path) -> None:
    # A positive control: without it, "no console messages" could mean "not looking".
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>missingFunction();</script>", encoding="utf-8")
    result = run_chromium(chromium, page, tmp_path / "profile", "--dump-dom")
    assert any("missingFunction" in line for line in console_messages(result.stderr))


def test_report_renders_in_chromium_with_every_card_and_no_console_error(
    chromium: str,
    tmp_path: Path,
    realistic_summary: pd.DataFrame,
    report_cards: list[SliceCard],
    provenance: dict[str, object],
) -> None:
    page = tmp_path / "audit_report.html"
    page.write_text(render_audit_report(realistic_summary, report_cards, provenance), encoding="utf-8")

    dom = run_chromium(chromium, page, tmp_path / "profile", "--dump-dom")
    assert console_messages(dom.stderr) == []
    elements = parse(dom.stdout).elements
    ids = {attrs.get("id") for _, attrs in elements}
    assert {"headline-table", "dcbench-table", "figures", "slices", "provenance"} <= ids
    headline_rows = [
        attrs["data-scenario"] for tag, attrs in elements if tag == "tr" and attrs.get("data-scenario")
    ]
    scenarios = list(dict.fromkeys(realistic_summary["scenario"]))
    assert headline_rows == scenarios * 2  # both tables
    expected = {(c.scenario, c.variant, str(c.slice_index)) for c in report_cards}
    shown = cards_in(dom.stdout)
    assert sorted(shown) == sorted(expected)

    screenshot = tmp_path / "audit_report.png"
    shot = run_chromium(
        chromium,
        page,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    )
    assert console_messages(shot.stderr) == []
    image = Image.open(io.BytesIO(screenshot.read_bytes())).convert("RGB")
    assert image.size == WINDOW
    pixels = np.asarray(image)
    # A blank or failed render is one flat colour; the report has text, tables and a chart.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    target = os.environ.get("MEDSLICE_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, target)
