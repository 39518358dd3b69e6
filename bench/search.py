"""The search layer at 10k, 100k and 1M logo vectors: build, size, open, speed, recall; and the
end-to-end logo query (file → hits) at 100k.

Run: python bench/search.py [--n 10000 100000] [--backends exact hnsw] [--queries 200]
     python bench/search.py --n 1000000 --backends hnsw      # minutes (the HNSW build)

Vectors: the EfficientNet-Lite0 embeddings (1,280-d) of the shared logos
(../shared/data/logos, embedded once through the app's cache), and jittered copies of them to
reach N (each copy: a logo's vector plus Gaussian noise with the real embeddings' covariance,
normalised; cosine to its source ≈ 0.9, so copies of one logo are close but distinct, as
variants of a mark are; ``--jitter isotropic`` for white noise instead, see ``_jitter``).
Queries are further copies that are not in the index. recall@10 is measured against the exact search
over the same vectors (float32, every row).

Each (backend, N) runs in two fresh child processes: one builds and saves, one opens and
searches, so peak RSS and open time are those of a user's process. One line per run:
``jitter=… backend=… n=… build_s=… size_mb=… open_s=… p50_ms=… p99_ms=… recall10=… peak_rss_mb=…
anon_mb=…`` (peak RSS includes the pages of the memory-mapped files that searching touched:
page cache the kernel can drop; anon is the process's own memory);
the end-to-end line adds ``end_to_end_p50_ms=…`` (a warm model, as on the app's worker).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOGOS = ROOT.parent / "shared" / "data" / "logos" / "brands" / "logos"
CACHE = Path(os.environ.get("SIMSCOPE_BENCH_DIR", Path.home() / ".cache" / "simscope-bench"))
NOISE = 0.012  # per dimension; cosine of a copy to its source ≈ 0.9 at 1,280-d


def logo_vectors() -> tuple[list[str], np.ndarray]:
    """The shared logos' Lite0 vectors (embedded once, kept in the bench's cache dir)."""
    out = CACHE / "logo_vectors.npz"
    if out.exists():
        with np.load(out) as z:
            return list(z["files"]), z["vectors"]
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(CACHE / "data"))
    from core.cache import EmbeddingCache
    from core.logos.index import build_index
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager

    encoder = load_encoder(ModelManager(), "effnet-lite0")
    index, _ = build_index(LOGOS, encoder, EmbeddingCache())
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(out, files=np.array(index.files), vectors=index.vectors)
    return index.files, index.vectors


def _jitter(base: np.ndarray, rng, n: int, how: str) -> np.ndarray:
    """``n`` copies of random logos plus noise of norm ~0.45 (cosine to the source ≈ 0.9).

    ``subspace`` (default): the noise has the covariance of the real logo embeddings (their
    principal directions, in proportion), so a copy differs from its logo the way logos differ
    from each other: a variant of a mark. ``isotropic``: white noise in all 1,280 dimensions,
    which no real embedding has; its near neighbours are decided by noise that any
    dimensionality reduction removes (the hard, unrealistic case; reported for comparison)."""
    src = base[rng.integers(0, len(base), n)]
    if how == "isotropic":
        noise = NOISE * rng.standard_normal(src.shape, dtype=np.float32)
    else:
        centred = base - base.mean(0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        scale = sv / np.sqrt(len(base))  # the real per-direction spread
        z = rng.standard_normal((n, len(sv)), dtype=np.float32) * scale
        noise = (z @ vt) * (0.45 / np.sqrt((scale**2).sum()))
    x = src + noise
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def dataset(n: int, queries: int, seed: int = 0, how: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` index vectors (the logos, then jittered copies; float16) and held-out queries."""
    how = how or os.environ.get("SIMSCOPE_BENCH_JITTER", "subspace")
    _, base = logo_vectors()
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float16)
    take = min(n, len(base))
    out[:take] = base[:take]
    for start in range(take, n, 50_000):
        stop = min(n, start + 50_000)
        out[start:stop] = _jitter(base, rng, stop - start, how)
    return out, _jitter(base, rng, queries, how).astype(np.float32)


