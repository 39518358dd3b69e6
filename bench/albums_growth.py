"""Albums as a library grows: photos added later placed without a regroup, and the indexing
pipeline beside the bare forward on thousands of real files.

Run: python bench/albums_growth.py [place] [throughput] [add] [--sizes 10000 30000 100000] [--files 5000] [--reps 2]

* place — 100 photos added to an album of n placed photos (~n/50 events of 5–500 photos over
  years, 1,280-d vectors as EfficientNet-Lite0's, a tenth without a capture time), placed by
  ``core.albums.incremental.place_new`` from vectors in memory (the cache's): time of the
  placement with its store writes, per n, and the slope of time against n. Of the 100: 60 taken
  during an existing event, 25 without a time (content), 15 a new trip of their own.
* throughput — the whole pipeline (``Album.add``: scan, hash, decode threads, forward, cache,
  EXIF) on ``--files`` real files (events4's photos, then re-encoded copies of them: other
  bytes, so nothing is a cache hit) beside the bare forward as the pipeline runs it (same engine,
  batch and workers, on inputs decoded before the clock starts, in chunks of 256), interleaved
  A B A B, medians.
* add — ``albums add`` end to end on an album of ``--sizes`` real files (hard links of events4's
  photos in folders of 1,000, indexed once and put into events of 50 originals and their copies), from the embedding cache
  (bench-data's, as bench/albums_scale.py): 100 more photos in a new folder, then ``Album.add``
  (scan, cache look-ups, EXIF, store) and ``place_new`` as the CLI runs them, ``--reps`` times (a
  new folder each time), with the time to each step of the index (from its progress messages);
  interleaved with ``Album.add(..., full=True)`` (every watched folder scanned, checked and written
  again, as before adding indexed the new folder alone), medians and their ratio.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVENTS4 = ROOT.parent / "shared" / "data" / "photos" / "events4" / "Database"


def _library(n: int, rng, dim: int = 1280):
    """(vectors, hours, event per photo) of a synthetic library: events of 5–500 photos over years."""
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(min(500, max(5, rng.lognormal(3.2, 0.9)))))
    sizes[-1] -= sum(sizes) - n
    centres = rng.normal(0, 1, (len(sizes), dim)).astype(np.float32)
    event = np.repeat(np.arange(len(sizes)), sizes)
    x = centres[event] + rng.normal(0, 0.8, (n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    starts = np.sort(rng.uniform(350_000, 350_000 + 24 * 365 * 8, len(sizes)))
    hours = starts[event] + rng.uniform(0, 5, n)
    hours[rng.random(n) < 0.1] = np.nan
    return x, hours, event, centres


def place(sizes: list[int]) -> None:
    from core.albums.events import GroupInput
    from core.albums.incremental import mark_grouped, new_photos, place_new
    from core.albums.store import AlbumStore

    print(f"{'n':>8} {'events':>7} {'place 100 s':>12} {'by time':>8} {'by content':>11} {'new events':>11} "
          f"{'unsorted':>9}")
    out = []
    for n in sizes:
        rng = np.random.default_rng(n)
        x, hours, event, centres = _library(n, rng)
        paths = [f"/library/{i:07d}.jpg" for i in range(n)]
        with tempfile.TemporaryDirectory() as tmp, AlbumStore(Path(tmp) / "album.sqlite") as store:
            store.add_photos(paths)
            k = int(event.max()) + 1
            ids = store.photo_ids(paths)
            made = store.apply_grouping({}, set(), {-(e + 1): {"name": f"Event {e}"} for e in range(k)}, {}, [])
            store.apply_grouping({ids[p]: made[-(e + 1)] for p, e in zip(paths, event, strict=True)}, set(), {}, {}, [])
            mark_grouped(store)
            time.sleep(0.01)
            pick = rng.choice(n, 60)
            new_x = [centres[event[i]] + rng.normal(0, 0.8, x.shape[1]) for i in pick]
            new_h = [hours[i] + 0.5 if not np.isnan(hours[i]) else np.nan for i in pick]
            for e in rng.choice(k, 25):
                new_x.append(centres[e] + rng.normal(0, 0.8, x.shape[1]))
                new_h.append(np.nan)
            trip = rng.normal(0, 1, x.shape[1])
            for j in range(15):
                new_x.append(trip + rng.normal(0, 0.8, x.shape[1]))
                new_h.append(np.nanmax(hours) + 24 * 60 + j * 0.2)
            new_x = np.asarray(new_x, np.float32)
            new_x /= np.linalg.norm(new_x, axis=1, keepdims=True)
            new_paths = [f"/library/new-{j:03d}.jpg" for j in range(100)]
            data = GroupInput(paths + new_paths, np.concatenate([x, new_x]), np.concatenate([hours, new_h]),
                              [[] for _ in range(n + 100)], [""] * (n + 100))
            t = time.perf_counter()
            store.add_photos(new_paths)
            report = place_new(store, data, new_photos(store))
            took = time.perf_counter() - t
        out.append(took)
        print(f"{n:8,} {k:7,} {took:12.2f} {report.by_time:8} {report.by_content:11} {report.new_events:11} "
              f"{report.unsorted:9}")
    if len(sizes) > 1:
        slope = np.polyfit(np.log(sizes), np.log(out), 1)[0]
        print(f"time ~ n^{slope:.2f}")


def _copies(folder: Path, n: int) -> list[Path]:
    """n real photo files: events4's, then copies re-encoded at quality 88 (other bytes)."""
    from PIL import Image

    from core.images import list_images

    originals = list_images([EVENTS4])
    files = []
    for i in range(n):
        src = originals[i % len(originals)]
        dest = folder / f"{i:05d}-{Path(src).name}"  # events4's folders repeat names (img001.jpg)
        if i < len(originals) and _same_device(src, folder):
            os.link(src, dest)
        elif i < len(originals):
            dest.write_bytes(Path(src).read_bytes())
        else:
            with Image.open(src) as im:
                buf = io.BytesIO()
                im.convert("RGB").save(buf, "JPEG", quality=88)
                dest.write_bytes(buf.getvalue())
        files.append(dest)
    return files


