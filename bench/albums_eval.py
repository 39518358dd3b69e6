"""Albums clustering quality against the folder labels of events4 (number of events not given).

Run: python bench/albums_eval.py [--all] [--kinds [--seeds N] [--diag]]
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

``--untuned``: quality where nobody tuned, one table over six labelled collections side by side
(events4; two albums recombined from events4's kind folders with other mixes and sizes; the EXIF
samples' jpg/ sub-folders as weakly labelled events; the clothing photos, folder = category; the
wallet / phone / AirPods frames, label = their YOLO class): the default grouping's ARI and unsorted
share (a remix: the mean over five seeded draws, and its worst draw), kinds learned from names (one event of each label with at least 30 photos named from one
random half, 10 photos each, the other half grouped: labels named right, wrong kinds, unsure), mean
and worst; with ``--mirror`` the same with mirror test-time augmentation (core.albums.features)
beside it.
"""

from __future__ import annotations

import argparse
import os
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


def _own_spread(examples: np.ndarray) -> float:
    """A kind's own spread: the mean cosine of each example to the centre of the others (leave one out)."""
    from core.vectors import unit

    e = unit(examples)
    total = e.sum(0)
    return float(np.mean([e[i] @ unit(total - e[i]) for i in range(len(e))]))


def _event_line(vectors: np.ndarray, truth: np.ndarray, sources, m, spread: dict[str, float],
                calibration: list[tuple[bool, float, float, float]]) -> str:
    """One grouped event for ``--diag``: its photos by label, the nearest kind's centre / mean cosine,
    the runner-up margin (centre) and what ``match`` said; adds (mostly this kind's photos, centre, mean,
    mean over the kind's own spread) for every kind to ``calibration``."""
    from core.vectors import unit

    values, counts = np.unique(truth, return_counts=True)
    mix = ", ".join(f"{values[i]} {counts[i]}" for i in np.argsort(-counts))
    v = unit(vectors)
    centre = unit(v.mean(0))
    best: dict[str, tuple[float, float]] = {}
    for s in sources:
        c = float(centre @ s.centre)
        if s.kind.lower() not in best or c > best[s.kind.lower()][0]:
            best[s.kind.lower()] = (c, float((v @ s.centre).mean()))
    for k, (c, mean) in best.items():
        calibration.append((bool((truth == k).mean() > 0.5), c, mean, mean / spread[k]))
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
    (k1, (c1, m1)), runner = ranked[0], ranked[1] if len(ranked) > 1 else ("—", (0.0, 0.0))
    said = "no kind" if m is None else f"{m.kind} ({'sure' if m.sure else 'unsure'})"
    return (f"      {len(v):4d} photos [{mix}]: nearest {k1} centre {c1:.3f} mean {m1:.3f}, runner-up {runner[0]} "
            f"margin {c1 - runner[1][0]:.3f} -> {said}")


