"""Albums' Find similar and search by words: what is shown before (the top k, whatever the score)
and after the calibrated cut (``core.albums.relevance``), against the photos of the same event.

Run: python bench/albums_relevance.py [--cuts 0.9,0.95,0.99,0.999]
On events4 (four events, photos in event folders), as albums of a user's size: 60 photos (the
first 15 of each event's test folder) and the 200 test photos. Find similar: every photo is the
query once, k = 40 as the page asks; search by words: beach / christmas / halloween / family in
English and Korean, k = 60 as the page asks. Precision: the share of shown photos from the query's
event; recall: the share of the event's other photos shown (micro-averaged). Then the cost of the
null (random pairs, kept per album state) as the album grows, on random unit vectors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DB = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos" / "events4" / "Database"
QUERIES = {"beach": "beach", "christmas": "christmas", "halloween": "halloween", "family": "family",
           "해변": "beach", "크리스마스": "christmas", "할로윈": "halloween", "가족": "family"}


def event(path: str) -> str:
    return Path(path).parent.name.split("_")[0]


def scores(rows: list[tuple[list[str], str, int]]) -> tuple[float, float, float]:
    """(precision, recall, mean shown) over (shown paths, true event, photos of that event to find)."""
    shown = sum(len(s) for s, _, _ in rows)
    right = sum(sum(event(p) == truth for p in s) for s, truth, _ in rows)
    wanted = sum(w for _, _, w in rows)
    return right / max(shown, 1), right / max(wanted, 1), shown / max(len(rows), 1)


def evaluate(name: str, files: list[str], cuts: list[float]) -> None:
    from core.albums.pipeline import Album, make_models
    from core.albums.relevance import CUT, decoy_null, found, photo_null, similar_found, words_found
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        album.add(files)
        index = album.search_index()
        per_event = {e: sum(event(p) == e for p in album.data.paths) for e in QUERIES.values()}
        null = photo_null(index)
        print(f"{name}: {len(album.data.paths)} photos; find-similar null: centre {null.centre:.3f}, "
              f"spread {null.spread:.3f} over {null.pairs} pairs; the cut {CUT} is raw {null.raw_at(CUT):.3f}")
        base = [similar_found(index, p, 40, cut=0.0) for p in album.data.paths]
        rows = lambda fs: [([h[0] for h in f.hits], event(p), per_event[event(p)] - 1)  # noqa: E731
                           for f, p in zip(fs, album.data.paths, strict=True)]
        p, r, m = scores(rows(base))
        print(f"  find similar  top 40 (before)           precision {p:.3f}  recall {r:.3f}  shown {m:5.1f}")
        for cut in cuts:
            cutted = [found(f.pairs(), null, len(index) - 1, cut) for f in base]
            p, r, m = scores(rows(cutted))
            print(f"  find similar  cut {cut:<6} {'(default)' if cut == CUT else '':9}        precision {p:.3f}  "
                  f"recall {r:.3f}  shown {m:5.1f}")
        words = {q: words_found(album, q, 60, cut=0.0) for q in QUERIES}
        wrows = lambda fs: [([h[0] for h in fs[q].hits], t, per_event[t]) for q, t in QUERIES.items()]  # noqa: E731
        p, r, m = scores(wrows({q: f for q, (f, _) in words.items()}))
        wnull = None
        print(f"  search words  top 60 (before)           precision {p:.3f}  recall {r:.3f}  shown {m:5.1f}")
        for cut in cuts:
            cutted = {}
            for q, (f, _) in words.items():
                wnull = decoy_null(album.words_index(), None, "text")  # kept by words_found above
                cutted[q] = found(f.pairs(), wnull, len(album.words_index()), cut)
            p, r, m = scores(wrows(cutted))
            print(f"  search words  cut {cut:<6} {'(default)' if cut == CUT else '':9}        precision {p:.3f}  "
                  f"recall {r:.3f}  shown {m:5.1f}")
        if wnull is not None:
            print(f"  words null: centre {wnull.centre:.3f}, spread {wnull.spread:.3f} over {wnull.pairs} pairs")
        f, kind = words_found(album, "church", 60)
        print(f"  'church': {f.summary()}")


def cost(sizes: list[int], dim: int = 1280) -> None:
    """The nulls' cost as the album grows (random unit vectors in an exact index; medians of 5)."""
    from core.albums.relevance import _decoy_scores, _photo_nulls, decoy_null, photo_null
    from core.search import SearchIndex

    rng = np.random.default_rng(0)
    decoys = rng.standard_normal((50, 512)).astype(np.float32)
    print("cost of the nulls (once per album state), by album size:")
    last = prev = None
    for n in sizes:
        index = SearchIndex(dim, exact_max=max(sizes))
        index.add([str(i) for i in range(n)], rng.standard_normal((n, dim)).astype(np.float32))
        words = SearchIndex(512, exact_max=max(sizes))
        words.add([str(i) for i in range(n)], rng.standard_normal((n, 512)).astype(np.float32))
        photo_t, words_t = [], []
        for _ in range(5):  # interleaved, each time as the first call for its index
            _photo_nulls.pop(index, None)
            t = time.perf_counter()
            photo_null(index)
            photo_t.append(time.perf_counter() - t)
            _decoy_scores.pop(words, None)
            t = time.perf_counter()
            decoy_null(words, lambda w: decoys, "text")
            words_t.append(time.perf_counter() - t)
        ms = (1000 * float(np.median(photo_t)), 1000 * float(np.median(words_t)))
        grow = (f"   (×{ms[0] / last[0]:.1f} / ×{ms[1] / last[1]:.1f} for ×{n // prev} photos)" if last else "")
        print(f"  n={n:>7}  find similar {ms[0]:7.1f} ms  words {ms[1]:7.1f} ms{grow}")
        last, prev = ms, n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cuts", default="0.9,0.95,0.99,0.999", help="cuts to compare, as shares")
    args = parser.parse_args()
    if not DB.exists():
        print(f"events4 not found at {DB}")
        return 1
    cuts = [float(c) for c in args.cuts.split(",")]
    tests = sorted(DB.glob("*_test"))
    sixty = [str(p) for folder in tests for p in sorted(folder.iterdir())[:15]]
    evaluate("60 photos of 4 events", sixty, cuts)
    evaluate("200 test photos", [str(f) for f in tests], cuts)
    cost([1_000, 10_000, 50_000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
