"""Lost & Found retrieval quality on pairs made from the shared photos.

Run: python bench/lostfound_eval.py [--pairs-per-class 12]
For each lost post, the candidates are its partner plus every found post of
another class; hit@k = the partner is in the top k. Reported for text only,
image only and combined at slider values 0.3 / 0.5 / 0.7, over all pairs and
over the pairs whose lost post has no photo. No categories are given (they
would make it trivial), so the channels are measured on their own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lostfound_data import SHARED, make_pairs  # noqa: E402
from core.cache import EmbeddingCache  # noqa: E402
from core.lostfound.match import MatchSettings, rank  # noqa: E402
from core.lostfound.service import LostFound, make_embedder  # noqa: E402
from core.lostfound.store import Post, PostStore  # noqa: E402
from core.models.manager import ModelManager  # noqa: E402

SETTINGS = {
    "text only": MatchSettings(text_weight=1.0, use_image_gate=False),
    "image only": MatchSettings(text_weight=0.0, use_image_gate=False),
    "combined 0.3": MatchSettings(text_weight=0.3),
    "combined 0.5": MatchSettings(text_weight=0.5),
    "combined 0.7": MatchSettings(text_weight=0.7),
    "0.5, no gate": MatchSettings(text_weight=0.5, use_image_gate=False),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs-per-class", type=int, default=12)
    parser.add_argument("--clip", help="a CLIP preset instead of the offline models")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"shared data not found at {SHARED}")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        posts = make_pairs(tmp, args.pairs_per_class)
        store = PostStore(tmp / "lf.sqlite")
        meta = {}
        for p in posts:
            post = store.add(Post(kind=p["kind"], description=p["description"]), photo=p["image"])
            meta[post.id] = p
        service = LostFound(store, make_embedder(ModelManager("auto"), EmbeddingCache(tmp / "emb.sqlite"), args.clip))
        t = time.perf_counter()
        v = service.refresh()
        embed_s = time.perf_counter() - t
        print(f"{len(posts) // 2} pairs, {len(set(p['cls'] for p in posts))} classes, "
              f"{sum(1 for p in posts if p['kind'] == 'lost' and not p['image'])} lost posts without a photo; "
              f"embedded in {embed_s:.1f} s")
        for channel, desc in v.models.items():
            print(f"  {channel}: {desc if isinstance(desc, str) else desc['preset'] + ' — ' + desc['weights']}")
        lost_ids = [pid for pid, p in meta.items() if p["kind"] == "lost"]
        partner = {pid: next(q for q, m in meta.items() if m["kind"] == "found" and m["pair"] == p["pair"])
                   for pid, p in meta.items() if p["kind"] == "lost"}
        print(f"\n{'setting':<14} {'hit@1':>6} {'hit@5':>6}   {'no-photo hit@1':>14} {'no-photo hit@5':>14}")
        for name, settings in SETTINGS.items():
            hits = {1: [], 5: []}
            nophoto = {1: [], 5: []}
            for q in lost_ids:
                cls = meta[q]["cls"]
                cands = np.array([v.row(f) for f, m in meta.items() if m["kind"] == "found"
                                  and (m["cls"] != cls or f == partner[q])])
                order = [m.post_id for m in rank(v, q, settings, service.calibration, k=5, candidates=cands)]
                for k in (1, 5):
                    hit = partner[q] in order[:k]
                    hits[k].append(hit)
                    if not meta[q]["image"]:
                        nophoto[k].append(hit)
            print(f"{name:<14} {np.mean(hits[1]):6.3f} {np.mean(hits[5]):6.3f}   "
                  f"{np.mean(nophoto[1]):14.3f} {np.mean(nophoto[5]):14.3f}")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