def exact_top10(data: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = np.concatenate([q @ data[i: i + 100_000].astype(np.float32).T for i in range(0, len(data), 100_000)],
                            axis=1)
    return np.argsort(-scores, axis=1)[:, :10]


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ru_maxrss, which a child
    inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FaissHNSW:
    """faiss-cpu's ``IndexHNSWFlat`` beside usearch: the same PCA-256 projection, connectivity
    (M), construction and search expansion and exact re-scoring as ``core.search``, so the two
    lines differ only in the HNSW library. (faiss stores the graph's vectors as float32 and
    reads the whole index into memory on open; usearch stores float16 and maps the file.)"""

    backend = "faiss-hnsw"

    def __init__(self) -> None:
        self.index = self.vectors = self.pca = None

    def build(self, data: np.ndarray) -> None:
        import faiss

        from core import search

        sample = data[np.random.default_rng(0).permutation(len(data))[:20_000]].astype(np.float32)
        mean = sample.mean(0)
        _, _, vt = np.linalg.svd(sample - mean, full_matrices=False)
        self.pca = (mean.astype(np.float32), vt[: search.HNSW_DIM].astype(np.float32))
        self.vectors = data
        self.index = faiss.IndexHNSWFlat(search.HNSW_DIM, search.CONNECTIVITY, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = search.EXPANSION_ADD
        for i in range(0, len(data), 100_000):
            self.index.add(self._project(data[i: i + 100_000]))

    def _project(self, x: np.ndarray) -> np.ndarray:
        mean, comps = self.pca
        y = (x.astype(np.float32) - mean) @ comps.T
        return np.ascontiguousarray(y / np.linalg.norm(y, axis=1, keepdims=True), np.float32)

    def save(self, folder: str) -> None:
        import faiss

        Path(folder).mkdir(parents=True, exist_ok=True)
        faiss.write_index(self.index, str(Path(folder) / "hnsw.faiss"))
        np.save(Path(folder) / "vectors.npy", self.vectors)
        np.savez(Path(folder) / "pca.npz", mean=self.pca[0], components=self.pca[1])

    @classmethod
    def open(cls, folder: str) -> FaissHNSW:
        import faiss

        out = cls()
        out.index = faiss.read_index(str(Path(folder) / "hnsw.faiss"))
        out.vectors = np.load(Path(folder) / "vectors.npy", mmap_mode="r")
        with np.load(Path(folder) / "pca.npz") as z:
            out.pca = (z["mean"], z["components"])
        return out

    def search(self, q: np.ndarray, k: int):
        from core import search

        ef, count = search.search_params(len(self.vectors), k)
        self.index.hnsw.efSearch = ef
        _, rows = self.index.search(self._project(q[None]), count)
        rows = rows[0][rows[0] >= 0]
        scores = self.vectors[np.sort(rows)].astype(np.float32) @ q
        order = np.argsort(-scores)[:k]
        return [search.Hit(f"logo-{int(r)}", float(s), i + 1)
                for i, (r, s) in enumerate(zip(np.sort(rows)[order], scores[order], strict=True))]


def child_build(backend: str, n: int, folder: str, queries: int) -> dict:
    from core.search import SearchIndex

    data, _ = dataset(n, queries)
    t0 = time.perf_counter()
    if backend == "faiss":
        index = FaissHNSW()
        index.build(data)
    else:
        index = SearchIndex(data.shape[1], exact_max=10**12 if backend == "exact" else 0)
        keys = [f"logo-{i}" for i in range(n)]
        step = 100_000
        index.add(keys[:step], data[:step])  # exact_max 0: the HNSW is built here...
        for i in range(step, n, step):  # ...and the rest added to it, as an index grows
            index.add(keys[i: i + step], data[i: i + step])
    build = time.perf_counter() - t0
    index.save(folder)
    size = sum(f.stat().st_size for f in Path(folder).iterdir()) / 2**20
    _, q = dataset(n, queries)
    np.savez(Path(folder).parent / (Path(folder).name + "-truth.npz"), q=q, truth=exact_top10(data, q))
    return {"build_s": build, "size_mb": size}


def child_search(backend: str, n: int, folder: str, queries: int) -> dict:
    from core.search import SearchIndex

    with np.load(Path(folder).parent / (Path(folder).name + "-truth.npz")) as z:  # from the build
        q, truth = z["q"], z["truth"]
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    index = FaissHNSW.open(folder) if backend == "faiss" else SearchIndex.open(folder)
    opened = time.perf_counter() - t0
    index.search(q[0], 10)  # first touch
    times, hits = [], 0
    for i in range(len(q)):
        t = time.perf_counter()
        found = index.search(q[i], 10)
        times.append(time.perf_counter() - t)
        hits += len({int(h.key.split("-")[1]) for h in found} & set(truth[i].tolist()))
    times = np.array(times) * 1000
    anon = next(int(line.split()[1]) / 1024 for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("RssAnon:"))
    return {"open_s": opened, "p50_ms": float(np.median(times)), "p99_ms": float(np.percentile(times, 99)),
            "anon_mb": anon,
            "recall10": hits / (10 * len(q)), "peak_rss_mb": peak_rss_mb(), "rss_before_open_mb": rss_before,
            "backend_opened": index.backend}


def end_to_end(n: int, queries: int) -> list[dict]:
    """A logo file → its hits at N vectors: rasterise, embed at batch 1 (warm model), search;
    for the ONNX Runtime query path and the torch one, interleaved in blocks of 10 queries
    (A B A B …, a pause before each block: torch's OpenMP threads spin for a while after their
    last op and would slow whichever path runs next), medians."""
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(CACHE / "data"))
    from core.logos.query import QueryEmbedder
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager
    from core.search import SearchIndex

    files, _ = logo_vectors()
    data, _ = dataset(n, 1)
    index = SearchIndex(data.shape[1])
    index.add([f"logo-{i}" for i in range(n)], data)
    del data
    encoder = load_encoder(ModelManager(), "effnet-lite0")
    embedders = [QueryEmbedder(encoder), QueryEmbedder(encoder, use_onnx=False)]
    paths = files[:: max(1, len(files) // queries)][:queries]
    for embed in embedders:
        for p in paths[:3]:
            index.search(embed(p), 10)  # warm
    rows = {id(e): [] for e in embedders}
    for block in range(0, len(paths), 10):
        for embed in embedders:
            time.sleep(0.5)
            for p in paths[block: block + 10]:
                t0 = time.perf_counter()
                v = embed(p)
                t1 = time.perf_counter()
                index.search(v, 10, exclude=f"logo-{files.index(p)}")
                t2 = time.perf_counter()
                rows[id(embed)].append((t2 - t0, t1 - t0, t2 - t1))
    out = []
    for embed in embedders:
        r = np.array(rows[id(embed)]) * 1000
        out.append({"backend": index.backend, "end_to_end_p50_ms": float(np.median(r[:, 0])),
                    "embed_p50_ms": float(np.median(r[:, 1])), "search_p50_ms": float(np.median(r[:, 2])),
                    "embed_path": embed.describe()})
    return out


def parts_search(n: int, queries: int, share: float = 0.4) -> dict:
    """``LogoIndex.search`` at N logos of which ``share`` have a part (a wordmark's icon; 744 of
    the 1,858 shared logos do): p50 of whole logos only (the search layer's own ranking), of a
    query against whole logos and parts, and of a query with its own part too (two searches
    merged), interleaved A B C A B C …, on the same vectors (parts: further jittered copies)."""
    from core.logos.index import LogoIndex

    data, q = dataset(n + int(n * share), queries)
    files = [f"/logos/{i}.svg" for i in range(n)]
    rng = np.random.default_rng(0)
    owners = np.sort(rng.choice(n, int(n * share), replace=False))
    with_parts = LogoIndex(files, data[:n], {}, data[n:], [files[i] for i in owners])
    whole = LogoIndex(files, data[:n], {})
    t0 = time.perf_counter()
    _ = with_parts.search_index, whole.search_index  # built before timing
    build_s = time.perf_counter() - t0
    sides = {"whole only": lambda v, vp: whole.search(v, 10),
             "+parts in the index": lambda v, vp: with_parts.search(v, 10),
             "+parts and the query's part": lambda v, vp: with_parts.search(v, 10, query_part=vp)}
    times = {k: [] for k in sides}
    for i in range(len(q)):
        for name, fn in sides.items():
            t = time.perf_counter()
            fn(q[i], q[(i + 1) % len(q)])
            times[name].append(time.perf_counter() - t)
    return {"backend": with_parts.search_index.backend, "build_s": build_s,
            **{k: float(np.median(v) * 1000) for k, v in times.items()}}


def png_query(queries: int = 60) -> dict:
    """One query image to its vector for a 224 px PNG logo (decode, preprocess, forward at batch
    1; warm ONNX path), p50 over ``queries`` logos drawn to 224 px PNGs beforehand."""
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(CACHE / "data"))
    from core.logos.images import load_logo
    from core.logos.query import QueryEmbedder
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager

    files, _ = logo_vectors()
    embed = QueryEmbedder(load_encoder(ModelManager(), "effnet-lite0"))
    with tempfile.TemporaryDirectory(prefix="simscope-png-") as tmp:
        pngs = []
        for i, f in enumerate(files[:: max(1, len(files) // queries)][:queries]):
            pngs.append(Path(tmp) / f"{i}.png")
            load_logo(f, 224).save(pngs[-1])
        for p in pngs[:3]:
            embed(p)
        times = []
        for p in pngs:
            t0 = time.perf_counter()
            embed(p)
            times.append(time.perf_counter() - t0)
    return {"p50_ms": float(np.median(times) * 1000), "path": embed.describe()}


def cli_cold(runs: int = 4) -> dict:
    """``python -m core logos query FILE --reencode`` on the shared logos' index, each run a new
    process (what a shell user gets without a server keeping the model warm), in a new data dir:
    the first query goes through torch and makes the ONNX export (once per model); the later
    ones embed through the export without importing torch. Wall-clock: the first, the others' median."""
    from core.logos.index import LogoIndex

    files, vectors = logo_vectors()
    times = []
    with tempfile.TemporaryDirectory(prefix="simscope-cli-") as tmp:
        env = dict(os.environ, SIMSCOPE_DATA_DIR=str(Path(tmp) / "data"))
        from core.models.loaders import load

        model = load("effnet-lite0").describe()  # what an index built by the app records
        LogoIndex(list(files), vectors, {"model": model}).save(Path(tmp) / "index")
        for i in range(runs):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "core", "logos", "query", files[i * 7], "--index",
                                  str(Path(tmp) / "index"), "--reencode", "--json"],
                                 capture_output=True, text=True, cwd=ROOT, env=env)
            times.append(time.perf_counter() - t0)
            if out.returncode != 0:
                raise RuntimeError(out.stderr[-2000:])
    return {"first_s": times[0], "cold_p50_s": float(np.median(times[1:]))}


def albums_similar(n: int = 10_000, queries: int = 100) -> dict:
    """Albums' Find similar at ``n`` photos: the function the page calls on the UI thread."""
    from core.albums.pipeline import similar_photos
    from core.search import SearchIndex

    data, _ = dataset(n, 1)
    index = SearchIndex(data.shape[1])
    paths = [f"/photos/{i:06d}.jpg" for i in range(n)]
    index.add(paths, data)
    times = []
    for i in range(queries):
        t = time.perf_counter()
        similar_photos(index, paths[i * 97 % n], 40)
        times.append(time.perf_counter() - t)
    return {"backend": index.backend, "p50_ms": float(np.median(times) * 1000),
            "max_ms": float(np.max(times) * 1000)}


def run_child(kind: str, backend: str, n: int, folder: str, queries: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, backend, str(n), folder, str(queries)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, backend, n, folder, queries = sys.argv[2:7]
        fn = {"build": child_build, "search": child_search}[kind]
        print(json.dumps(fn(backend, int(n), folder, int(queries))))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["exact", "hnsw", "faiss"],
                        choices=["exact", "hnsw", "faiss"])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--only-end-to-end", action="store_true")
    parser.add_argument("--parts", type=int, metavar="N", help="only: LogoIndex.search with wordmark parts at N logos")
    parser.add_argument("--jitter", choices=["subspace", "isotropic"], default="subspace",
                        help="how copies differ from their logo (see _jitter)")
    parser.add_argument("--keep", metavar="DIR", help="keep each built index (and its truth) in DIR/<backend>-<n>, "
                        "and search an index already there instead of building it again")
    args = parser.parse_args()
    if not LOGOS.exists():
        print(f"skipped: {LOGOS} is absent")
        return 0
    os.environ["SIMSCOPE_BENCH_JITTER"] = args.jitter  # the child processes make the same vectors
    logo_vectors()  # embedded once, before anything is timed
    if args.parts:
        r = parts_search(args.parts, args.queries)
        print(f"logo index with parts n={args.parts} (+40% parts) backend={r['backend']} build_s={r['build_s']:.1f} "
              + " ".join(f"{k.replace(' ', '_')}_p50_ms={v:.2f}" for k, v in r.items() if k not in ("backend", "build_s")),
              flush=True)
        return 0
    for n in [] if args.only_end_to_end else args.n:
        for backend in args.backends:
            if backend == "faiss" and importlib.util.find_spec("faiss") is None:
                print(f"backend=faiss n={n} skipped: faiss-cpu is not installed (pip install faiss-cpu)")
                continue
            if backend == "exact" and n > 200_000:
                print(f"backend=exact n={n} skipped: a {n * 1280 * 4 / 2**30:.1f} GB float32 matrix per query")
                continue
            with tempfile.TemporaryDirectory(prefix="simscope-search-") as tmp:
                folder = str(Path(args.keep or tmp) / f"{backend}-{n}-{args.jitter}")
                built = Path(folder + ".build.json")
                if args.keep and built.exists():  # built before: search it again (a changed search path)
                    b = json.loads(built.read_text())
                else:
                    Path(folder).parent.mkdir(parents=True, exist_ok=True)
                    b = run_child("build", backend, n, folder, args.queries)
                    built.write_text(json.dumps(b))
                s = run_child("search", backend, n, folder, args.queries)
            print(f"jitter={args.jitter} backend={backend} n={n} build_s={b['build_s']:.1f} size_mb={b['size_mb']:.0f} "
                  f"open_s={s['open_s']:.3f} p50_ms={s['p50_ms']:.2f} p99_ms={s['p99_ms']:.2f} "
                  f"recall10={s['recall10']:.3f} peak_rss_mb={s['peak_rss_mb']:.0f} "
                  f"anon_mb={s['anon_mb']:.0f} (RSS counts the memory-mapped files' pages in the page cache; "
                  f"anon: the process's own memory; before open {s['rss_before_open_mb']:.0f})", flush=True)
    if not args.no_end_to_end:
        a = albums_similar()
        print(f"albums find-similar n=10000 backend={a['backend']} p50_ms={a['p50_ms']:.2f} "
              f"max_ms={a['max_ms']:.2f} (on the UI thread; target < 50 ms)", flush=True)
        g = png_query()
        print(f"query image to vector, 224 px PNG logo: p50_ms={g['p50_ms']:.1f} ({g['path']}; target < 15 ms)",
              flush=True)
        c = cli_cold()
        print(f"cli cold query (a new process each): first_s={c['first_s']:.2f} (torch; makes the ONNX export) "
              f"then p50_s={c['cold_p50_s']:.2f} (ONNX Runtime, no torch import)", flush=True)
        for e in end_to_end(100_000, 60):
            print(f"backend={e['backend']} n=100000 end_to_end_p50_ms={e['end_to_end_p50_ms']:.1f} "
                  f"(embed {e['embed_p50_ms']:.1f} + search {e['search_p50_ms']:.2f}; {e['embed_path']})",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