def _by_example(vectors: np.ndarray, truth: np.ndarray, kinds: list[str], examples: list[np.ndarray],
                nulls: list[np.ndarray]) -> tuple[int, float, int]:
    """If the kinds' example photos were events defined by example in the grouped half
    (``core.albums.events``' rule: a photo joins the kind whose nearest example is within
    ``PrototypeSettings.threshold`` cosine and clear of the next by ``TIE_MARGIN``): kinds that would
    get an event of their own (8+ photos, mostly theirs), its worst precision, and photos of the
    EXIF samples / demo album that would be pulled into a kind."""
    from core.albums.events import TIE_MARGIN, PrototypeSettings
    from core.vectors import unit

    threshold = PrototypeSettings().threshold

    def place(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = np.stack([(unit(v) @ unit(e).T).max(1) for e in examples], 1)
        top = np.sort(scores, 1)
        return scores.argmax(1), (top[:, -1] >= threshold) & (top[:, -1] - top[:, -2] >= TIE_MARGIN)

    best, ok = place(vectors)
    own, worst = 0, 1.0
    for j, k in enumerate(kinds):
        got = ok & (best == j)
        if got.any():
            worst = min(worst, float((truth[got] == k).mean()))
        own += got.sum() >= 8 and (truth[got] == k).mean() > 0.5
    return own, worst, sum(int(place(v)[1].sum()) for v in nulls)


def _parts(vectors: np.ndarray, members: np.ndarray, sources, min_size: int, split: bool) -> list[np.ndarray]:
    """One grouped event as the app names it: whole, or (``split``) cut by learned kind where it mixes
    them (``core.albums.kinds.split_by_kind``, what ``core.albums.events.regroup`` does)."""
    from core.albums.kinds import split_by_kind

    parts = split_by_kind(vectors[members], sources, min_size) if split else None
    return [members] if parts is None else [members[parts == p] for p in range(parts.max() + 1)]


SPLITS = {"as grouped": False, "split by kind": True}


def kinds_report(encoder, seeds: int = 8, diag: bool = False) -> None:
    """Kinds learned from names (``core.albums.kinds``): one event of each kind named from one part
    of events4 (40 photos of the kind, or 10), the other part grouped as the app groups it; per
    run (its seed), how many of the 4 kinds name an event of theirs, how many the grouping gave an
    event of their own (more than half of its photos are the kind's: a sure name needs one), and events named with a wrong kind; then
    the EXIF samples and the demo album, where no kind was named: events given a kind. Each with the
    grouped events as they are and split by learned kind where they mix kinds (``SPLITS``), side by
    side from the same grouping. ``diag``: each grouped event's centre / mean cosine and runner-up
    margin (and its parts, where split), and what the kinds' examples would do as events defined by
    example (``_by_example``)."""
    import tempfile

    from core.albums.cluster import resolved_sizes
    from core.albums.kinds import KindStore, match

    with EmbeddingCache() as cache:
        res = embed_image_files(list_images([DB]), encoder, cache)
        nulls = {name: embed_image_files(list_images([folder]), encoder, cache).vectors for name, folder in (
            ("EXIF samples", DATA / "photos" / "exif-samples"),
            ("demo album", Path(__file__).resolve().parent.parent / "resources" / "demo" / "album"))}
    truth = np.array([Path(p).parent.name.split("_")[0] for p in res.paths])
    test = np.array(["_test" in p for p in res.paths])
    kinds = sorted(set(truth))
    null_groups = []  # (vectors, the grouping's smallest event in their collection)
    for v in nulls.values():
        nl, _ = cluster(v, ClusterSettings())
        least = resolved_sizes(ClusterSettings(), len(v))[0]
        null_groups += [(v[nl == c], least) for c in range(nl.max() + 1)] + [(v, least)]
    grouped: dict[tuple[str, int], np.ndarray] = {}  # one grouping per split, shared by both sizes
    print(f"kinds learned from names ({len(kinds)} kinds; a named event of N photos per kind):")
    for split in ("random halves", "train -> test"):
        for size in (40, 10):
            runs = seeds if split == "random halves" else 3
            tally = {v: {"right": [], "own": [], "wrong": 0, "unsure": 0, "null": 0, "runs": [], "split": 0}
                     for v in SPLITS}
            examples_own = []
            calibration: list[tuple[bool, float, float, float]] = []
            for seed in range(runs):
                rng = np.random.default_rng(seed)
                a = rng.random(len(truth)) < 0.5 if split == "random halves" else ~test
                picks = [rng.choice(np.flatnonzero(a & (truth == k)), size, replace=False) for k in kinds]
                with tempfile.TemporaryDirectory() as tmp, KindStore(Path(tmp) / "kinds.sqlite") as store:
                    for k, pick in zip(kinds, picks, strict=True):
                        store.teach(f"{k.title()} {2020 + seed}", "events4", kinds.index(k), encoder.name,
                                    [res.paths[i] for i in pick], res.vectors[pick])
                    sources = store.sources(encoder.name)
                b = np.flatnonzero(~a)
                key = (split, seed if split == "random halves" else 0)
                if key not in grouped:
                    grouped[key] = cluster(res.vectors[b], ClusterSettings())[0]
                labels = grouped[key]
                least = resolved_sizes(ClusterSettings(), len(b))[0]
                spread = ({k: _own_spread(res.vectors[p]) for k, p in zip(kinds, picks, strict=True)}
                          if diag else {})
                diag_head = {}
                for variant, cut in SPLITS.items():
                    t = tally[variant]
                    found, majors, lines = set(), set(), []
                    for c in range(labels.max() + 1):
                        parts = _parts(res.vectors, b[labels == c], sources, least, cut)
                        t["split"] += len(parts) > 1
                        for members in parts:
                            m = match(res.vectors[members], sources)
                            major = max(kinds, key=lambda k: (truth[members] == k).sum())
                            if (truth[members] == major).mean() > 0.5:  # its own: more than half of it
                                majors.add(major)
                            if m is not None and m.sure:
                                if m.kind.lower() == major:
                                    found.add(major)
                                else:
                                    t["wrong"] += 1
                            t["unsure"] += m is not None and not m.sure
                            if diag and (not cut or len(parts) > 1):
                                lines.append(("  part " if cut else "") + _event_line(
                                    res.vectors[members], truth[members], sources, m, spread,
                                    calibration if not cut else []))
                    t["right"].append(len(found))
                    t["own"].append(len(majors))
                    t["runs"].append(f"seed {seed}: {len(found)}/{len(majors)}")
                    for g, g_least in null_groups:
                        for members in _parts(g, np.arange(len(g)), sources, g_least, cut):
                            m = match(g[members], sources)
                            t["null"] += m is not None and m.sure
                    if diag:
                        binds = ("" if len(found) >= 3 else " <- the grouping binds" if len(majors) < 3
                                 else " <- the matcher binds")
                        diag_head[variant] = (f"    {split}, {size} named photos, seed {seed}, {variant}: "
                                              f"{labels.max() + 1} events, {(labels < 0).sum()} photos unsorted; "
                                              f"kinds named right {len(found)} of the {len(majors)} with an "
                                              f"event of their own{binds}")
                        print(diag_head[variant])
                        if lines:
                            print("\n".join(lines))
                if diag:
                    examples_own.append(_by_example(res.vectors[b], truth[b], kinds, [res.vectors[p] for p in picks],
                                                    list(nulls.values())))
            for variant, t in tally.items():
                right, own = t["right"], t["own"]
                print(f"  {split:<14} named events of {size:2d}, {variant:<13}: kinds named right {min(right)}–"
                      f"{max(right)} of {len(kinds)} (mean {np.mean(right):.2f} over {runs} runs; runs with 4 / 3 / 2 "
                      f"/ 1 / 0: {' / '.join(str(right.count(n)) for n in range(4, -1, -1))}; kinds with an event of "
                      f"their own {min(own)}–{max(own)}), wrong kinds {t['wrong']}, unsure events {t['unsure']}, "
                      f"events split {t['split']}; EXIF samples + demo album (clusters and whole): events given a "
                      f"kind {t['null']}")
                print(f"    per run, right/kinds with an event of their own: {', '.join(t['runs'])}")
            if diag:
                print(f"    the examples as events defined by example (core.albums.events' rule) instead: kinds with "
                      f"an event of their own {min(e[0] for e in examples_own)}–{max(e[0] for e in examples_own)} of "
                      f"{len(kinds)}, worst precision {min(e[1] for e in examples_own):.2f}, EXIF samples + demo "
                      f"album photos pulled into a kind {min(e[2] for e in examples_own)}–"
                      f"{max(e[2] for e in examples_own)} per run")
                mine = np.array([r[1:] for r in calibration if r[0]])
                near = np.array([r[1:] for r in calibration if not r[0] and r[1] >= 0.75])
                if len(mine) and len(near):
                    print(f"    calibration: events mostly of the kind centre >= {mine[:, 0].min():.3f}, photos >= "
                          f"{mine[:, 1].min():.3f}, photos over the kind's own spread >= {mine[:, 2].min():.3f}; "
                          f"other kinds' events (centre >= 0.75, {len(near)}) photos <= {near[:, 1].max():.3f}, "
                          f"over the spread <= {near[:, 2].max():.3f}")


CLOTHING = OBJECTS / "clothing"
ITEMS = OBJECTS / "wallet-phone-airpods" / "detection-2"
EXIF_JPG = DATA / "photos" / "exif-samples" / "jpg"


def _item_class(image: Path) -> str:
    """The YOLO class of a wallet / phone / AirPods frame (its label file's classes; one per frame)."""
    names = ("airpods", "phone", "wallet")  # data.yaml
    label = image.parent.parent / "labels" / (image.stem + ".txt")
    classes = {int(line.split()[0]) for line in label.read_text().splitlines() if line.strip()}
    if len(classes) != 1:
        raise ValueError(f"{label}: {len(classes)} classes in one frame, expected one")
    return names[classes.pop()]


def _remix(paths: list[str], truth: np.ndarray, sizes: dict[str, int], seed: int) -> np.ndarray:
    """Indices of an album recombined from events4's kind folders: ``sizes[kind]`` photos of each
    kind drawn from its train and test folders (seeded)."""
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(truth == k), n, replace=False)
                                   for k, n in sizes.items()]))


