"""Albums clustering quality against the folder labels of events4 (number of events not given).

Run: python bench/albums_eval.py [--all] [--kinds]
Prints ARI, NMI and the unsorted share for the 200 `*_test` photos (and, with
--all, all 3,031), and which model preset and weights made the vectors; for each,
what the automatic events (the agreement of a grid of settings, read again) reach beside
the agreement alone, the single default setting and the best fixed setting of that grid, the gap the
automatic choice leaves (``--collections``: the same over seven collections cut
from events4: all, the test photos, three events, two events, the training photos,
600 and 150 at random); then,
through the app's own Album (``--names``, on by default), the names it gave
the events of the 200 test photos and how many carry the right kind, and
precision@20 of search by words for beach / christmas / halloween / family in
English and Korean (with --all: also over all 3,031 photos).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataclasses import replace

from core.albums.cluster import DEFAULT_DIMS, ClusterSettings, cluster, grid
from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.images import list_images
from core.models.loaders import load

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DB = DATA / "photos" / "events4" / "Database"
OBJECTS = DATA / "lostfound"


def strays(encoder, count: int) -> np.ndarray:
    """Photos from another collection (lost-and-found objects) to mix into the events."""
    files = sorted(OBJECTS.rglob("*.jpg"))
    step = max(1, len(files) // count) if count else 1
    with EmbeddingCache() as cache:
        return embed_image_files(files[::step][:count], encoder, cache).vectors


def against_fixed(vectors: np.ndarray, truth: np.ndarray, settings: ClusterSettings) -> dict:
    """ARI and unsorted share of the automatic events, the single default setting and every
    fixed setting of the automatic grid (the best of them is what a perfect choice reaches)."""
    from sklearn.metrics import adjusted_rand_score

    def score(s: ClusterSettings) -> tuple[float, float]:
        labels, _ = cluster(vectors, s)
        return adjusted_rand_score(truth, labels), float((labels < 0).mean())

    fixed = {(s.min_size, s.dims): score(s) for s in grid(settings, len(vectors))}
    best = max(fixed, key=lambda k: fixed[k][0])
    return {"automatic": score(settings), "agreement": score(replace(settings, read_again=False)),
            "default": score(replace(settings, dims=DEFAULT_DIMS)),
            "best": fixed[best], "best_setting": best}


def collections(truth: np.ndarray, test: np.ndarray) -> dict[str, np.ndarray]:
    """Seven collections cut from events4 (masks over all its photos), seeded."""
    rng = np.random.default_rng(0)
    n = len(truth)
    pick = lambda k: np.isin(np.arange(n), rng.choice(n, k, replace=False))  # noqa: E731
    return {"all": np.ones(n, bool), "test photos": test, "3 events": truth != "family",
            "2 events": np.isin(truth, ["beach", "christmas"]), "training photos": ~test,
            "600 at random": pick(600), "150 at random": pick(150)}


def settings_report(encoder, settings: ClusterSettings) -> None:
    with EmbeddingCache() as cache:
        res = embed_image_files(list_images([DB]), encoder, cache)
    truth = np.array([Path(p).parent.name.split("_")[0] for p in res.paths])
    test = np.array(["_test" in p for p in res.paths])
    rows = {}
    print("automatic events vs fixed settings (ARI / unsorted):")
    for name, mask in collections(truth, test).items():
        r = rows[name] = against_fixed(res.vectors[mask], truth[mask], settings)
        (a, ua), (g, ug), (d, ud), (b, ub) = r["automatic"], r["agreement"], r["default"], r["best"]
        print(f"  {name:<16} {mask.sum():5d} photos  automatic {a:.3f} / {ua:4.1%}   agreement alone "
              f"{g:.3f} / {ug:4.1%}   one default setting "
              f"{d:.3f} / {ud:4.1%}   best fixed {b:.3f} / {ub:4.1%} (min size {r['best_setting'][0]}, "
              f"{r['best_setting'][1]} dims)")
    mean = lambda key, i: np.mean([r[key][i] for r in rows.values()])  # noqa: E731
    print(f"  mean ARI: automatic {mean('automatic', 0):.3f}, agreement alone (not read again) "
          f"{mean('agreement', 0):.3f}, one default setting {mean('default', 0):.3f}, "
          f"best fixed (a different one per collection) {mean('best', 0):.3f}; largest unsorted share "
          f"{max(r['automatic'][1] for r in rows.values()):.1%} / {max(r['default'][1] for r in rows.values()):.1%}")


def evaluate(name: str, folders: list[Path], encoder, settings: ClusterSettings, stray: int = 0) -> None:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    paths = list_images(folders)
    with EmbeddingCache() as cache:
        t = time.perf_counter()
        res = embed_image_files(paths, encoder, cache)
        embed_s = time.perf_counter() - t
    truth = np.array([Path(p).parent.name.split("_")[0] for p in res.paths])
    t = time.perf_counter()
    labels, _ = cluster(res.vectors, settings)
    cluster_s = time.perf_counter() - t
    sorted_ = labels >= 0
    ari_all = adjusted_rand_score(truth, labels)  # unsorted counted as one more group
    ari_sorted = adjusted_rand_score(truth[sorted_], labels[sorted_])
    nmi = normalized_mutual_info_score(truth, labels)
    print(f"{name:<18} photos {len(res.paths):5d}  events found {labels.max() + 1:2d}  "
          f"ARI {ari_all:.3f} (sorted only {ari_sorted:.3f})  NMI {nmi:.3f}  unsorted {1 - sorted_.mean():.1%}  "
          f"[embed {embed_s:.0f} s, cluster {cluster_s:.2f} s]")
    if stray:
        mixed, _ = cluster(np.concatenate([res.vectors, strays(encoder, stray)]), settings)
        mixed_ari = adjusted_rand_score(truth, mixed[:len(truth)])
        print(f"{'':<18} + {stray} object photos mixed in: {(mixed[len(truth):] < 0).mean():.0%} of them stay "
              f"unsorted; events photos ARI {mixed_ari:.3f}, unsorted {(mixed[:len(truth)] < 0).mean():.1%}")


QUERIES = {"beach": "beach", "christmas": "christmas", "halloween": "halloween", "family": "family",
           "해변": "beach", "크리스마스": "christmas", "할로윈": "halloween", "가족": "family"}


def names_and_words(folders: list[Path]) -> None:
    """Event names and search by words, as the app makes them (offline models)."""
    from collections import Counter

    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        album.add([str(f) for f in folders])
        album.regroup()
        print(f"names ({models.describe()['names']}):")
        right = 0
        for e in store.events():
            truth, n = Counter(p.path.split("/")[-2].split("_")[0] for p in store.photos(e.id)).most_common(1)[0]
            ok = e.name.split(" · ")[0].lower().replace(" group", "") == truth
            right += ok
            print(f"  {e.name!r:50} {n:3d} photos of {truth:<10} kind {'right' if ok else 'not right'}")
        print(f"  events named with their right kind: {right} of {len(store.events())}")
        precision = []
        for query, truth in QUERIES.items():
            hits = album.search_words(query, 20)
            p = sum(h[0].split("/")[-2].startswith(truth) for h in hits) / 20
            precision.append(p)
            print(f"  search {query!r:14} precision@20 {p:.2f}")
        print(f"  search by words: mean precision@20 {np.mean(precision):.3f}")


def kinds_report(encoder, seeds: int = 5) -> None:
    """Kinds learned from names (``core.albums.kinds``): one event of each kind named from one part
    of events4 (40 photos of the kind, or 10), the other part grouped as the app groups it; per
    run, how many of the 4 kinds name an event of theirs, and events named with a wrong kind;
    then the EXIF samples and the demo album, where no kind was named: events given a kind."""
    import tempfile

    from core.albums.kinds import KindStore, match

    with EmbeddingCache() as cache:
        res = embed_image_files(list_images([DB]), encoder, cache)
        nulls = {name: embed_image_files(list_images([folder]), encoder, cache).vectors for name, folder in (
            ("EXIF samples", DATA / "photos" / "exif-samples"),
            ("demo album", Path(__file__).resolve().parent.parent / "resources" / "demo" / "album"))}
    truth = np.array([Path(p).parent.name.split("_")[0] for p in res.paths])
    test = np.array(["_test" in p for p in res.paths])
    kinds = sorted(set(truth))
    print(f"kinds learned from names ({len(kinds)} kinds; a named event of N photos per kind):")
    for split in ("random halves", "train -> test"):
        for size in (40, 10):
            right, own, wrong, unsure, null_named = [], [], 0, 0, 0
            runs = seeds if split == "random halves" else 3
            for seed in range(runs):
                rng = np.random.default_rng(seed)
                a = rng.random(len(truth)) < 0.5 if split == "random halves" else ~test
                with tempfile.TemporaryDirectory() as tmp, KindStore(Path(tmp) / "kinds.sqlite") as store:
                    for k in kinds:
                        pick = rng.choice(np.flatnonzero(a & (truth == k)), size, replace=False)
                        store.teach(f"{k.title()} {2020 + seed}", "events4", kinds.index(k), encoder.name,
                                    [res.paths[i] for i in pick], res.vectors[pick])
                    sources = store.sources(encoder.name)
                b = np.flatnonzero(~a)
                labels, _ = cluster(res.vectors[b], ClusterSettings())
                found, majors = set(), set()
                for c in range(labels.max() + 1):
                    members = b[labels == c]
                    m = match(res.vectors[members], sources)
                    major = max(kinds, key=lambda k: (truth[members] == k).sum())
                    majors.add(major)
                    if m is not None and m.sure:
                        if m.kind.lower() == major:
                            found.add(major)
                        else:
                            wrong += 1
                    unsure += m is not None and not m.sure
                right.append(len(found))
                own.append(len(majors))
                for v in nulls.values():
                    nl, _ = cluster(v, ClusterSettings())
                    groups = [np.flatnonzero(nl == c) for c in range(nl.max() + 1)] + [np.arange(len(v))]
                    null_named += sum(1 for g in groups if (m := match(v[g], sources)) is not None and m.sure)
            print(f"  {split:<14} named events of {size:2d}: kinds named right {min(right)}–{max(right)} of "
                  f"{len(kinds)} (mean {np.mean(right):.2f} over {runs} runs; kinds the grouping gave an event of "
                  f"their own {min(own)}–{max(own)}), wrong kinds {wrong}, unsure "
                  f"events {unsure}; EXIF samples + demo album (clusters and whole): events given a kind {null_named}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="also all 3,031 photos")
    parser.add_argument("--min-size", type=int, default=None, help="default: 2% of the photos, at least 8")
    parser.add_argument("--dims", type=int, default=None, help="default: automatic (with --min-size unset)")
    parser.add_argument("--collections", action="store_true",
                        help="automatic events vs the default and the best fixed setting on seven collections")
    parser.add_argument("--strays", action="store_true",
                        help="also mix in photos of objects (5 / 40): how many stay unsorted, as they should")
    parser.add_argument("--reach", type=float, default=1.0,
                        help="how far out (times the event's radius) a noise photo may join; large = no limit")
    parser.add_argument("--share", type=float, default=0.5, help="vote share a noise photo needs to join an event")
    parser.add_argument("--no-names", action="store_true", help="skip event names and search by words")
    parser.add_argument("--kinds", action="store_true",
                        help="only kinds learned from names: events4 named / grouped in halves, no kind on "
                             "the EXIF samples and the demo album")
    args = parser.parse_args()
    if not DB.exists():
        print(f"events4 not found at {DB}")
        return 1
    encoder = load("effnet-lite0")
    print(f"model: {encoder.name} — {encoder.weights}")
    if args.kinds:
        kinds_report(encoder)
        return 0
    settings = ClusterSettings(min_size=args.min_size, dims=args.dims, assign_share=args.share, reach=args.reach)
    print(f"settings: {settings}")
    evaluate("200 test photos", sorted(DB.glob("*_test")), encoder, settings, stray=5 if args.strays else 0)
    if args.all:
        evaluate("all 3,031 photos", [DB], encoder, settings, stray=40 if args.strays else 0)
    if args.collections:
        settings_report(encoder, settings)
    if not args.no_names:
        print("the 200 test photos as an album:")
        names_and_words(sorted(DB.glob("*_test")))
        if args.all:
            print("all 3,031 photos as an album:")
            names_and_words([DB])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
