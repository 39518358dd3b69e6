"""Event kinds learned from the names the user gives (issue 40).

When the user names an event ("Christmas 2022"), its photos' image vectors and texts are kept
as examples of the *kind* the name says ("Christmas": the name without years, numbers and
months) in ``kinds.sqlite`` in the data folder, beside the albums (a backup copies it with
the other stores). Later events are named with a learned kind when they look like one of its
named events; the photos' *why* then says which ("named like 'Christmas 2022' (your name): 0.91").

An event is named with a kind only when it is near one of the kind's named events on both
counts (the image model's vectors, cosine):

* its centre to that event's centre, ``CENTRE_MIN``, and
* its photos, on average, to that event's centre, ``MEAN_MIN`` (a broad mix of unrelated photos
  can have a centre near anything's, but its photos are not),

and nearer it than to every other kind by ``TIE``; within ``UNSURE`` below either threshold it
is *unsure* (not named, and the why says so). Calibrated on EfficientNet-Lite0 vectors
(``bench/albums_eval.py --kinds``, a null of unrelated events): events4's kinds named from 10
or 40 training photos each, against test events of 3–50 photos of one kind (true), the other
kinds (wrong), and clusters, random sets and whole collections of the EXIF samples, the demo
album and the Lost & Found photos (null). Wrong kinds reach centre 0.76, the null 0.86 at
mean 0.42 and mean 0.59 at centre 0.62; no wrong or null event passes both 0.72 / 0.50, and
0.80 / 0.50 keeps a margin (81% of true events named, 96% of those of 10+ photos).
Forgetting (one kind or all) deletes the examples and remembers that the event was
forgotten, so the same name on the same event is not learned again (a new name is).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.paths import data_dir
from core.vectors import unit

CENTRE_MIN = 0.80
MEAN_MIN = 0.50
UNSURE = 0.05
TIE = 0.03
# An event the grouping made by content is split by kind (``split_by_kind``) only where two kinds
# each hold a confident part of it: photos at least SPLIT_FLOOR to a kind (match's unsure floor
# for an event's photos) and SPLIT_MARGIN clear of the next kind (events4, 40 or 10 named photos:
# 82-85% of the grouped photos, 97% of them of the right kind), SPLIT_SHARE of the event or more.
SPLIT_FLOOR = MEAN_MIN - UNSURE
SPLIT_MARGIN = 0.05
SPLIT_SHARE = 0.25
MAX_EXAMPLES = 200  # per named event: the photos nearest its centre (a year of a big event is no better)

_MONTHS = ("jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july "
           "august september october november december").split()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    album TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    paths TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL,
    UNIQUE (album, event_id, model)
);
CREATE TABLE IF NOT EXISTS examples (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS examples_source ON examples(source_id);
CREATE TABLE IF NOT EXISTS forgotten (
    album TEXT NOT NULL, event_id INTEGER NOT NULL, label TEXT NOT NULL,
    PRIMARY KEY (album, event_id, label)
);
"""


def kind_of(name: str) -> str:
    """The kind a user's event name says: 'Christmas 2022' → 'Christmas', 'Beach · Aug 2021' →
    'Beach', "Anna's 5th birthday" → "Anna's birthday"; '' when nothing but dates and numbers."""
    first = name.split(" · ")[0]
    words = [w for w in re.split(r"\s+", first.strip())
             if w and not re.fullmatch(r"[\d\W]+|\d+(st|nd|rd|th)", w, re.IGNORECASE)
             and w.lower().strip(".,") not in _MONTHS]
    return " ".join(words).strip(" -–,.")


@dataclass
class Source:
    """One named event whose photos are examples of its kind."""

    id: int
    kind: str
    label: str  # the name the user gave
    album: str
    event_id: int
    model: str
    centre: np.ndarray  # unit mean of its examples' vectors
    paths: frozenset[str]
    count: int


@dataclass
class Match:
    kind: str
    label: str
    centre: float  # cosine of the event's centre to the named event's centre
    mean: float  # mean cosine of the event's photos to that centre
    sure: bool  # above both thresholds and clear of every other kind

    @property
    def why(self) -> str:
        if self.sure:
            return f"Named like '{self.label}' (your name): {self.centre:.2f}."
        return (f"Looks a little like '{self.label}' (your name): {self.centre:.2f} (its photos "
                f"{self.mean:.2f}), not enough to name it '{self.kind}' (unsure).")


class KindName(str):
    """An event name from a learned kind, carrying what it resembles (``core.albums.events``)."""

    why: str = ""

    def __new__(cls, kind: str, why: str) -> KindName:
        out = super().__new__(cls, kind)
        out.why = why
        return out


def default_path() -> Path:
    return data_dir() / "kinds.sqlite"