REMIX_DRAWS = 5  # a remix's ARI swings by the draw (0.41-0.71 over five draws of one mix): its mean is reported


def untuned_collections(encoder, mirror: bool = False) -> dict[str, list[tuple[np.ndarray, np.ndarray, list[str]]]]:
    """Six labelled collections: name -> draws of (vectors, labels, paths); one draw each, but
    ``REMIX_DRAWS`` seeded draws of each remix. Only events4 was ever tuned on; the remixes share
    its photos but not its mix or sizes; the rest are other people's photos."""
    from core.albums.features import embed_photos

    out = {}
    with EmbeddingCache() as cache:
        def embed(files):
            res = embed_photos(files, encoder, cache, mirror=mirror)
            for path, why in res.errors:
                print(f"    not read: {path}: {why}")
            return res

        res = embed(list_images([DB]))
        kind = np.array([Path(p).parent.name.split("_")[0] for p in res.paths])
        out["events4 (all)"] = [(res.vectors, kind, res.paths)]
        for name, sizes in (("events4 remix 400/120/40/15", {"beach": 400, "christmas": 120, "halloween": 40,
                                                             "family": 15}),
                            ("events4 remix 250/250/30", {"family": 250, "christmas": 250, "halloween": 30})):
            out[name] = [(res.vectors[i], kind[i], [res.paths[j] for j in i])
                         for i in (_remix(res.paths, kind, sizes, seed) for seed in range(1, REMIX_DRAWS + 1))]
        res = embed(sorted(p for d in sorted(EXIF_JPG.iterdir()) if d.is_dir() for p in list_images([d])))
        out["EXIF samples (folders)"] = [(res.vectors, np.array([Path(p).parent.name for p in res.paths]),
                                          res.paths)]
        res = embed(list_images([CLOTHING]))
        out["clothing (CC0)"] = [(res.vectors, np.array([Path(p).parent.name for p in res.paths]), res.paths)]
        res = embed(sorted(ITEMS.glob("*/images/*.jpg")))
        out["wallet/phone/AirPods"] = [(res.vectors, np.array([_item_class(Path(p)) for p in res.paths]),
                                        res.paths)]
    return out


