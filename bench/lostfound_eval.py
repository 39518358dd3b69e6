"""Lost & Found retrieval quality on pairs made from the shared photos.

Run: python bench/lostfound_eval.py [--pairs-per-class 12]
For each lost post, the candidates are its partner plus every found post of
another class; hit@k = the partner is in the top k. Reported for text only,
image only and combined at slider values 0.3 / 0.5 / 0.7, over all pairs and
over the pairs whose lost post has no photo. No categories are given (they
would make it trivial), so the channels are measured on their own. Then the
categories: filled in, left empty, inferred; and as staff work (the found
posts' given, the lost posts' inferred from their words alone or also from
their nearest posts with a category).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lostfound_data import SHARED, make_pairs
from core.cache import EmbeddingCache
from core.lostfound.match import MatchSettings, rank
from core.lostfound.service import LostFound, make_embedder
from core.lostfound.store import Post, PostStore
from core.models.manager import ModelManager

SETTINGS = {
    "text only": MatchSettings(text_weight=1.0, use_image_gate=False),
    "image only": MatchSettings(text_weight=0.0, use_image_gate=False),
    "combined 0.3": MatchSettings(text_weight=0.3),
    "combined 0.5": MatchSettings(text_weight=0.5),
    "combined 0.7": MatchSettings(text_weight=0.7),
    "0.5, no gate": MatchSettings(text_weight=0.5, use_image_gate=False),
}


CATEGORY_OF = {"wallet": "지갑", "phone": "휴대폰", "airpods": "전자기기", "hat": "모자", "shoes": "신발"}  # the rest: 의류


def categories(v, meta: dict, lost_ids: list[int], partner: dict, calibration) -> None:
    """Combined 0.5 with the posts' categories filled in (the true ones), left empty, and
    inferred from text and photo (what the app does with empty ones); and how many unrelated
    pairs (different true categories) score above the "similar" line."""
    from dataclasses import replace

    from core.lostfound.categories import category_phrases

    truth = [CATEGORY_OF.get(meta[int(i)]["cls"], "의류") for i in v.ids]
    n = len(v.ids)
    names, _, _ = category_phrases()
    onehot = np.eye(len(names))[[names.index(t) for t in truth]]
    modes = {
        "filled": replace(v, top_category=truth, category_known=np.ones(n, bool), category_conf=np.ones(n),
                          category_code=np.unique(truth, return_inverse=True)[1], category_prob=onehot),
        "empty": replace(v, category_known=np.zeros(n, bool), category_conf=np.zeros(n),
                         category_prob=np.zeros_like(onehot)),
        "inferred": v,
    }
    inferred = v.category_inferred if v.category_inferred is not None else np.zeros(n, bool)
    right = [t == g for t, g, inf in zip(truth, v.top_category, inferred, strict=True) if inf]
    print(f"\ncategories inferred for {int(inferred.sum())} of {n} posts (all left empty): "
          f"{np.mean(right) if right else 0:.3f} right; mean confidence "
          f"{np.mean(v.category_conf[inferred]) if inferred.any() else 0:.2f}")
    print(f"{'categories':<14} {'hit@1':>6} {'hit@5':>6}   unrelated pairs above the similar line")
    for mode, vv in modes.items():
        h1, h5, unrelated = category_hits(vv, meta, lost_ids, partner, calibration)
        print(f"{mode:<14} {h1:6.3f} {h5:6.3f}   {unrelated}")


def category_hits(vv, meta: dict, lost_ids: list[int], partner: dict, calibration) -> tuple[float, float, int]:
    """hit@1, hit@5 and the unrelated pairs above the similar line, combined 0.5."""
    settings = SETTINGS["combined 0.5"]
    found = [f for f, m in meta.items() if m["kind"] == "found"]
    hits = {1: [], 5: []}
    unrelated = 0
    for q in lost_ids:
        cls = meta[q]["cls"]
        cands = np.array([vv.row(f) for f in found if meta[f]["cls"] != cls or f == partner[q]])
        ranked = rank(vv, q, settings, calibration, k=None, candidates=cands)
        order = [m.post_id for m in ranked[:5]]
        for k in (1, 5):
            hits[k].append(partner[q] in order[:k])
        qcat = CATEGORY_OF.get(cls, "의류")
        unrelated += sum(1 for m in ranked if m.similar and CATEGORY_OF.get(meta[m.post_id]["cls"], "의류") != qcat)
    return float(np.mean(hits[1])), float(np.mean(hits[5])), unrelated


def staff_filled(posts: list[dict], tmp: Path, embedder) -> None:
    """As a lost-and-found office works: the found posts' categories given (by staff), the lost
    posts' left empty and inferred, from their own words and labels only or also from their
    nearest posts with a category (core.lostfound.index.NEIGHBOURS)."""
    import core.lostfound.index as index

    store = PostStore(tmp / "staff.sqlite")
    meta = {}
    for p in posts:
        category = CATEGORY_OF.get(p["cls"], "의류") if p["kind"] == "found" else ""
        meta[store.add(Post(kind=p["kind"], description=p["description"], category=category), photo=p["image"]).id] = p
    lost_ids = [pid for pid, p in meta.items() if p["kind"] == "lost"]
    partner = {pid: next(q for q, m in meta.items() if m["kind"] == "found" and m["pair"] == p["pair"])
               for pid, p in meta.items() if p["kind"] == "lost"}
    service = LostFound(store, embedder)
    print("\nfound posts' categories given (staff), lost posts' inferred:")
    print(f"{'lost posts from':<34} {'right':>6} {'hit@1':>6} {'hit@5':>6}   unrelated pairs above the similar line")
    kept = index.NEIGHBOURS
    try:
        for name, k in (("their words and labels", 0), (f"+ their {kept} nearest given posts", kept)):
            index.NEIGHBOURS = k
            v = service.refresh()
            lost = [v.row(q) for q in lost_ids]
            right = np.mean([v.top_category[i] == CATEGORY_OF.get(meta[q]["cls"], "의류")
                             for i, q in zip(lost, lost_ids, strict=True)])
            h1, h5, unrelated = category_hits(v, meta, lost_ids, partner, service.calibration)
            print(f"{name:<34} {right:6.3f} {h1:6.3f} {h5:6.3f}   {unrelated}")
    finally:
        index.NEIGHBOURS = kept
        store.close()


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
        categories(v, meta, lost_ids, partner, service.calibration)
        store.close()
        staff_filled(posts, tmp, service.embedder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