class KindStore:
    """``kinds.sqlite``: the user's named events and their example photos, across albums."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        from core.database import connect

        self.path = Path(path) if path else default_path()
        self.con = connect(self.path, "learned kinds", self._setup)

    @staticmethod
    def _setup(con: sqlite3.Connection) -> None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(_SCHEMA)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> KindStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- learning ---------------------------------------------------------------------------
    def teach(self, label: str, album: str, event_id: int, model: str, paths: list[str],
              vectors: np.ndarray, texts: list[str] | None = None) -> str:
        """Keep the photos of the event ``label`` as examples of its kind (replacing what the same
        event taught before). Returns the kind, or '' when the name says none, the event was
        forgotten under this name, or it has fewer than two photos."""
        kind = kind_of(label)
        if not kind or len(paths) < 2 or self.is_forgotten(album, event_id, label):
            return ""
        vectors = unit(np.asarray(vectors, np.float32))
        if len(paths) > MAX_EXAMPLES:
            keep = np.argsort(-(vectors @ unit(vectors.mean(0))))[:MAX_EXAMPLES]
            paths, vectors = [paths[i] for i in keep], vectors[keep]
            texts = [texts[i] for i in keep] if texts else None
        key = "\n".join(sorted(paths))
        row = self.con.execute("SELECT id, label, paths FROM sources WHERE album=? AND event_id=? AND model=?",
                               (album, event_id, model)).fetchone()
        if row and row[1] == label and row[2] == key:
            return kind  # unchanged: nothing to write
        with self.con:
            if row:
                self.con.execute("DELETE FROM sources WHERE id=?", (row[0],))
            cur = self.con.execute("INSERT INTO sources (kind, label, album, event_id, model, paths, added_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (kind, label, album, event_id, model, key, time.time()))
            self.con.executemany("INSERT INTO examples VALUES (?, ?, ?, ?)",
                                 [(cur.lastrowid, p, (texts[i] if texts else ""), vectors[i].tobytes())
                                  for i, p in enumerate(paths)])
        return kind

    def is_forgotten(self, album: str, event_id: int, label: str) -> bool:
        return self.con.execute("SELECT 1 FROM forgotten WHERE album=? AND event_id=? AND label=?",
                                (album, event_id, label)).fetchone() is not None

    def forget(self, kind: str | None = None) -> int:
        """Forget one kind (case-insensitive) or, with None, all; returns how many named events
        were forgotten. Their events are not learned again under the same name."""
        where, args = ("WHERE lower(kind)=lower(?)", (kind,)) if kind is not None else ("", ())
        rows = self.con.execute(f"SELECT id, album, event_id, label FROM sources {where}", args).fetchall()
        with self.con:
            self.con.executemany("INSERT OR IGNORE INTO forgotten VALUES (?, ?, ?)", [r[1:] for r in rows])
            self.con.executemany("DELETE FROM sources WHERE id=?", [(r[0],) for r in rows])
        return len(rows)

    # -- reading ----------------------------------------------------------------------------
    def kinds(self) -> list[dict]:
        """[{kind, named: [the user's names], photos, models}], by kind."""
        out: dict[str, dict] = {}
        for kind, label, model, n in self.con.execute(
                "SELECT s.kind, s.label, s.model, COUNT(e.rowid) FROM sources s LEFT JOIN examples e "
                "ON e.source_id = s.id GROUP BY s.id ORDER BY s.kind, s.added_at"):
            k = out.setdefault(kind.lower(), {"kind": kind, "named": [], "photos": 0, "models": []})
            if label not in k["named"]:
                k["named"].append(label)
            k["photos"] += n
            if model not in k["models"]:
                k["models"].append(model)
        return list(out.values())

    def named_events(self) -> list[dict]:
        """[{kind, label, album, event_id, photos, added_at}]: each named event that teaches a kind
        (where its examples come from and when), by kind, oldest first (Tools → Learned event kinds)."""
        rows = self.con.execute(
            "SELECT s.kind, s.label, s.album, s.event_id, COUNT(e.rowid), s.added_at FROM sources s "
            "LEFT JOIN examples e ON e.source_id = s.id GROUP BY s.id ORDER BY lower(s.kind), s.added_at")
        keys = ("kind", "label", "album", "event_id", "photos", "added_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def sources(self, model: str) -> list[Source]:
        """The named events whose examples were made by ``model`` (vectors of other models do not compare)."""
        out = []
        for sid, kind, label, album, event_id, paths in self.con.execute(
                "SELECT id, kind, label, album, event_id, paths FROM sources WHERE model=? ORDER BY id", (model,)):
            blobs = [r[0] for r in self.con.execute("SELECT vector FROM examples WHERE source_id=?", (sid,))]
            if not blobs:
                continue
            v = np.stack([np.frombuffer(b, np.float32) for b in blobs])
            out.append(Source(sid, kind, label, album, event_id, model, unit(v.mean(0)),
                              frozenset(paths.split("\n")), len(v)))
        return out


def match(vectors: np.ndarray, sources: list[Source], paths: list[str] | None = None) -> Match | None:
    """The learned kind of an event whose photos have these (image) vectors, or None when no
    kind is near; ``Match.sure`` False: near but not enough (unsure). A named event is not
    compared with itself (half or more of ``paths`` among its examples)."""
    if not sources or not len(vectors):
        return None
    v = unit(np.asarray(vectors, np.float32))
    centre = unit(v.mean(0))
    best: dict[str, tuple[float, float, Source]] = {}
    for s in sources:
        if paths is not None and sum(p in s.paths for p in paths) * 2 >= len(paths):
            continue
        c, m = float(centre @ s.centre), float((v @ s.centre).mean())
        key = s.kind.lower()
        if key not in best or c > best[key][0]:
            best[key] = (c, m, s)
    if not best:
        return None
    ranked = sorted(best.values(), key=lambda t: -t[0])
    c, m, s = ranked[0]
    if c < CENTRE_MIN - UNSURE or m < MEAN_MIN - UNSURE:
        return None
    clear = len(ranked) < 2 or c - ranked[1][0] >= TIE
    return Match(s.kind, s.label, c, m, c >= CENTRE_MIN and m >= MEAN_MIN and clear)


def split_by_kind(vectors: np.ndarray, sources: list[Source], min_size: int,
                  paths: list[str] | None = None) -> np.ndarray | None:
    """Parts of one event the grouping made by content that mixes learned kinds: a part number
    per photo (0 the largest), or None when the event stays whole. Each photo is scored against
    each kind the way :func:`match` scores an event's photos (cosine to the kind's named events'
    centres, the nearest); it belongs to a kind when that is at least ``SPLIT_FLOOR`` and clear of
    the next kind by ``SPLIT_MARGIN``. Only when two or more kinds each hold at least
    ``SPLIT_SHARE`` of the photos and ``min_size`` (the grouping's smallest event) is the event
    split, one part per such kind, every photo to the nearest of them; near no kind, or only one,
    it is untouched. The parts are then named as any event is (and may be left unsure). A named
    event is not compared with itself (as in :func:`match`)."""
    if not len(vectors) or len(vectors) < 2 * min_size:
        return None
    v = unit(np.asarray(vectors, np.float32))
    keys = sorted({s.kind.lower() for s in sources})
    near = np.full((len(v), len(keys)), -1.0, np.float32)
    for s in sources:
        if paths is not None and sum(p in s.paths for p in paths) * 2 >= len(paths):
            continue
        j = keys.index(s.kind.lower())
        near[:, j] = np.maximum(near[:, j], v @ s.centre)
    if len(keys) < 2:
        return None
    top2 = -np.sort(-near, axis=1)[:, :2]
    sure = (top2[:, 0] >= SPLIT_FLOOR) & (top2[:, 0] - top2[:, 1] >= SPLIT_MARGIN)
    held = np.bincount(near[sure].argmax(1), minlength=len(keys))
    kept = np.flatnonzero((held >= SPLIT_SHARE * len(v)) & (held >= min_size))
    if len(kept) < 2:
        return None
    part = kept[near[:, kept].argmax(1)]
    _, part, counts = np.unique(part, return_inverse=True, return_counts=True)
    rank = np.empty(len(counts), int)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    return rank[part]


def learn(store, data, model: str, kinds: KindStore) -> list[str]:
    """Teach ``kinds`` every event of the album ``store`` the user named (``name_pinned``):
    its photos (or its example photos, for an event defined by example) with their vectors
    from ``data`` (a ``core.albums.events.GroupInput``) and texts. Returns the kinds taught."""
    row = {p: i for i, p in enumerate(data.paths)}
    album = str(Path(store.path).resolve()) if str(store.path) != ":memory:" else ":memory:"
    taught = []
    for e in store.events():
        if not e.name_pinned:
            continue
        photos = [p for p in store.photos(e.id) if p.path in row and (not e.prototypes or p.id in e.prototypes)]
        rows = [row[p.path] for p in photos]
        texts = [p.note or p.caption or ", ".join(p.tags) for p in photos]
        kind = kinds.teach(e.name, album, e.id, model, [p.path for p in photos],
                           data.vectors[rows] if rows else np.zeros((0, data.vectors.shape[1])), texts)
        if kind:
            taught.append(kind)
    return taught


def learned_namer(base, sources: list[Source], data):
    """A namer for ``core.albums.events.describe_event``: a learned kind where the event is
    near one (:func:`match`), else ``base``'s name; the name carries the why (:class:`KindName`)."""
    if not sources:
        return base

    def name(centre, members):  # name.sources: what core.albums.events.regroup splits mixed events by
        found = match(data.vectors[members], sources, [data.paths[i] for i in members])
        if found is not None and found.sure:
            return KindName(found.kind, found.why)
        label = base(centre, members) if base else None
        return KindName(label or "", found.why) if found is not None else label

    name.sources = sources
    return name