def kinds_named(vectors: np.ndarray, truth: np.ndarray, paths: list[str], model: str, settings: ClusterSettings,
                size: int = 10, seeds: int = 3) -> dict[str, tuple[float, int, int, int]] | None:
    """Kinds learned from names on one collection: per seed, one event of ``size`` photos of each
    label with at least 3x``size`` photos named from a random half, the other half grouped; per
    ``SPLITS`` variant (events as grouped, or split by learned kind), (mean labels named right,
    labels named, wrong kinds, unsure events) over the seeds; None if no label is big enough."""
    import tempfile

    from core.albums.cluster import resolved_sizes
    from core.albums.kinds import KindStore, match

    kinds = sorted(k for k in set(truth) if (truth == k).sum() >= 3 * size)
    if not kinds:
        return None
    out = {}
    tally = {v: ([], [0], [0]) for v in SPLITS}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        a = rng.random(len(truth)) < 0.5
        with tempfile.TemporaryDirectory() as tmp, KindStore(Path(tmp) / "kinds.sqlite") as store:
            for n, k in enumerate(kinds):
                pick = rng.choice(np.flatnonzero(a & (truth == k)), size, replace=False)
                store.teach(f"{k.title()} {2020 + seed}", "collection", n, model, [paths[i] for i in pick],
                            vectors[pick])
            sources = store.sources(model)
        b = np.flatnonzero(~a)
        labels, _ = cluster(vectors[b], settings)
        least = resolved_sizes(settings, len(b))[0]
        for variant, cut in SPLITS.items():
            right, wrong, unsure = tally[variant]
            found = set()
            for c in range(labels.max() + 1):
                for members in _parts(vectors, b[labels == c], sources, least, cut):
                    values, counts = np.unique(truth[members], return_counts=True)
                    major = values[counts.argmax()]
                    m = match(vectors[members], sources)
                    if m is not None and m.sure:
                        if m.kind.lower() == major.lower():
                            found.add(major)
                        else:
                            wrong[0] += 1
                    unsure[0] += m is not None and not m.sure
            right.append(len(found))
    for variant, (right, wrong, unsure) in tally.items():
        out[variant] = (float(np.mean(right)), len(kinds), wrong[0], unsure[0])
    return out


