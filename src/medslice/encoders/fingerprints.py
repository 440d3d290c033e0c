"""Content identities of input files, with a record that lets an unchanged file cost only a ``stat``.

A cache entry built from a file must be keyed by the file's bytes, not its path: a repaired JPEG, or one
rewritten with other pixels, must not be served its old result. Hashing 377k JPEGs on every run would
cost a full read of the release, so a small record keeps ``(size, mtime_ns, digest)`` per path. A file
whose size and modification time match its record is not read again; any other file is hashed once and
its entry replaced.

A file modified within the filesystem's timestamp granularity of being hashed can keep the same
``mtime_ns`` with other bytes. Entries whose ``mtime_ns`` is less than :data:`RACY_WINDOW_NS` older
than the moment the record was written are therefore not trusted, and those files are hashed again
(as git does for "racily clean" index entries).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from medslice.runner.checkpoints import write_atomically

FINGERPRINTS_FILE = "file-fingerprints.json"  # the record's name, in the cache folder it serves
MISSING = "missing"
UNREADABLE = "unreadable"
RACY_WINDOW_NS = 2_000_000_000  # FAT and some network filesystems keep 2 s timestamps
RECORD_FORMAT = 1
_CHUNK_BYTES = 1 << 20
_HASH_THREADS = 4  # reads and blake2b both release the GIL


def file_digest(path: str | Path) -> str:
    """``"blake2b:<hex>"`` of a file's bytes (128-bit digest, read in 1 MiB chunks)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return f"blake2b:{digest.hexdigest()}"


class FileFingerprints:
    """Content identities of files, remembered in a JSON record between runs.

    Parameters
    ----------
    record : str or Path or None
        Where the ``{path: [size, mtime_ns, digest]}`` record is kept; None keeps nothing (every
        file is hashed on every call).

    Attributes
    ----------
    hashed : int
        How many files this object has read and hashed (the others cost a ``stat``).
    """

    def __init__(self, record: str | Path | None) -> None:
        self.record = None if record is None else Path(record)
        self.hashed = 0
        self._entries: dict[str, tuple[int, int, str]] = {}
        self._changed = False
        if self.record is not None:
            self._entries = _load_record(self.record)

    def identity(self, path: str | Path) -> str:
        """The content identity of one file: its digest, :data:`MISSING` or :data:`UNREADABLE`."""
        return self.identities([path])[0]

    def identities(self, paths: Sequence[str | Path]) -> list[str]:
        """Content identities of ``paths``, in order; files whose stat matches their record are not read."""
        names = [str(path) for path in paths]
        result: list[str | None] = [None] * len(names)
        to_hash: dict[str, list[int]] = {}
        stats: dict[str, tuple[int, int]] = {}
        for position, name in enumerate(names):
            try:
                stat = os.stat(name)
            except FileNotFoundError:
                result[position] = MISSING
                continue
            except OSError:
                result[position] = UNREADABLE
                continue
            stats[name] = (stat.st_size, stat.st_mtime_ns)
            entry = self._entries.get(name)
            if entry is not None and entry[:2] == stats[name]:
                result[position] = entry[2]
            else:
                to_hash.setdefault(name, []).append(position)
        if to_hash:
            with ThreadPoolExecutor(max_workers=min(_HASH_THREADS, len(to_hash))) as pool:
                digests = list(pool.map(_digest_or_marker, to_hash))
            for name, digest in zip(to_hash, digests, strict=True):
                self.hashed += 1
                for position in to_hash[name]:
                    result[position] = digest
                if digest.startswith("blake2b:"):
                    self._entries[name] = (*stats[name], digest)
                    self._changed = True
                elif self._entries.pop(name, None) is not None:
                    self._changed = True
        return [str(value) for value in result]

    def save(self) -> None:
        """Write the record (atomically) if a file was hashed since it was loaded."""
        if self.record is None or not self._changed:
            return
        payload = {
            "format": RECORD_FORMAT,
            "written_ns": time.time_ns(),
            "files": {name: list(entry) for name, entry in sorted(self._entries.items())},
        }
        write_atomically(self.record, json.dumps(payload, separators=(",", ":")).encode())
        self._changed = False


def _digest_or_marker(name: str) -> str:
    try:
        return file_digest(name)
    except FileNotFoundError:  # removed between the stat and the read
        return MISSING
    except OSError:
        return UNREADABLE


def _load_record(path: Path) -> dict[str, tuple[int, int, str]]:
    """The trusted entries of a record; an unreadable or foreign record counts as empty."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != RECORD_FORMAT:
            return {}
        trusted_before = int(payload["written_ns"]) - RACY_WINDOW_NS
        return {
            str(name): (int(size), int(mtime_ns), str(digest))
            for name, (size, mtime_ns, digest) in payload["files"].items()
            if int(mtime_ns) < trusted_before
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def content_identities(paths: Sequence[str | Path], record: str | Path | None) -> list[str]:
    """Content identities of ``paths`` through the record at ``record``, which is then updated."""
    fingerprints = FileFingerprints(record)
    identities = fingerprints.identities(paths)
    fingerprints.save()
    return identities
