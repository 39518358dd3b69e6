"""Matching speed: one post against 10,000 stored posts with cached embeddings,
and, side by side on 100 posts, the seed's way (re-encoding both posts per pair).

Run: python bench/lostfound_match.py [--posts 10000] [--queries 200]
Posts are generated from the shared photos (photos repeat across posts; their
embeddings are cached once) and the Korean/English templates of the eval.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lostfound_data import SHARED, make_pairs
from core.cache import EmbeddingCache
from core.images import open_image
from core.lostfound.match import MatchSettings, rank
from core.lostfound.service import LostFound, make_embedder
from core.lostfound.store import Post, PostStore
from core.models.manager import ModelManager


def seed_way(embedder, query: Post, others: list[Post]) -> list[float]:
    """The seed's calculate_similarity: both posts re-encoded for every pair."""
    import torch

    text_enc, image_enc = embedder.text_encoder, embedder.image_encoder

    def encode(post):
        t = text_enc.embed_texts([post.description])[0]
        i = None
        if post.image:
            i = image_enc.encode(torch.stack([image_enc.preprocess(open_image(post.image))]))[0]
        return t, i

    scores = []
    for other in others:
        (tq, iq), (to, io) = encode(query), encode(other)
        s = 0.3 * float(tq @ to) + (0.7 * float(iq @ io) if iq is not None and io is not None else 0.0)
        scores.append(s)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"shared data not found at {SHARED}")
        return 1
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pool = make_pairs(tmp, pairs_per_class=12)
        store = PostStore(tmp / "lf.sqlite")
        t = time.perf_counter()
        for i in range(args.posts):
            p = rng.choice(pool)
            # vary the text so the text vectors are not all cache hits
            store.add(Post(kind=rng.choice(("lost", "found")), description=f"{p['description']} #{i}"),
                      photo=p["image"] if rng.random() < 0.6 else None)
        print(f"stored {args.posts:,} posts in {time.perf_counter() - t:.1f} s")
        service = LostFound(store, make_embedder(ModelManager("auto"), EmbeddingCache(tmp / "emb.sqlite")))
        t = time.perf_counter()
        service.refresh()
        print(f"first embedding of all posts: {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        service.refresh()
        print(f"re-open (everything cached):  {time.perf_counter() - t:.1f} s")

        ids = [int(i) for i in service.vectors.ids]
        settings = MatchSettings()
        times, exact_times, agree = [], [], []
        for q in rng.sample(ids, args.queries):  # interleaved: pre-selected, then every pair exactly
            t = time.perf_counter()
            fast = service.match(q, settings, k=10)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            full = service.match(q, settings, k=10, exact=True)
            exact_times.append(time.perf_counter() - t)
            agree.append(len({m.post_id for m in fast} & {m.post_id for m in full}) / max(len(full), 1))
        p50, p95 = statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000
        e50 = statistics.median(exact_times) * 1000
        how = ("pre-selected through the search layer" if service.vectors.reduced is not None
               else "every pair (below the pre-selection size)")
        print(f"\none post vs {args.posts:,} stored posts ({how}): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(target p50 < 50 ms); every pair exactly, same queries interleaved: p50 {e50:.1f} ms "
              f"({e50 / p50:.1f}x); top-10 agreement with every pair {np.mean(agree):.3f}")

        # side by side on 100 posts
        posts = store.list()
        query = next(p for p in posts if p.image)
        others = [p for p in posts if p.kind != query.kind][:100]
        rows = np.array([service.vectors.row(p.id) for p in others])
        t = time.perf_counter()
        for _ in range(20):
            rank(service.vectors, query.id, settings, service.calibration, k=10, candidates=rows)
        ours = (time.perf_counter() - t) / 20
        t = time.perf_counter()
        seed_way(service.embedder, query, others)
        seed = time.perf_counter() - t
        print(f"one post vs 100 posts: cached {ours * 1000:.2f} ms, seed's re-encoding {seed * 1000:.0f} ms "
              f"→ {seed / ours:,.0f}× faster")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
