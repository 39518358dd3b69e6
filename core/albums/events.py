"""Re-grouping photos into events while keeping what the user decided.

Order of precedence for each photo:

1. pinned by the user (moved, split off, merged, chosen as a prototype): stays;
2. near an event defined by example (cosine on the embeddings, or Euclidean in
   the clustering space, which includes capture time): joins the nearest; in a
   band just below the threshold, or when two example events are nearly tied,
   it is *unsure* and waits for the user;
3. the clusterer (HDBSCAN, ``core.albums.cluster``) decides the rest.

New clusters take over the existing event they share most photos with, so a
renamed event keeps its name and id through any number of re-runs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from core.albums.cluster import ClusterSettings, cluster, describe_settings, features
from core.albums.explain import grouping_reasons
from core.albums.store import AlbumStore, Photo
from core.vectors import members_by_label, unit

UNSURE_BAND = 0.05  # closeness within this below the threshold → unsure
TIE_MARGIN = 0.02  # two example events this close → unsure
# A photo label names an event beside its date or place only when at least this share of its
# photos (and two or more) have it as their first label: fewer than 2 in 5 do not make it what
# the event is. events4's family test photos were "Neck Brace · Park Bench · 20 Aug 2008" ("neck
# brace" first on 32% of them, 7% of the family training photos); its Christmas events' most
# common labels reach 11%, beach's "seashore" 58–60%, Halloween's "jack-o'-lantern" 68–90%. The
# demo keeps "Monastery · Arezzo · 22 Oct 2008" (4 of 9) and "Lampshade · 9 Feb 2015" (2 of 2);
# "Pot · Moncloa-Aravaca · 10 Apr 2015" (1 of 2) is now "Moncloa-Aravaca · 10 Apr 2015".
TAG_SHARE = 0.4
STORE_ORDER = "ORDER BY COALESCE(taken_at, 0), path"  # AlbumStore.photos' order: the clusterer's input order
_STOP = set("a an the of on in at to and with for by is are near from its their his her some two three "
            "people person man woman group photo picture image".split())


@dataclass
class GroupInput:
    """What regrouping needs, row-aligned: from ``core.albums.pipeline.index_photos``."""

    paths: list[str]
    vectors: np.ndarray  # (N, D) L2-normalised image embeddings
    times: np.ndarray  # (N,) hours, NaN when unknown
    tags: list[tuple[str, ...]] = field(default_factory=list)  # short ImageNet labels (offline)
    captions: list[str] = field(default_factory=list)  # CoCa captions ('' when none)
    text: np.ndarray | None = None  # (N, E) sentence vectors of note/caption, NaN rows when none
    gps: np.ndarray | None = None  # (N, 2) latitude, longitude in degrees, NaN when unknown

    def __post_init__(self) -> None:
        # each photo's tags a tuple: a tuple of strings is one the garbage collector stops tracking
        # after it has seen it once, a list is walked at every full collection. The album held by the
        # model worker made 100,000 lists at 100,000 photos, and a full collection on the GUI thread
        # after the check took 109 ms instead of 11 (bench/albums_ui.py --against, medians of 3)
        self.tags = [tuple(t) for t in self.tags]


@dataclass
class PrototypeSettings:
    metric: str = "cosine"  # or "euclidean"
    threshold: float = 0.55  # closeness (cosine similarity, or 1 - distance/2) to count as near


@dataclass
class GroupReport:
    events: int = 0
    unsorted: int = 0
    unsure: int = 0
    pinned: int = 0
    by_example: int = 0
    clustered: int = 0
    settings_note: str = ""  # what the grouping used, the automatic choices with their reason


def closeness(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """(len(a), len(b)) closeness in 0..1-ish: cosine similarity, or 1 - Euclidean distance / 2."""
    if metric == "cosine":
        return unit(a) @ unit(b).T
    if metric == "euclidean":
        d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0))
        return 1.0 - d / 2.0
    raise ValueError(f"unknown metric {metric!r} (cosine or euclidean)")


def frequent_words(captions: list[str], k: int = 3) -> list[str]:
    words = Counter(w for c in captions for w in set(re.findall(r"[a-z]+", c.lower())) if w not in _STOP
                    and len(w) > 2)
    return [w for w, _ in words.most_common(k)]


def date_label(hours: np.ndarray) -> str | None:
    """'22 Oct 2008', '3–5 Aug 2025', '30 Jul – 2 Aug 2025', 'Dec 2024 – Jan 2025' (None if no time)."""
    known = hours[~np.isnan(hours)]
    if not len(known):
        return None
    a, b = (datetime.fromtimestamp(h * 3600) for h in (known.min(), known.max()))
    if a.date() == b.date():
        return f"{a.day} {a:%b %Y}"
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}–{b.day} {b:%b %Y}"
    if (b - a).days <= 31:
        return f"{a.day} {a:%b} – {b.day} {b:%b %Y}" if a.year == b.year else f"{a.day} {a:%b %Y} – {b.day} {b:%b %Y}"
    return f"{a:%b %Y} – {b:%b %Y}"


def place_label(gps: np.ndarray | None) -> str | None:
    """The town nearest the photos' median position (offline GeoNames data, reverse_geocode)."""
    if gps is None:
        return None
    known = gps[~np.isnan(gps).any(1)]
    if not len(known):
        return None
    import reverse_geocode

    hit = reverse_geocode.get(tuple(float(v) for v in np.median(known, axis=0)))
    return hit.get("city") or hit.get("county") or hit.get("country")