def untuned_report(encoder, settings: ClusterSettings, mirror: bool) -> None:
    """One table: the default grouping's ARI / unsorted and kinds learned from names on six labelled
    collections (a remix: mean over its draws, kinds on its first draw), mean and worst; with ``mirror``
    the same with mirror test-time augmentation beside."""
    from sklearn.metrics import adjusted_rand_score

    variants = {"photo": untuned_collections(encoder)}
    if mirror:
        variants["photo + mirror"] = untuned_collections(encoder, mirror=True)
    rows: dict[str, dict[str, tuple]] = {}
    for variant, found in variants.items():
        for name, draws in found.items():
            scores = []
            for vectors, truth, _ in draws:
                labels, _ = cluster(vectors, settings)
                scores.append((adjusted_rand_score(truth, labels), float((labels < 0).mean()), labels.max() + 1))
            vectors, truth, paths = draws[0]
            kinds = kinds_named(vectors, truth, paths, encoder.name + (":mirror" if variant != "photo" else ""),
                                settings)
            ari, uns, events = np.mean(scores, axis=0)
            rows.setdefault(name, {})[variant] = (ari, uns, events, kinds, min(s[0] for s in scores))
            rows[name]["size"] = (len(truth), len(set(truth)), len(draws))
    head = (" | ARI   (worst draw) unsorted events  kinds right  wrong unsure  split: right  wrong unsure"
            * len(variants))
    which = "the default grouping" if settings == ClusterSettings() else f"grouping {settings}"
    print(f"quality where nobody tuned ({which}; ARI counts unsorted photos as one more group; a remix: mean "
          f"over {REMIX_DRAWS} draws; kinds: one event per label with >= 30 photos named from a random half, "
          f"10 photos each, 3 seeds; as grouped, and split by learned kind where an event mixes them):")
    print(f"  {'':<28} {'':>6} {'':>6}" + "".join(f" | {v:<62}" for v in variants))
    print(f"  {'collection':<28} photos labels{head}")
    for name, r in rows.items():
        n, k, draws = r["size"]
        line = f"  {name:<28} {n:6d} {k:6d}"
        for v in variants:
            ari, uns, ev, kinds, worst = r[v]
            kinds_text = "  ".join(f"{kinds[cut][0]:4.2f} of {kinds[cut][1]:<2d} {kinds[cut][2]:5d} {kinds[cut][3]:6d}"
                                   if kinds else f"{'—':>10} {'—':>5} {'—':>6}" for cut in SPLITS)
            spread = f"({worst:6.3f})" if draws > 1 else " " * 8
            line += f" | {ari:5.3f} {spread:<12} {uns:6.1%} {ev:6.1f}  {kinds_text}"
        print(line)
    for v in variants:
        aris = [r[v][0] for r in rows.values()]
        worst = min(rows, key=lambda name: rows[name][v][0])
        print(f"  {v:<15} ARI mean {np.mean(aris):.3f}, worst {min(aris):.3f} ({worst}); largest unsorted share "
              f"{max(r[v][1] for r in rows.values()):.1%}; wrong kinds {sum(r[v][3]['as grouped'][2] for r in rows.values() if r[v][3])}, split by kind "
              f"{sum(r[v][3]['split by kind'][2] for r in rows.values() if r[v][3])}")
    if mirror:
        gains = {name: r["photo + mirror"][0] - r["photo"][0] for name, r in rows.items()}
        better = sum(g > 0 for g in gains.values())
        print("  mirror TTA - photo, ARI: " + ", ".join(f"{name} {g:+.3f}" for name, g in gains.items())
              + f"; better on {better} of {len(gains)} collections -> "
              + ("adopt (better on every one)" if better == len(gains) else "keep it off (not better on every one)"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="also all 3,031 photos")
    parser.add_argument("--min-size", type=int, default=None, help="default: 2%% of the photos, at least 8")
    parser.add_argument("--dims", type=int, default=None, help="default: automatic (with --min-size unset)")
    parser.add_argument("--collections", action="store_true",
                        help="automatic events vs the default and the best fixed setting on seven collections")
    parser.add_argument("--strays", action="store_true",
                        help="also mix in photos of objects (5 / 40): how many stay unsorted, as they should")
    parser.add_argument("--reach", type=float, default=1.0,
                        help="how far out (times the event's radius) a noise photo may join; large = no limit")
    parser.add_argument("--share", type=float, default=0.5, help="vote share a noise photo needs to join an event")
    parser.add_argument("--no-names", action="store_true", help="skip event names and search by words")
    parser.add_argument("--untuned", action="store_true",
                        help="only the table over six labelled collections (events4, two remixes of it, EXIF "
                             "samples, clothing, wallet/phone/AirPods): ARI, unsorted, kinds from names")
    parser.add_argument("--mirror", action="store_true", help="with --untuned: mirror test-time augmentation beside")
    parser.add_argument("--kinds", action="store_true",
                        help="only kinds learned from names: events4 named / grouped in halves, no kind on "
                             "the EXIF samples and the demo album")
    parser.add_argument("--seeds", type=int, default=8, help="with --kinds: random-half runs (seeds 0..N-1)")
    parser.add_argument("--diag", action="store_true",
                        help="with --kinds: per run and grouped event, centre / mean cosine, runner-up margin, "
                             "and what the named examples would do as events defined by example")
    args = parser.parse_args()
    os.environ.setdefault("SIMSCOPE_DATA_DIR", str(Path.home() / ".cache" / "simscope" / "bench-data"))
    if not DB.exists():
        print(f"events4 not found at {DB}")
        return 1
    encoder = load("effnet-lite0")
    print(f"model: {encoder.name} — {encoder.weights}")
    if args.kinds:
        kinds_report(encoder, args.seeds, args.diag)
        return 0
    settings = ClusterSettings(min_size=args.min_size, dims=args.dims, assign_share=args.share, reach=args.reach)
    if args.untuned:
        untuned_report(encoder, settings, args.mirror)
        return 0
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
