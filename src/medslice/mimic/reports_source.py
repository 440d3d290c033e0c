"""Stream the MIMIC-CXR free-text reports from their folder tree or from the release zip.

Kept free of pandas so that report-parsing worker processes start fast.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from medslice.errors import BadValueError, DamagedFileError, MissingFileError

# A report's path ends in pXX/pSUBJECT/sSTUDY.txt, below files/ in both the zip and the tree.
_REPORT_MEMBER = re.compile(r"(?:^|/)p\d{2}/p(\d+)/s(\d+)\.txt$")
_GROUP_FOLDER = re.compile(r"^p\d{2}$")
_SUBJECT_FOLDER = re.compile(r"^p\d+$")
_STUDY_FILE = re.compile(r"^s(\d+)\.txt$")


class MimicCxrReports:
    """The MIMIC-CXR free-text reports: a ``files/pXX/pSUBJECT/sSTUDY.txt`` tree or the release zip.

    ``location`` is ``mimic-cxr-reports.zip``, a folder holding ``files/``, or the ``files/`` folder
    itself (the reports may sit beside the image study folders, as in MIMIC-CXR). Iteration streams
    ``(subject_id, study_id, text)`` sorted by subject then study; texts keep their exact content,
    with line ends normalised to ``\\n`` as the upstream section parser reads them.
    """

    def __init__(self, location: str | Path) -> None:
        location = Path(location)
        if location.is_file():
            if not zipfile.is_zipfile(location):
                raise BadValueError(f"reports location {location} is a file but not a zip archive")
            self._base: Path | None = None
        elif location.is_dir():
            self._base = _reports_base(location)
        else:
            raise MissingFileError(f"reports location {location} does not exist")
        self.location = location
        self._zip: zipfile.ZipFile | None = None

    def __repr__(self) -> str:
        return f"MimicCxrReports({str(self.location)!r})"

    @property
    def is_zip(self) -> bool:
        """True when the reports come from a zip archive."""
        return self._base is None

    @cached_property
    def entries(self) -> list[tuple[int, int, str]]:
        """``(subject_id, study_id, member)`` of every report, sorted; ``member`` is for
        :meth:`read`."""
        found = self._zip_entries() if self.is_zip else self._tree_entries()
        found.sort()
        return found

    def _zip_entries(self) -> list[tuple[int, int, str]]:
        """Report members of the zip archive."""
        found = []
        for name in self._archive().namelist():
            match = _REPORT_MEMBER.search(name)
            if match:
                found.append((int(match.group(1)), int(match.group(2)), name))
        return found

    def _tree_entries(self) -> list[tuple[int, int, str]]:
        """Report files of the folder tree; ``os.scandir`` because this walks ~65k folders."""
        assert self._base is not None
        found = []
        for group in _sorted_dirs(self._base, _GROUP_FOLDER):
            for subject in _sorted_dirs(Path(group.path), _SUBJECT_FOLDER):
                subject_id = int(subject.name[1:])
                with os.scandir(subject.path) as studies:
                    for entry in studies:
                        match = _STUDY_FILE.match(entry.name)
                        if match and entry.is_file():
                            member = f"{group.name}/{subject.name}/{entry.name}"
                            found.append((subject_id, int(match.group(1)), member))
        return found

    def _archive(self) -> zipfile.ZipFile:
        """The open zip archive (opened once per handle, and so once per worker process)."""
        if self._zip is None:
            try:
                self._zip = zipfile.ZipFile(self.location)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
                # is_zipfile only finds the end record; a cut or damaged central directory fails here.
                raise DamagedFileError(
                    f"reports archive {self.location.name} is damaged ({error})",
                    path=self.location,
                    fix="Download mimic-cxr-reports.zip again, or unpack it and point at the folder.",
                ) from error
        return self._zip

    def read(self, member: str) -> str:
        """Text of one report given its ``member`` from :attr:`entries`.

        Raises :class:`DamagedFileError` naming the report (and, for bytes that are not UTF-8, its
        line) when the report is not UTF-8 text or its zip member is damaged.
        """
        if self.is_zip:
            try:
                raw = self._archive().read(member)
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                OSError,
                ValueError,
                NotImplementedError,
            ) as error:
                # NotImplementedError: a damaged header naming a compression method zipfile lacks.
                raise DamagedFileError(
                    f"report {member} cannot be read from {self.location.name} ({error})",
                    path=f"{self.location}:{member}",
                ) from error
            text = _decode(raw, f"{self.location}:{member}")
            return text.replace("\r\n", "\n").replace("\r", "\n")
        assert self._base is not None
        path = self._base / member
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise DamagedFileError(f"report {member} cannot be read ({error.strerror})", path=path) from error
        # Universal newlines, as upstream's text-mode open(...).readlines() gives.
        return _decode(raw, str(path)).replace("\r\n", "\n").replace("\r", "\n")

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        for subject_id, study_id, member in self.entries:
            yield subject_id, study_id, self.read(member)

    def __len__(self) -> int:
        return len(self.entries)


def _decode(raw: bytes, where: str) -> str:
    """UTF-8 text of a report, or :class:`DamagedFileError` naming it and the line of the bad bytes."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DamagedFileError(
            f"report holds bytes that are not UTF-8 text ({error.reason})",
            path=where,
            line=raw[: error.start].count(b"\n") + 1,
        ) from error


def _reports_base(folder: Path) -> Path:
    """The folder that holds the ``pXX`` group folders, given a reports location folder."""
    if (folder / "files").is_dir():
        return folder / "files"
    if any(_GROUP_FOLDER.match(p.name) and p.is_dir() for p in folder.iterdir()):
        return folder
    raise MissingFileError(
        f"{folder} holds no MIMIC-CXR reports: expected files/pXX/pSUBJECT/sSTUDY.txt below it"
    )


def _sorted_dirs(folder: Path, pattern: re.Pattern[str]) -> list[os.DirEntry[str]]:
    """Sub-folders of ``folder`` whose names match ``pattern``, sorted by name."""
    with os.scandir(folder) as entries:
        return sorted((e for e in entries if pattern.match(e.name) and e.is_dir()), key=lambda e: e.name)