def describe_event(data: GroupInput, members: np.ndarray, namer=None) -> dict:
    """Name, caption, tags and representatives (3–5 photos nearest the centre) of one event."""
    v = data.vectors[members]
    centre = unit(v.mean(0))
    order = members[np.argsort(-(v @ centre))]
    reps = order[: min(5, max(3, len(order) // 10))].tolist()
    caps = [data.captions[i] for i in members if data.captions and data.captions[i]]
    words = frequent_words(caps)
    tag_counts = Counter(data.tags[i][0] for i in members if data.tags and data.tags[i])
    tags = words or [t for t, _ in tag_counts.most_common(3)]
    label = namer(centre, members) if namer else None
    why = getattr(label, "why", "")  # a learned kind says which named event it resembles (core.albums.kinds)
    if label:
        name = label + (f" · {words[0]}" if words else "")
    elif tags:
        name = " · ".join(tags[:2]).title()
    else:
        name = "Event"
    where = place_label(data.gps[members] if data.gps is not None else None)
    when = date_label(data.times[members])
    if (where or when) and not label and not words:  # date and place name it, with a label only where it is typical
        name = " · ".join(t for t, c in tag_counts.most_common(2)
                          if c >= max(2.0, TAG_SHARE * len(members))).title()
    if where and not label and " · " in name:  # tag · tag · place · date is too long: one tag
        name = name.split(" · ")[0]
    name = " · ".join(part for part in (name, where, when) if part)
    caption = next((data.captions[i] for i in order if data.captions and data.captions[i]), "")
    return {"name": name, "caption": caption, "tags": tags, "rep_rows": reps, "why": why}


def regroup(store: AlbumStore, data: GroupInput, settings: ClusterSettings | None = None,
            proto: PrototypeSettings | None = None, namer=None) -> GroupReport:
    """Re-cluster the stored photos that the user has not placed, and write the result."""
    settings = settings or ClusterSettings()
    proto = proto or PrototypeSettings()
    report = GroupReport()
    row = {p: i for i, p in enumerate(data.paths)}
    # what grouping reads of each photo, in AlbumStore.photos' order: no row's JSON decoded (100,000)
    stored = [Photo(r[0], r[1], r[2], bool(r[3])) for r in store.con.execute(
        f"SELECT id, path, event_id, pinned FROM photos {STORE_ORDER}")]
    photos = [p for p in stored if p.path in row]
    if not photos:
        return report
    rows = np.array([row[p.path] for p in photos])
    pinned = np.array([p.pinned for p in photos])
    events = {e.id: e for e in store.events()}
    # the album's rows in the store's order: a view of them, not a copy (0.5 GB at 100,000), when
    # that order is the album's own (Album.index keeps its rows in the store's order)
    same = len(rows) == len(data.paths) and bool((rows == np.arange(len(rows))).all())
    text = data.text if same else data.text[rows] if data.text is not None else None
    image = data.vectors if same else data.vectors[rows]
    text = _impute(text, image)  # once: the clusterer and the Euclidean examples share it

    assign: dict[int, int | None] = {}
    unsure: set[int] = set()
    free = ~pinned
    # 2. events defined by example
    examples = [e for e in events.values() if e.prototypes]
    if examples:
        id_pos = {p.id: k for k, p in enumerate(photos)}
        space = image if proto.metric == "cosine" else features(image, settings, text, data.times[rows])
        scores = np.full((len(photos), len(examples)), -np.inf)
        for j, e in enumerate(examples):
            pos = [id_pos[i] for i in e.prototypes if i in id_pos]
            if pos:
                scores[:, j] = closeness(space, space[pos], proto.metric).max(1)
        order = np.argsort(-scores, axis=1)
        best = scores[np.arange(len(photos)), order[:, 0]]
        second = scores[np.arange(len(photos)), order[:, 1]] if len(examples) > 1 else np.full(len(photos), -np.inf)
        for k in np.flatnonzero(free):
            pid = photos[k].id
            if best[k] >= proto.threshold and best[k] - second[k] >= TIE_MARGIN:
                assign[pid] = examples[order[k, 0]].id
                report.by_example += 1
            elif best[k] >= proto.threshold - UNSURE_BAND:
                assign[pid] = None
                unsure.add(pid)
        free &= np.array([p.id not in assign for p in photos])
    # 3. the clusterer, on everything (density needs all photos), decides the free ones
    gps = data.gps[rows] if data.gps is not None else None
    why: dict = {}
    labels, _ = cluster(image, settings, text=text, times=data.times[rows], gps=gps, why=why)
    reasons = grouping_reasons(why, labels)
    report.settings_note = describe_settings(
        settings, len(rows), int((~np.isnan(np.asarray(data.times[rows], float))).sum()),
        0 if gps is None else int((~np.isnan(np.asarray(gps, float))).all(axis=1).sum()))
    k_new = labels.max() + 1 if len(labels) else 0
    prev = np.array([p.event_id if p.event_id is not None else -1 for p in photos])
    if getattr(namer, "sources", None):  # learned kinds (core.albums.kinds.learned_namer)
        labels = _split_by_kind(labels, free, prev, events, data, rows, settings, namer.sources)
        k_new = labels.max() + 1 if len(labels) else 0
    overlaps = []
    for c, members in enumerate(members_by_label(labels, free, k_new)):
        for e, n in Counter(prev[members]).items():
            if e >= 0 and e in events and not events[e].prototypes:
                overlaps.append((n, c, int(e)))
    target: dict[int, int] = {}
    taken: set[int] = set()
    for _n, c, e in sorted(overlaps, reverse=True):
        if c not in target and e not in taken:
            target[c] = e
            taken.add(e)
    new_events: dict[int, dict] = {}
    has_free = {int(c) for c in labels[free] if c >= 0}
    for c in range(k_new):
        if c not in target and c in has_free:  # a cluster of only pinned photos makes no new event
            target[c] = -(len(new_events) + 1)
            new_events[target[c]] = {}
    for k in np.flatnonzero(free):
        assign[photos[k].id] = target[labels[k]] if labels[k] >= 0 else None
        report.clustered += labels[k] >= 0
    # final membership, for names and representatives
    final = {p.id: (p.event_id if p.pinned else assign.get(p.id)) for p in photos}
    members_of: dict[int, list[int]] = {}
    for k, p in enumerate(photos):
        if final[p.id] is not None:
            members_of.setdefault(final[p.id], []).append(rows[k])
    updates: dict[int, dict] = {}
    kind_why: dict[int, str] = {}
    for eid, members in members_of.items():
        d = describe_event(data, np.array(members), namer)
        if d["why"] and (eid < 0 or not events[eid].name_pinned):
            kind_why[eid] = d["why"]
        fields = {"caption": d["caption"], "tags": d["tags"], "rep_rows": d["rep_rows"]}
        if eid < 0 or not events[eid].name_pinned:
            fields["name"] = d["name"]
        if eid < 0:
            new_events[eid] = fields
        updates[eid] = fields
    # stored photos outside this index (unreadable, or not indexed yet) keep their event
    outside = {p.event_id for p in stored if p.path not in row and p.event_id is not None}
    drop = [e.id for e in events.values()
            if e.id not in members_of and not e.name_pinned and not e.prototypes and e.id not in outside]
    said = {photos[k].id: reasons[k] for k in np.flatnonzero(free)}
    for k in np.flatnonzero(free):
        if final[photos[k].id] in kind_why:
            said[photos[k].id] = " ".join(filter(None, (reasons[k], kind_why[final[photos[k].id]])))
    ids = store.apply_grouping(assign, unsure, new_events, {}, drop, said)
    path_ids = store.photo_ids([data.paths[r] for m in members_of.values() for r in m])
    for fields in updates.values():
        fields["representatives"] = [path_ids[data.paths[r]] for r in fields.pop("rep_rows")]
    # the grouping is whole now: events by capture time made while indexing (provisional) are final
    store.apply_grouping({}, set(), {}, {ids.get(e, e): f for e, f in updates.items()}, [], settle=True)
    report.events = len(store.events())
    report.unsure = len(unsure)
    report.pinned = int(pinned.sum())
    report.unsorted = sum(1 for v in final.values() if v is None) - len(unsure)
    return report


def _split_by_kind(labels: np.ndarray, free: np.ndarray, prev: np.ndarray, events: dict, data: GroupInput,
                   rows: np.ndarray, settings: ClusterSettings, sources: list) -> np.ndarray:
    """Each event the grouping made by content (its photos have no capture time) that mixes learned
    kinds, one event per kind (``core.albums.kinds.split_by_kind``); never a time segment's event
    nor one that continues an event the user named or defined by example. A part is at least the
    grouping's smallest event."""
    from core.albums.cluster import resolved_sizes
    from core.albums.kinds import split_by_kind

    min_size = resolved_sizes(settings, len(rows))[0]
    groups = members_by_label(labels, free, int(labels.max()) + 1 if len(labels) else 0)
    labels = labels.copy()
    for members in groups:
        if not len(members) or not np.isnan(np.asarray(data.times[rows[members]], float)).all():
            continue
        owner = int(Counter(prev[members].tolist()).most_common(1)[0][0])
        if owner in events and (events[owner].name_pinned or events[owner].prototypes):
            continue
        parts = split_by_kind(data.vectors[rows[members]], sources, min_size,
                              [data.paths[r] for r in rows[members]])
        if parts is not None:
            top = int(labels.max())
            labels[members[parts > 0]] = top + parts[parts > 0]
    return labels


def _impute(text: np.ndarray | None, image: np.ndarray) -> np.ndarray | None:
    """Photos without a note or caption borrow the text vector of their nearest image neighbours
    that have one (a zero vector would pull all of them together)."""
    if text is None:
        return None
    have = ~np.isnan(text).any(1)
    if not have.any():
        return None
    if have.all():
        return text
    out = text.copy()
    k = min(5, int(have.sum()))
    missing, known = np.flatnonzero(~have), image[have]
    for s in range(0, len(missing), 2048):  # a block at a time: memory 2,048 × the photos with text
        rows = missing[s: s + 2048]
        nearest = np.argpartition(-(image[rows] @ known.T), k - 1, axis=1)[:, :k]
        out[rows] = text[have][nearest].mean(1)
    return out
