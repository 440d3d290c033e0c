"""A versioned dataset whose newest version cannot be read says so, and names the newest one that can.

Kedro loads the newest version of a versioned dataset. When that file is damaged (a copy cut short, a
disk full, a file edited by hand) Kedro's error is the reader's (``Parquet magic bytes not found in
footer``), with no word of the version or of a way forward. :class:`ReadableVersionsMixin` turns it into
a :class:`CorruptVersionError` that names the version and the newest older version that loads, which
``--load-versions`` can pin; :class:`medslice.hooks.CorruptVersionAdviceHook` adds the dataset's catalog
name and the node that writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import DatasetError, Version

from medslice.errors import MedsliceError

_TRIED = 3  # older versions tried for the newest good one; each try loads a whole file


class CorruptVersionError(MedsliceError, DatasetError):
    """The version a dataset loads exists but cannot be read.

    Attributes: ``version`` (the corrupt one), ``good_version`` (the newest older version that loads,
    or None) and ``path`` (the corrupt file or folder).
    """

    version: str | None = None
    good_version: str | None = None


class ReadableVersionsMixin:
    """Put first in a versioned dataset's bases; datasets that define ``load`` move it to ``_read``."""

    def location(self) -> str:
        """The file or folder this dataset reads and writes (for a versioned one, the folder of versions)."""
        return str(self._filepath)  # type: ignore[attr-defined]

    def pinned_version(self) -> str | None:
        """The version ``--load-versions`` pins this dataset to, if any."""
        version = getattr(self, "_version", None)
        return None if version is None else version.load

    def versions_root(self) -> Path:
        """The folder that holds one sub-folder per version."""
        return Path(str(self._filepath))  # type: ignore[attr-defined]

    def _read(self) -> Any:
        return super().load()  # type: ignore[misc]

    def load(self) -> Any:
        """Load the resolved version; if it exists but cannot be read, raise :class:`CorruptVersionError`."""
        try:
            return self._read()
        except CorruptVersionError:
            raise
        except Exception as error:
            if getattr(self, "_version", None) is None:
                raise
            path = Path(str(self._get_load_path()))  # type: ignore[attr-defined]
            if not path.exists():
                raise
            raise self._corrupt(path, error) from error

    def _corrupt(self, path: Path, error: BaseException) -> CorruptVersionError:
        version = path.parent.name
        good = self._newest_good_version(path.parent.parent, path.name, version)
        cause = error.__cause__ or error
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[-1][:300]
        way_out = (
            f"Rerun the node that writes it, or load the newest good version, {good}, with --load-versions."
            if good
            else "Rerun the node that writes it: no older version loads either."
        )
        corrupt = CorruptVersionError(
            f"version {version} of {path.parent.parent.name} is corrupt and cannot be loaded ({reason})",
            path=path,
            fix=way_out,
        )
        corrupt.version, corrupt.good_version = version, good
        return corrupt

    def _newest_good_version(self, root: Path, name: str, corrupt: str) -> str | None:
        older = sorted(
            (p.name for p in root.iterdir() if (p / name).exists() and p.name < corrupt), reverse=True
        )
        arguments = dict(getattr(self, "_init_args", {}))
        # Kedro records a wrapped __init__'s `*args, **kwargs` under those names.
        if arguments.pop("args", ()):
            return None
        arguments.update(arguments.pop("kwargs", None) or {})
        for version in older[:_TRIED]:
            try:
                type(self)(**{**arguments, "version": Version(version, None)}).load()  # type: ignore[call-arg]
            except Exception:  # noqa: BLE001, S112 - any failure means: not a good version
                continue
            return version
        return None