def _same_device(a, b) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def throughput(n_files: int, reps: int) -> None:
    import torch

    from bench.features import _bare
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.embed import CPU_BATCH, ONNX_MIN_IMAGES, _onnx_forward, _open_photo, forward_workers
    from core.models.manager import ModelManager
    from core.models.onnx import shared_prepare

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "photos").mkdir()
        t = time.perf_counter()
        files = _copies(tmp / "photos", n_files)
        print(f"{len(files):,} files ready in {time.perf_counter() - t:.0f} s")
        models = make_models(ModelManager("cpu"), captions=False)
        enc = models.image
        print(f"model: {enc.describe()['weights']}, torch threads {torch.get_num_threads()}, {os.cpu_count()} cores")
        onnx = _onnx_forward(enc, with_logits=True, parallel=True) if len(files) >= ONNX_MIN_IMAGES else None
        workers = forward_workers() if onnx is not None else 1
        prepare = shared_prepare(enc)

        def pipeline() -> float:
            run = tmp / f"run-{time.monotonic_ns()}"
            run.mkdir()
            with EmbeddingCache(run / "cache.sqlite") as cache, AlbumStore(run / "album.sqlite") as store:
                t0 = time.perf_counter()
                report = Album(store, cache, models).add([tmp / "photos"])
                took = time.perf_counter() - t0
            # events4 holds a few byte-identical files: embedded once each (the pipeline's rate counts
            # only what it embedded, so it is not flattered by them)
            assert report.computed >= 0.99 * len(files), report.summary()
            print(f"  pipeline: {report.summary()} in {took:.0f} s", flush=True)
            return took * len(files) / report.computed

        def bare() -> float:
            total = 0.0
            for s in range(0, len(files), 256):  # decoded before the clock starts, a chunk at a time
                tensors = [torch.from_numpy(prepare(_open_photo(str(p)))[0]) for p in files[s:s + 256]]
                total += _bare(enc, tensors, CPU_BATCH, True, onnx, workers)
            return total

        a, b = [], []
        for _ in range(reps):
            a.append(pipeline())
            b.append(bare())
            print(f"  pipeline {len(files) / a[-1]:6.1f} photos/s, bare forward {len(files) / b[-1]:6.1f} photos/s",
                  flush=True)
        pa, pb = len(files) / statistics.median(a), len(files) / statistics.median(b)
        print(f"{'ONNX Runtime' if onnx is not None else 'torch'}, {len(files):,} files, medians of {reps}: "
              f"pipeline {pa:.1f} photos/s, bare forward {pb:.1f} photos/s, ratio {pa / pb:.2f}")


