"""Shards and locked features keyed by the images' content: repaired or rewritten files are embedded again."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from PIL import Image

from medslice.encoders.fingerprints import MISSING, FileFingerprints, content_identities, file_digest
from medslice.encoders.image_loading import decode_grayscale
from medslice.encoders.locked_towers import image_key
from medslice.encoders.sharded import MEMBERS_METADATA_KEY, embed_in_shards, embeddings_from_frame

from .conftest import write_phantoms

IDENTITY = {"encoder": "pixel-stats", "size": 16}
AN_HOUR_AGO_NS = 3_600 * 10**9


class PixelEncoder:
    """Decodes each JPEG at 16 px and returns its row means; NaN rows for files that do not decode."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, paths: list[str]) -> np.ndarray:
        self.calls.append([Path(p).name for p in paths])
        rows = []
        for path in paths:
            try:
                rows.append(decode_grayscale(path, 16).mean(axis=1).astype(np.float32))
            except Exception:  # noqa: BLE001  (any decoding failure is an unreadable image)
                rows.append(np.full(16, np.nan, np.float32))
        return np.stack(rows)


def _age(paths: list[Path]) -> None:
    """Set the files' mtimes an hour back, as files of a release are: the record then trusts them."""
    for path in paths:
        past = path.stat().st_mtime_ns - AN_HOUR_AGO_NS
        os.utime(path, ns=(past, past))


def _embed(paths: list[Path], shard_dir: Path, record: Path | None, encoder: PixelEncoder) -> pd.DataFrame:
    names = [str(p) for p in paths]
    return embed_in_shards(
        [p.stem for p in paths],
        names,
        encoder,
        shard_dir,
        2,
        IDENTITY,
        progress=False,
        content_keys=content_identities(names, record),
    )


def test_repaired_and_rewritten_images_re_embed_only_their_shards(tmp_path: Path) -> None:
    paths = write_phantoms(tmp_path / "images", 6)
    good_bytes = paths[1].read_bytes()
    paths[1].write_bytes(good_bytes[:500])  # a truncated JPEG: unreadable on the first run
    _age(paths)
    shard_dir, record = tmp_path / "shards", tmp_path / "file-fingerprints.json"

    first_encoder = PixelEncoder()
    first = embeddings_from_frame(_embed(paths, shard_dir, record, first_encoder))
    assert len(first_encoder.calls) == 3
    assert np.isnan(first[1]).all()
    assert np.isfinite(np.delete(first, 1, axis=0)).all()
    shards = sorted(shard_dir.glob("shard-*.parquet"))
    before = {s.name: (s.stat().st_ino, s.stat().st_mtime_ns) for s in shards}

    # Repair image 1 (shard 0) and give image 4 (shard 2) other pixels; shard 1 is untouched.
    paths[1].write_bytes(good_bytes)
    pixels = np.asarray(Image.open(paths[4]))
    Image.fromarray(255 - pixels, mode="L").save(paths[4], quality=92)

    second_encoder = PixelEncoder()
    second = embeddings_from_frame(_embed(paths, shard_dir, record, second_encoder))
    assert second_encoder.calls == [
        ["phantom_00.jpg", "phantom_01.jpg"],
        ["phantom_04.jpg", "phantom_05.jpg"],
    ]
    assert np.isfinite(second).all()  # the repaired image is embedded now
    np.testing.assert_array_equal(second[1], PixelEncoder()([str(paths[1])])[0])
    assert not np.allclose(second[4], first[4])  # the rewritten image has its new embedding
    np.testing.assert_array_equal(np.delete(second, [1, 4], axis=0), np.delete(first, [1, 4], axis=0))
    after = {s.name: (s.stat().st_ino, s.stat().st_mtime_ns) for s in shards}
    assert after["shard-00001.parquet"] == before["shard-00001.parquet"]
    assert after["shard-00000.parquet"] != before["shard-00000.parquet"]
    assert after["shard-00002.parquet"] != before["shard-00002.parquet"]

    third_encoder = PixelEncoder()
    third = embeddings_from_frame(_embed(paths, shard_dir, record, third_encoder))
    assert third_encoder.calls == []
    np.testing.assert_array_equal(third, second)


def test_same_size_and_mtime_with_other_bytes_is_re_embedded(tmp_path: Path) -> None:
    # Uncompressed bitmaps: other pixels, same file size.
    rng = np.random.default_rng(1)
    paths = []
    for i in range(4):
        path = tmp_path / f"bitmap_{i}.bmp"
        Image.fromarray(rng.integers(0, 255, (32, 24), dtype=np.uint8), mode="L").save(path)
        paths.append(path)
    _age(paths)
    shard_dir = tmp_path / "shards"
    # Without a record every file is hashed, so a change that keeps size and mtime (another version of the
    # file copied with `cp -p`) is still seen.
    first = embeddings_from_frame(_embed(paths, shard_dir, None, PixelEncoder()))
    stat = paths[2].stat()
    pixels = np.asarray(Image.open(paths[2]))
    Image.fromarray(255 - pixels, mode="L").save(paths[2])
    os.utime(paths[2], ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (paths[2].stat().st_size, paths[2].stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)

    encoder = PixelEncoder()
    second = embeddings_from_frame(_embed(paths, shard_dir, None, encoder))
    assert encoder.calls == [["bitmap_2.bmp", "bitmap_3.bmp"]]
    assert np.isfinite(second).all()
    assert not np.allclose(second[2], first[2])
    np.testing.assert_array_equal(np.delete(second, 2, axis=0), np.delete(first, 2, axis=0))


def test_record_spares_hashing_unchanged_files(tmp_path: Path) -> None:
    paths = write_phantoms(tmp_path / "images", 4)
    _age(paths)
    record = tmp_path / "file-fingerprints.json"
    first = FileFingerprints(record)
    digests = first.identities(paths + [tmp_path / "absent.jpg"])
    first.save()
    assert first.hashed == 4
    assert digests[:4] == [file_digest(p) for p in paths]
    assert digests[4] == MISSING

    paths[0].write_bytes(paths[0].read_bytes() + b"\0")  # new size and mtime
    second = FileFingerprints(record)
    again = second.identities(paths)
    assert second.hashed == 1
    assert again[1:] == digests[1:4]
    assert again[0] == file_digest(paths[0]) != digests[0]


def test_record_does_not_trust_files_modified_around_the_time_it_was_written(tmp_path: Path) -> None:
    (path,) = write_phantoms(tmp_path / "images", 1)  # mtime is now: within the racy window
    record = tmp_path / "file-fingerprints.json"
    content_identities([path], record)
    fresh = FileFingerprints(record)
    fresh.identities([path])
    assert fresh.hashed == 1


def test_shards_record_their_members_digest(tmp_path: Path) -> None:
    paths = write_phantoms(tmp_path / "images", 2)
    _embed(paths, tmp_path / "shards", tmp_path / "record.json", PixelEncoder())
    metadata = pq.read_schema(tmp_path / "shards" / "shard-00000.parquet").metadata
    assert MEMBERS_METADATA_KEY in metadata


def test_image_key_is_the_content_digest(tmp_path: Path) -> None:
    a, b = write_phantoms(tmp_path / "images", 2)
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(a.read_bytes())
    assert image_key(a) == image_key(copy) == file_digest(a)
    assert image_key(a) != image_key(b)
