"""Albums at library scale: how each stage's time and memory grow with the number of photos.

Run: python bench/albums_scale.py [--sizes 10000 30000 100000] [--vectors-only 1000000]
[--stages index duplicates search group]

A synthetic library per size, from real photo embeddings (events4's 3,030 photos through
EfficientNet-Lite0, cached after the first run): events of 5-500 photos over ten years (sizes
log-uniform), each event's look a real photo moved along the embeddings' own directions (the
difference of two other real photos), each photo its event's look moved again the same way;
capture times minutes apart within an event, hours to weeks between events; 8% of the events
and 3% of the other photos without a time. pHashes are random 64-bit words, except the planted
near-duplicates (2% of the photos copied: the copy's embedding moved a little, its hash 0-8 bits
flipped, its time kept or lost, as a re-encode, resize or crop does) and bursts (1% of the
photos shot again 1-2 s later: alike, a different hash). The labelled events4 collection
(3,030 photos, no capture times, 4 kinds) is mixed in, and its ARI inside the library is printed
beside its ARI grouped alone.

The machine is shared (2 cores, other jobs running): each stage prints its wall time, its CPU
time (both cores: it may exceed the wall time) and the load average, so a slow figure can be read
against the contention. Stages, each timed with the peak resident memory while it ran (a sampling thread, 20 ms):
index (the search layer over the vectors, exact ≤ 20k, HNSW above, built and saved as an album
keeps it, ``core.albums.photo_index``), reopen index (the next start: the saved one opened),
update index (100 photos edited since: removed and added in place, saved again), group (``regroup`` into a
real SQLite album store, from nothing), duplicates (``find_duplicates`` with the index),
find similar and search by words (p50 of 200 queries on the search layer; words: a 512-d text
index of the same size, the query's own encoding not included), open the album (a new store
connection, all photos and events read), save an edit (move 20 photos to another event, with the
undo step the page records for it: ``AlbumStore.tracked``).
Not measured here: adding 100 photos into existing events (helper 35b's part, it needs the
incremental placement), and the pHash and embedding computation (cached vectors are the input).
At the end: log-log slopes of time against n between the sizes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVENTS4 = ROOT.parent / "shared" / "data" / "photos" / "events4" / "Database"


def real_embeddings() -> tuple[list[str], np.ndarray]:
    """events4's photos and their EfficientNet-Lite0 vectors (the embedding cache's, made once)."""
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files
    from core.images import list_images
    from core.models.loaders import load

    with EmbeddingCache() as cache:
        res = embed_image_files(list_images([EVENTS4]), load("effnet-lite0"), cache, batch_size=16)
    v = res.vectors / np.linalg.norm(res.vectors, axis=1, keepdims=True)
    return res.paths, v.astype(np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def synthetic_library(n: int, real: np.ndarray, seed: int = 0, look: float = 0.6, spread: float = 0.8,
                      untimed_events: float = 0.08, untimed_photos: float = 0.03, copies: float = 0.02,
                      bursts: float = 0.01) -> dict:
    """``n`` photos: vectors (unit rows), times (hours, NaN unknown), bits (N, 64), event per
    photo, and the planted duplicate / burst groups as a group number per photo (-1: none).
    ``real``: the unit rows the looks are drawn from (any dimension)."""
    rng = np.random.default_rng(seed)
    m = len(real)
    n_plain = int(n / (1 + copies + bursts))
    sizes = []
    while sum(sizes) < n_plain:
        sizes.append(int(np.exp(rng.uniform(np.log(5), np.log(500)))))
    sizes[-1] -= sum(sizes) - n_plain
    sizes = [s for s in sizes if s > 0]
    event = np.repeat(np.arange(len(sizes)), sizes)

    def moved(count: int, amount: float) -> np.ndarray:  # along the embeddings' own directions
        return amount * (real[rng.integers(0, m, count)] - real[rng.integers(0, m, count)])

    made_from = rng.integers(0, m, len(sizes))  # the row of ``real`` each event's look starts at
    looks = _unit(real[made_from] + moved(len(sizes), look))
    # the one (n, D) array returned: plain rows, then the copies and bursts written into it (no
    # concatenated second copy: 1M × 1,280 float32 is 5.1 GB, and two of them ran past 10 GB)
    vectors = np.empty((n, real.shape[1]), np.float32)
    for s in range(0, n_plain, 50_000):
        rows = np.arange(s, min(n_plain, s + 50_000))
        vectors[rows] = _unit(looks[event[rows]] + moved(len(rows), spread))
    starts = np.cumsum(rng.uniform(12, 24 * 20, len(sizes))) + 24 * 365 * 30  # hours since 1970
    times = starts[event] + np.concatenate([np.sort(rng.uniform(0, min(5.0, 0.05 * s), s)) for s in sizes])
    times[np.isin(event, np.flatnonzero(rng.random(len(sizes)) < untimed_events))] = np.nan
    times[rng.random(n_plain) < untimed_photos] = np.nan
    bits = rng.integers(0, 2, (n_plain, 64)).astype(np.int8)
    group = np.full(n_plain, -1)
    # planted near-duplicates and bursts, appended
    n_copy = n - n_plain - int(n_plain * bursts)
    src = rng.choice(n_plain, n_copy + (n - n_plain - n_copy), replace=False)
    copy_src, burst_src = src[:n_copy], src[n_copy:]
    vectors[n_plain: n_plain + n_copy] = _unit(vectors[copy_src] + moved(n_copy, 0.3))
    copy_bits = bits[copy_src].copy()
    for i, flips in enumerate(rng.integers(0, 9, n_copy)):
        copy_bits[i, rng.choice(64, flips, replace=False)] ^= 1
    copy_t = np.where(rng.random(n_copy) < 0.3, np.nan, times[copy_src])
    vectors[n_plain + n_copy:] = _unit(vectors[burst_src] + moved(len(burst_src), 0.4))
    burst_bits = rng.integers(0, 2, (len(burst_src), 64)).astype(np.int8)
    burst_t = times[burst_src] + rng.uniform(1, 2, len(burst_src)) / 3600
    group[copy_src] = np.arange(n_copy)
    group[burst_src] = n_copy + np.arange(len(burst_src))
    return {
        "vectors": vectors,
        "times": np.concatenate([times, copy_t, burst_t]),
        "bits": np.concatenate([bits, copy_bits, burst_bits]),
        "event": np.concatenate([event, event[copy_src], event[burst_src]]),
        "planted": np.concatenate([group, np.arange(n_copy), n_copy + np.arange(len(burst_src))]),
        "copies": n_copy, "bursts": len(burst_src), "plain": n_plain, "made_from": made_from,
    }


class Peak:
    """Peak resident memory (MB) while a ``with`` block runs, sampled from /proc every 20 ms."""

    def __enter__(self):
        self.peak, self._stop = _rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def pair_scores(groups, planted: np.ndarray, paths_row: dict[str, int]) -> tuple[float, float]:
    """Precision and recall of the found pairs against the planted copy / burst pairs."""
    found = set()
    for g in groups:
        rows = sorted(paths_row[p] for p in g.paths)
        found |= {(a, b) for i, a in enumerate(rows) for b in rows[i + 1:]}
    truth = set()
    for label in np.unique(planted[planted >= 0]):
        rows = sorted(np.flatnonzero(planted == label).tolist())
        truth |= {(a, b) for i, a in enumerate(rows) for b in rows[i + 1:]}
    hit = len(found & truth)
    return hit / max(len(found), 1), hit / max(len(truth), 1)


STAGES = ("index", "duplicates", "search", "group")  # what --stages may name ("search": similar and words)


def run_size(n: int, paths4: list[str], real: np.ndarray, vectors_only: bool = False,
             stages: tuple[str, ...] = STAGES) -> dict:
    from core.albums.duplicates import find_duplicates
    from core.albums.photo_index import load_or_build
    from core.search import SearchIndex

    out: dict = {"n": n}
    n_lib = n - (0 if vectors_only else len(real))
    lib = synthetic_library(n_lib, real, seed=n)
    # the library's arrays taken out of ``lib``: only the bench's one copy of them stays alive (as an album holds)
    vectors, times, bits = lib.pop("vectors"), lib["times"], lib["bits"]
    truth4 = np.array([Path(p).parent.name.split("_")[0] for p in paths4])
    if not vectors_only:
        vectors = np.concatenate([vectors, real])
        times = np.concatenate([times, np.full(len(real), np.nan)])
        rng = np.random.default_rng(1)
        bits = np.concatenate([bits, rng.integers(0, 2, (len(real), 64)).astype(np.int8)])
    planted = np.concatenate([lib["planted"], np.full(len(vectors) - n_lib, -1)])
    paths = [f"/library/{i:07d}.jpg" for i in range(len(vectors))]
    row = {p: i for i, p in enumerate(paths)}

    out["held"] = _rss_mb()  # before the stages: the library's arrays (the bench's and an album's alike)

    def stage(name, fn):
        prof = cProfile.Profile() if PROFILE_TOP[0] else None
        with Peak() as peak:
            t0, c0 = time.perf_counter(), time.process_time()
            value = fn() if prof is None else prof.runcall(fn)
            out[name] = (time.perf_counter() - t0, peak.peak, time.process_time() - c0)
        print(f"  {name:<16} {out[name][0]:8.2f} s wall {out[name][2]:8.2f} s CPU   peak RSS {out[name][1]:7.0f} MB"
              f"   (load average {os.getloadavg()[0]:.1f})", flush=True)
        if prof is not None:
            out.setdefault("costliest", {})[name] = _print_profile(prof, PROFILE_TOP[0])
        return value

    print(f"\n== {len(vectors):,} photos ({lib['copies']:,} planted copies, {lib['bursts']:,} bursts; "
          f"{int(np.isnan(times).sum()):,} without a time{'' if vectors_only else '; events4 mixed in'}) ==",
          flush=True)
    saved = Path(tempfile.mkdtemp(prefix="albums-scale-index-"))
    content = [f"file:{i:032x}" for i in range(len(paths))]  # stand-ins for the photos' content keys
    if "index" in stages:  # as an album does: built, saved beside the store and reopened from disk
        index = stage("index", lambda: load_or_build(saved, paths, vectors, content)[0])
        print(f"  (search backend: {index.backend})")
        # the next start: the saved index reopened (digests checked, vectors memory-mapped, graph viewed)
        index = stage("reopen index", lambda: _expect(load_or_build(saved, paths, vectors, content), "opened"))
        # 100 photos edited since: removed and added again in place, saved, reopened
        changed = content[:-100] + [c.replace("file:", "edit:") for c in content[-100:]]
        index = stage("update index", lambda: _expect(load_or_build(saved, paths, vectors, changed), "updated"))
    if "duplicates" in stages and "index" in stages:
        groups = stage("duplicates", lambda: find_duplicates(paths, vectors, bits, times, index=index,
                                                             keeper=lambda p: (0, 0.0, 0)))
        out["precision"], out["recall"] = pair_scores(groups, planted, row)
        print(f"  duplicates: {len(groups):,} groups; planted pairs precision {out['precision']:.4f}, "
              f"recall {out['recall']:.4f}")
    if "search" not in stages or "index" not in stages:
        return _grouping(out, stage, stages, n_lib, lib, paths, vectors, times, real, truth4, vectors_only, saved)
    rng = np.random.default_rng(2)
    queries = rng.integers(0, len(paths), 200)
    lat = []

    def similar():
        for q in queries:
            t0 = time.perf_counter()
            index.search(index.vector(paths[q]), 20, exclude=paths[q])
            lat.append(time.perf_counter() - t0)

    stage("find similar", similar)
    out["similar_p50_ms"] = 1000 * float(np.median(lat))
    words = SearchIndex(512)
    mix = rng.normal(0, 1, (vectors.shape[1], 512)).astype(np.float32)  # text vectors that follow the photos
    for s in range(0, len(paths), 100_000):
        words.add(paths[s: s + 100_000], _unit(vectors[s: s + 100_000] @ mix))
    wlat = []

    def by_words():
        for _ in range(200):
            q = vectors[rng.integers(0, len(paths))] @ mix + rng.normal(0, 0.5, 512).astype(np.float32)
            t0 = time.perf_counter()
            words.search(q, 20)
            wlat.append(time.perf_counter() - t0)

    stage("search by words", by_words)

    out["words_p50_ms"] = 1000 * float(np.median(wlat))
    print(f"  find similar p50 {out['similar_p50_ms']:.1f} ms, search by words p50 {out['words_p50_ms']:.1f} ms "
          "(the search layer; the query's text encoding not included)")
    return _grouping(out, stage, stages, n_lib, lib, paths, vectors, times, real, truth4, vectors_only, saved)


PROFILE_TOP = [0]  # --profile N: each stage under cProfile, its N costliest functions (own time) printed


def _print_profile(prof, top: int) -> list[tuple[str, float]]:
    """The ``top`` functions of a stage by their own time (where the stage's time goes), printed
    and returned as (where, own seconds)."""
    stats = pstats.Stats(prof)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # (calls, prim, tottime, cumtime, ...)
    for (file, line, func), (_, calls, own, cum, _) in rows:
        print(f"      {own:8.2f} s own {cum:8.2f} s cum {calls:>9,} calls  {Path(file).name}:{line} {func}")
    return [(f"{Path(file).name}:{func}", own) for (file, _, func), (_, _, own, _, _) in rows]


LIMIT_S, LIMIT_MB = 600, 8 * 1024  # issue 35: at a million photos each stage within 10 min and 8 GB
WHY = {  # what each stage's cost is, for the line printed when a stage is over a limit (see docs/albums.md)
    "index": "HNSW insertion (usearch, connectivity 48 / expansion 256, set for recall 0.98 at 1M in "
             "bench/search.py) grows as n log n; memory: the index's float16 copy of the vectors and its graph",
    "reopen index": "the saved files' BLAKE2b digests are read whole (vectors: n × 2.5 KB)",
    "update index": "an opened index copies its saved float16 vectors into memory to grow, and loads its "
                    "graph to change it",
    "duplicates": "the self-join: one HNSW search per photo, candidates re-scored against the float16 "
                  "vectors read at random (every page of the vectors file ends up resident)",
    "group": "core.albums.cluster: the photos without a time grouped by content in cells of ~1,000",
}


def _expect(got, how: str):
    index, outcome = got
    if outcome.how != how:
        raise RuntimeError(f"the saved index was {outcome.how}, not {how}: {outcome.note}")
    return index


def _grouping(out, stage, stages, n_lib, lib, paths, vectors, times, real, truth4, vectors_only, saved):
    import shutil

    from sklearn.metrics import adjusted_rand_score

    from core.albums.cluster import ClusterSettings, cluster
    from core.albums.events import GroupInput, regroup
    from core.albums.store import AlbumStore

    shutil.rmtree(saved, ignore_errors=True)
    if "group" not in stages:
        return out
    if vectors_only:
        stage("group", lambda: cluster(vectors, ClusterSettings(), times=times)[0])
        return out
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "albums.sqlite"
        store = AlbumStore(db)
        store.add_photos(paths)
        data = GroupInput(paths, vectors, times, [[] for _ in paths], [""] * len(paths))
        report = stage("group", lambda: regroup(store, data, ClusterSettings()))
        print(f"  group: {report.events:,} events, {report.unsorted:,} unsorted")
        store.close()

        def open_album():
            with AlbumStore(db) as again:
                return again.photos("all"), again.events()

        photos, events = stage("open the album", open_album)
        ids = {p.path: p.event_id for p in photos}
        labels = np.array([ids[p] if ids[p] is not None else -1 for p in paths])
        with AlbumStore(db) as again:
            target = events[-1].id
            # as the page saves one: the move and its undo step (the rows it changed, core.undo_log)
            stage("save an edit", lambda: again.tracked(
                lambda: again.move_photos([p.id for p in photos[:20]], target)))
    inside = adjusted_rand_score(truth4, labels[n_lib:])
    alone = adjusted_rand_score(truth4, cluster(real, ClusterSettings())[0]) if "ari_alone" not in _ALONE \
        else _ALONE["ari_alone"]
    _ALONE["ari_alone"] = alone
    out["ari_inside"], out["ari_alone"] = inside, alone
    # events of >= 20 photos with capture times vs without: found when one label holds most of them
    ev = lib["event"]
    lab = labels[:n_lib]
    untimed = np.isnan(lib["times"])
    found = {"timed": [], "untimed": []}
    for e in np.unique(ev):
        rows = np.flatnonzero(ev[: lib["plain"]] == e)  # the event's own photos, not the planted copies
        kind = "untimed" if untimed[rows].mean() > 0.5 else "timed"
        if len(rows) < 20:
            continue
        vals, counts = np.unique(lab[rows], return_counts=True)
        size = np.bincount(lab[lab >= 0], minlength=max(lab.max(), 0) + 2)
        found[kind].append(bool(((vals >= 0) & (counts >= 0.5 * len(rows))
                                 & (counts >= 0.5 * size[np.maximum(vals, 0)])).any()))
    for kind, hits in found.items():
        print(f"  events of >= 20 photos, {kind}: {sum(hits)} of {len(hits)} found "
              "(an event holds half of their photos, and they are half of its photos)")
    out["found_untimed"] = (sum(found["untimed"]), len(found["untimed"]))
    print(f"  events4 inside the library: ARI {inside:.3f}; alone {alone:.3f}")
    # the synthetic looks start at events4's photos: each such photo sits at the centre of an event
    # of the library's (timed or not), which grouping by content alone cannot tell it from
    made = len(np.unique(lib["made_from"]))
    print(f"  events4 photos an event's look starts at: {made:,} of {len(real):,} ({made / len(real):.0%})")
    out["made_from"] = made
    return out


_ALONE: dict = {}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 30_000, 100_000])
    parser.add_argument("--vectors-only", type=int, nargs="*", default=[],
                        help="sizes run as vectors only (no album store, no events4): e.g. 1000000")
    parser.add_argument("--stages", nargs="*", choices=STAGES, default=list(STAGES),
                        help="the stages to run (duplicates and search need index)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="run each stage under cProfile and print its N costliest functions")
    parser.add_argument("--cells", choices=("kmeans", "communities", "auto"), default=None,
                        help="how a big pool of photos without a time is cut into cells for the agreement "
                             "(core.albums.cluster.CELL_SHAPE; default: as the code has it)")
    args = parser.parse_args()
    if args.cells:
        from core.albums import cluster as _cluster

        _cluster.CELL_SHAPE = args.cells
    PROFILE_TOP[0] = args.profile
    if not EVENTS4.exists():
        print(f"needs {EVENTS4}")
        return 2
    paths4, real = real_embeddings()
    print(f"{len(real)} events4 embeddings (EfficientNet-Lite0, {real.shape[1]}-d); {os.cpu_count()} cores")
    results = [run_size(n, paths4, real, stages=tuple(args.stages)) for n in args.sizes]
    results += [run_size(n, paths4, real, vectors_only=True, stages=tuple(args.stages)) for n in args.vectors_only]
    stages = ("index", "reopen index", "update index", "duplicates", "group", "find similar", "search by words",
              "open the album", "save an edit")
    print("\nper size: wall s / CPU s / peak RSS MB")
    for r in results:
        print(f"  {r['n']:>9,}: " + "; ".join(f"{name} {r[name][0]:.1f} / {r[name][2]:.1f} / {r[name][1]:.0f}"
                                            for name in stages if name in r))
    print("\nslope of time against n (log-log, between consecutive sizes; wall and CPU time):")
    for name in stages:
        have = [r for r in results if name in r]
        for a, b in zip(have, have[1:], strict=False):
            wall = np.log(b[name][0] / a[name][0]) / np.log(b["n"] / a["n"])
            cpu = np.log(max(b[name][2], 1e-3) / max(a[name][2], 1e-3)) / np.log(b["n"] / a["n"])
            print(f"  {name:<16} {a['n']:>9,} -> {b['n']:>9,}: wall {wall:5.2f}, CPU {cpu:5.2f}")
    for r in results:
        for name in (name for name in stages if name in r):
            wall, mb, cpu = r[name]
            if wall > LIMIT_S or mb > LIMIT_MB:
                top = ", ".join(f"{where} {own / max(wall, 1e-9):.0%}" for where, own in
                                r.get("costliest", {}).get(name, [])[:2])
                print(f"over {LIMIT_S // 60} min or {LIMIT_MB // 1024} GB at {r['n']:,}: {name} {wall:.0f} s wall "
                      f"({cpu:.0f} s CPU on {os.cpu_count()} cores), peak {mb:.0f} MB of which {r['held']:.0f} MB "
                      f"held before the stages; binds: {WHY.get(name, '?')}" + (f" (of the wall time: {top})" if top else ""))
    for r in results:
        worst = max((name for name in stages if name in r), key=lambda name: r[name][1])
        print(f"peak RSS of the stages at {r['n']:,}: {r[worst][1]:.0f} MB ({worst}), of which {r['held']:.0f} MB "
              "held before them (the library's vectors, times and hashes)")
    print(f"\npeak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
