"""Read a JPEG's pixel size from its header, and check its end, without decoding any pixels.

Ingestion checks 377k images; decoding them would take hours, reading the start-of-frame (SOF)
marker and the last few bytes takes microseconds. Kept free of pandas so that worker processes
start fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

# Outcome codes of probe_jpeg, small ints so that results cross process boundaries cheaply.
JPEG_OK = 0
JPEG_MISSING = 1
JPEG_UNREADABLE = 2
# The header is intact but the end-of-image marker is missing: an interrupted download or copy.
# Such a file passes a header check and fails only when a model decodes it, so it is caught here.
JPEG_TRUNCATED = 3

# SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM, RST0-7, SOI.
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})


# Real MIMIC-CXR JPEGs have their frame header within the first few hundred bytes (JFIF APP0, DQT,
# SOF0); one read of this size nearly always suffices, and a longer head is read only when needed.
_HEAD_BYTES = 4096
_MAX_HEADER_BYTES = 1 << 20
# The end-of-image (EOI) marker is the last marker of a JPEG. Encoders and copy tools may append a
# few padding bytes after it (zeros, or 0xFF fill bytes), so the tail is read with room for them;
# a tail that is all padding is read once more, longer, before the file is called truncated.
_EOI = b"\xff\xd9"
_TAIL_BYTES = 32
_MAX_TAIL_BYTES = 4096
_PADDING = b"\x00\xff"


def probe_jpeg(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """Return ``(status, rows, columns)`` of a JPEG file from its header and its last bytes.

    ``status`` is :data:`JPEG_OK`, :data:`JPEG_MISSING` (no such file), :data:`JPEG_UNREADABLE`
    (not a JPEG, truncated before the frame header, or unreadable) or :data:`JPEG_TRUNCATED` (the
    header is intact but the file does not end with the end-of-image marker, trailing padding
    allowed). rows/columns come from the header for OK and TRUNCATED, and are 0 otherwise.
    Raw ``os.read`` calls: at 377k files the buffered-file machinery costs more than the parsing.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return JPEG_MISSING, 0, 0
    except OSError:
        return JPEG_UNREADABLE, 0, 0
    try:
        head = os.read(fd, _HEAD_BYTES)
        result = _parse_header(head)
        if result is None and len(head) == _HEAD_BYTES:
            head += os.read(fd, _MAX_HEADER_BYTES - _HEAD_BYTES)
            result = _parse_header(head)
        if result is not None and result[0] == JPEG_OK and not _ends_with_eoi(fd):
            result = (JPEG_TRUNCATED, result[1], result[2])
    except OSError:
        return JPEG_UNREADABLE, 0, 0
    finally:
        os.close(fd)
    return result if result is not None else (JPEG_UNREADABLE, 0, 0)


def _ends_with_eoi(fd: int) -> bool:
    """True when the file ends with the EOI marker, possibly followed by padding bytes.

    Only the tail is read (``pread`` at end - 32 bytes), so the check costs one small read per file.
    """
    size = os.fstat(fd).st_size
    for length in (_TAIL_BYTES, _MAX_TAIL_BYTES):
        # The EOI's own 0xD9 is not padding, so stripping never eats into the marker itself.
        tail = os.pread(fd, min(length, size), max(size - length, 0)).rstrip(_PADDING)
        # Fewer than two bytes left means the window was (nearly) all padding: look further back.
        if len(tail) >= 2 or length >= size:
            return tail.endswith(_EOI)
    return False


def _parse_header(data: bytes) -> tuple[int, int, int] | None:
    """Walk the marker segments in ``data``; None when they run past its end before the frame
    header."""
    if data[:2] != b"\xff\xd8":
        return JPEG_UNREADABLE, 0, 0
    pos, end = 2, len(data)
    while True:
        if pos >= end:
            return None
        if data[pos] != 0xFF:
            return JPEG_UNREADABLE, 0, 0
        while pos < end and data[pos] == 0xFF:  # fill bytes may pad between segments
            pos += 1
        if pos >= end:
            return None
        code = data[pos]
        pos += 1
        if code in _STANDALONE_MARKERS:
            continue
        if code in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return JPEG_UNREADABLE, 0, 0
        if pos + 2 > end:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return JPEG_UNREADABLE, 0, 0
        if code in _SOF_MARKERS:
            if pos + 7 > end:
                return None
            rows = int.from_bytes(data[pos + 3 : pos + 5], "big")
            columns = int.from_bytes(data[pos + 5 : pos + 7], "big")
            if rows == 0 or columns == 0:
                return JPEG_UNREADABLE, 0, 0
            return JPEG_OK, rows, columns
        pos += length


def probe_jpegs(paths: Sequence[str]) -> list[tuple[int, int, int]]:
    """:func:`probe_jpeg` for each path, in order (the unit of work of one pool task)."""
    return [probe_jpeg(path) for path in paths]