def add(sizes: list[int], reps: int) -> None:
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    from core.albums.cluster import ClusterSettings
    from core.albums.incremental import mark_grouped
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.images import list_images
    from core.models.manager import ModelManager

    originals = list_images([EVENTS4])
    t = time.perf_counter()
    models = make_models(ModelManager("cpu"), captions=False)
    print(f"model loaded in {time.perf_counter() - t:.1f} s (not counted below)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, EmbeddingCache() as cache:
            tmp = Path(tmp)

            def links(folder: Path, start: int, count: int) -> None:
                for i in range(start, start + count):
                    sub = folder / f"{i // 1000:03d}"
                    sub.mkdir(parents=True, exist_ok=True)
                    os.link(originals[i % len(originals)], sub / f"{i:06d}.jpg")

            links(tmp / "library", 0, n)
            with AlbumStore(tmp / "album.sqlite") as store:
                album = Album(store, cache, models)
                t = time.perf_counter()
                album.add([tmp / "library"])
                first = time.perf_counter() - t
                ids = store.photo_ids(album.data.paths)
                event = {p: int(Path(p).stem) % len(originals) // 50 for p in album.data.paths}  # a file's copies together
                k = max(event.values()) + 1
                made = store.apply_grouping({}, set(), {-(e + 1): {"name": f"Event {e}"} for e in range(k)}, {}, [])
                store.apply_grouping({ids[p]: made[-(e + 1)] for p, e in event.items()}, set(), {}, {}, [])
                mark_grouped(store)
            print(f"\n{n:,} photos ({len(originals):,} distinct files hard-linked), indexed once in {first:.0f} s")
            took_by: dict[bool, list[float]] = {True: [], False: []}
            for rep, full in enumerate([full for _ in range(reps) for full in (True, False)]):
                time.sleep(0.01)
                links(tmp / f"new-{rep}", n + 100 * rep, 100)
                marks: list[tuple[float, str]] = []
                t, c = time.perf_counter(), time.process_time()

                def seen(_f, message=None, marks=marks, t=t):
                    step = re.sub(r"[\d,]+", "#", (message or "").split(":")[0].split("(")[0]).strip()[:40]
                    if step and (not marks or marks[-1][1] != step):
                        marks.append((time.perf_counter() - t, step))

                with AlbumStore(tmp / "album.sqlite") as store:  # a new run, as the CLI's
                    album = Album(store, cache, models)
                    report = album.add([tmp / f"new-{rep}"], progress=seen, full=full)
                    indexed = time.perf_counter() - t
                    placed = album.place_new(ClusterSettings())
                took, cpu = time.perf_counter() - t, time.process_time() - c
                took_by[full].append(took)
                steps = ", ".join(f"{step} at {s:.1f} s" for s, step in marks[:8])
                print(f"  albums add of 100 photos, {'every folder indexed again' if full else 'the new folder alone'}: "
                      f"{took:.1f} s wall, {cpu:.1f} s CPU (index {indexed:.1f} s, "
                      f"place {took - indexed:.1f} s; load average {os.getloadavg()[0]:.1f}); "
                      f"{report.summary()}; {placed.summary()}\n    steps: {steps}", flush=True)
            a, b = statistics.median(took_by[True]), statistics.median(took_by[False])
            print(f"  medians of {reps}, interleaved: every folder indexed again {a:.1f} s, the new folder alone "
                  f"{b:.1f} s wall: {a / b:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*", default=["place", "throughput"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    for part in args.parts:
        print(f"\n== {part} ==")
        if part == "place":
            place(args.sizes)
        elif part == "throughput":
            if not EVENTS4.exists():
                print(f"needs {EVENTS4}")
                return 2
            throughput(args.files, args.reps)
        elif part == "add":
            add(args.sizes, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
