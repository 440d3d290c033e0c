"""Benchmark: ``embed_images``' shards in process and on a Dask LocalCluster of one and two workers.

Writes ``--n`` full-size (3056x2544, quality 95) synthetic radiograph-like JPEGs (``image_loading.py``'s
generator), then embeds them with the project's trained encoder (the newest ``data/06_models/encoder``
version, or ``--encoder``) through ``medslice.encoders.embed_in_shards``, the function the ``embed_images``
node calls, with no feature cache, so every image is decoded and run through the whole model:

* ``local``: in process (no Dask client);
* ``dask1``: a ``LocalCluster`` of one one-thread worker;
* ``dask2``: a ``LocalCluster`` of two one-thread workers.

Each run writes its own shard folder; the three embedding matrices must be equal, element for element.
Throughput is images per second of wall time, cluster start-up excluded and model loading included
(each worker loads the model once). The last line is one JSON object with ``local_images_per_s``,
``dask1_images_per_s``, ``dask2_images_per_s``, ``efficiency`` and ``identical``.

Run: ``.venv/bin/python benchmarks/embed_dask.py [--n 96] [--shard-size 8]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from medslice.encoders import embed_in_shards
from medslice.encoders.image_files import ImageFileEncoder
from medslice.encoders.sharded import embeddings_from_frame

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "benchmarks"))
from image_loading import write_synthetic_jpegs  # noqa: E402


def newest_encoder(data: Path) -> Path:
    """The newest trained encoder folder under ``data/06_models/encoder``."""
    folders = sorted((data / "06_models" / "encoder").glob("*/encoder"))
    if not folders:
        raise SystemExit("no trained encoder: run `make demo` (or the embedding pipeline) first")
    return folders[-1]


def timed(paths: list[Path], encode: ImageFileEncoder, shard_size: int, n_workers: int | None) -> tuple:
    """Embed ``paths`` into a fresh shard folder; ``n_workers`` None runs in process."""
    ids = [f"image-{i:05d}" for i in range(len(paths))]
    with tempfile.TemporaryDirectory() as folder:
        args = (ids, [str(p) for p in paths], encode, folder, shard_size, {"benchmark": True})
        if n_workers is None:
            start = time.perf_counter()
            frame = embed_in_shards(*args, id_name="dicom_id", progress=False)
            return time.perf_counter() - start, embeddings_from_frame(frame)
        from distributed import Client, LocalCluster

        from medslice.runner.dask_runner import use_project_dask_config

        use_project_dask_config(PROJECT / "conf" / "dask")  # the workers' environment, as the runner sets it

        with (
            LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            start = time.perf_counter()
            frame = embed_in_shards(*args, id_name="dicom_id", progress=False)
            return time.perf_counter() - start, embeddings_from_frame(frame)


def main() -> None:
    """Embed the same images three ways, compare, print images per second and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--shard-size", type=int, default=8)
    parser.add_argument("--data", type=Path, default=PROJECT / "data")
    parser.add_argument("--encoder", type=Path, default=None, help="an open_clip local-dir model folder")
    args = parser.parse_args()
    encoder = args.encoder or newest_encoder(args.data)
    encode = ImageFileEncoder(f"local-dir:{encoder.resolve()}")
    with tempfile.TemporaryDirectory() as images:
        paths = write_synthetic_jpegs(Path(images), args.n)
        results = {}
        for name, workers in (("local", None), ("dask1", 1), ("dask2", 2)):
            wall, matrix = timed(paths, encode, args.shard_size, workers)
            results[name] = (args.n / wall, matrix)
            print(f"{name:6s} {args.n} images in {wall:6.1f} s: {args.n / wall:6.1f} images/s", flush=True)
    identical = all(np.array_equal(results[n][1], results["local"][1]) for n in ("dask1", "dask2"))
    efficiency = results["dask2"][0] / (2 * results["dask1"][0])
    print(f"embeddings identical to the local ones: {identical}; efficiency {efficiency:.2f}")
    print(
        json.dumps(
            {
                "n_images": args.n,
                "shard_size": args.shard_size,
                "local_images_per_s": round(results["local"][0], 2),
                "dask1_images_per_s": round(results["dask1"][0], 2),
                "dask2_images_per_s": round(results["dask2"][0], 2),
                "efficiency": round(efficiency, 3),
                "identical": identical,
            }
        )
    )


if __name__ == "__main__":
    main()
