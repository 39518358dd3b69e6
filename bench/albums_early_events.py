"""Events by capture time while a folder is indexed: what they cost, and how soon they come.

Run: python bench/albums_early_events.py [--sizes 10000 30000 100000] [--reps 3] [--real]

* per n: ``Album.early_events`` on an album store of n photos with their capture times and GPS
  already read (events of 5–500 photos over years, ~n/250 of them, 12% without a time, a third
  with GPS),
  none grouped yet: the store query, ``time_segments``, the names (date, place) and the one
  transaction that writes the events; wall and CPU seconds, medians of ``--reps`` runs (the
  events released between runs; the first run of the first n also loads the place names), and
  the slope of CPU time against n.
* ``--real``: ``Album.add`` of the EXIF samples (17 camera files with their own times) with the
  offline default image model (EfficientNet-Lite0): seconds from the start to the events by capture
  time (the ``ProvisionalEvents`` message) against the whole add, ``--reps`` times in fresh stores
  (the model loaded once, nothing cached: each run embeds every photo).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic(store, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    paths, times, gps = [], [], []
    t = 1.2e9
    while len(paths) < n:
        size = int(min(rng.integers(5, 501), n - len(paths)))
        t += rng.uniform(2, 60) * 86400  # days to weeks between events
        where = rng.uniform([-40, -120], [60, 140]) if rng.random() < 1 / 3 else None
        for _ in range(size):
            paths.append(f"/lib/{len(paths) // 1000:03d}/{len(paths):06d}.jpg")
            untimed = rng.random() < 0.12
            times.append(None if untimed else t + rng.uniform(0, 3) * 3600)
            gps.append(where + rng.normal(0, 0.01, 2) if where is not None else (None, None))
    store.add_photos(paths)
    store.set_capture([(p, s, *(float(x) if x is not None else None for x in g))
                       for p, s, g in zip(paths, times, gps, strict=True)])


def bench_sizes(sizes: list[int], reps: int) -> None:
    from core.albums.pipeline import Album
    from core.albums.store import AlbumStore

    print("n, early_events wall / CPU seconds (medians; the runs' wall), events, photos in them")
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, AlbumStore(Path(tmp) / "a.sqlite") as store:
            synthetic(store, n)
            album = Album(store, None, None)  # early_events reads and writes the store alone
            runs, cpu, made = [], [], None
            for _ in range(reps):
                t0, c0 = time.perf_counter(), time.process_time()
                made = album.early_events()
                runs.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                store.release_provisional()
            med = statistics.median(cpu)
            rows.append((n, med))
            print(f"{n:>7,}  {statistics.median(runs):6.2f} / {med:5.2f} s  ({', '.join(f'{r:.2f}' for r in runs)})"
                  f"  {made.events:,} events, {made.photos:,} photos")
    if len(rows) > 1:
        (n0, t0), (n1, t1) = rows[-2], rows[-1]
        print(f"slope of CPU time against n, {n0:,} → {n1:,} (log-log): {np.log(t1 / t0) / np.log(n1 / n0):.2f}")


def bench_real(reps: int) -> None:
    from core.albums.pipeline import Album, ProvisionalEvents, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.jobs import Progress
    from core.models.manager import ModelManager

    jpg = ROOT.parent / "shared" / "data" / "photos" / "exif-samples" / "jpg"
    names = [*sorted((jpg / "gps").glob("*.jpg")), *sorted((jpg / "hdr").glob("*.jpg")),
             *(jpg / n for n in ("Canon_40D_photoshop_import.jpg", "long_description.jpg", "Nikon_D70.jpg",
                                 "Pentax_K10D.jpg"))]
    models = make_models(ModelManager("cpu"), captions=False)
    print("real: seconds to the events by capture time / whole add (EfficientNet-Lite0, 17 photos)")
    first, whole = [], []
    for r in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["SIMSCOPE_DATA_DIR"] = tmp
            folder = Path(tmp) / "photos"
            folder.mkdir()
            for f in names:
                shutil.copy(f, folder / f.name)
            at: list[float] = []
            t0 = time.perf_counter()

            def heard(payload, at=at, t0=t0):
                if isinstance(payload, ProvisionalEvents):
                    at.append(time.perf_counter() - t0)

            with EmbeddingCache() as cache, AlbumStore(Path(tmp) / "a.sqlite") as store:
                Album(store, cache, models).add([folder], Progress(lambda f, m=None: None, heard))
            whole.append(time.perf_counter() - t0)
            first.append(at[0])
            print(f"  run {r + 1}: {first[-1]:.2f} s of {whole[-1]:.2f} s")
    print(f"median: events after {statistics.median(first):.2f} s of {statistics.median(whole):.2f} s "
          f"({statistics.median(first) / statistics.median(whole):.0%} of the add)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 30000, 100000])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--real", action="store_true")
    args = ap.parse_args()
    bench_sizes(args.sizes, args.reps)
    if args.real:
        bench_real(args.reps)


if __name__ == "__main__":
    main()
