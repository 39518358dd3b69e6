"""The UI thread's reads of a big album and of many Lost & Found posts, row by row against one
SQLite step, quiet and while a worker thread is busy in Python (as the model worker is while it
indexes, embeds or groups).

Run: python bench/ui_reads.py [--sizes 10000 30000 100000] [--rounds 5]

Python's sqlite3 lets go of the GIL around each row it steps to and takes it back after; with
another thread running Python, each take waits up to a switch interval (the app sets 1 ms), so a
read of thousands of rows on the UI thread stalls the window for seconds. ``rows_at_once`` reads
them in one step (SQLite builds one JSON array); a group's photos stay row by row (measured: the
Unsorted group of 8,073 at 100,000, 63 -> 100 ms quiet and 187 -> 170 ms busy in one step, as its
tags are JSON inside the JSON). For each album size (synthetic rows in a real
``AlbumStore``: an event per ~44 photos, 8% unsorted, capture times with fractions of a second)
it times, A (before) and B (now) interleaved ``--rounds`` times, medians:
- the events list (``events_by_date``; its SQL row by row before);
- "any photos?" before finding duplicates or searching by words (``photos("all") == []`` before,
  ``is_empty`` now);
- the photos of 60 search results (``photos("all")`` made into a dict before, ``photos_at`` now);
- Lost & Found's posts, as many as the album's photos (``PostStore.list``, which the page reads at
  each reload; row by row before);
- the date scrubber's months (``timeline``: ~150 rows, read by the events panel after each index
  job; row by row before).
Then how each grows with n (slope of log time against log n, 30k -> 100k or the last two sizes).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.albums.store import AlbumStore
from core.albums.timeline import EventSpan, MonthCount, Timeline, events_by_date, timeline
from core.lostfound.store import Post, PostStore


def build(path: Path, n: int, seed: int = 0) -> AlbumStore:
    import numpy as np

    rng = np.random.default_rng(seed)
    store = AlbumStore(path)
    paths = [f"/library/{i // 1000:03d}/IMG_{i:06d}.jpg" for i in range(n)]
    store.add_photos(paths)
    events = [store.create_event(f"Event {e}") for e in range(max(1, n // 44))]
    event = np.where(rng.random(n) < 0.08, -1, rng.integers(0, len(events), n))
    taken = np.where(rng.random(n) < 0.1, np.nan, 1.3e9 + rng.random(n) * 4e8)
    with store.con:
        store.con.executemany(
            "UPDATE photos SET event_id = ?, taken_at = ?, tags = ? WHERE path = ?",
            [(None if e < 0 else events[e], None if math.isnan(t) else float(t), json.dumps(["beach", "sea"]), p)
             for e, t, p in zip(event.tolist(), taken.tolist(), paths, strict=True)])
    return store


def events_row_by_row(store: AlbumStore) -> list[EventSpan]:
    """``events_by_date`` as it was: the same SQL, fetched row by row."""
    rows = store.con.execute(
        "SELECT e.id, e.name, c.n, c.first, c.last, c.undated, "
        "COALESCE((SELECT photo_id FROM prototypes WHERE event_id = e.id ORDER BY rowid LIMIT 1), "
        "json_extract(e.representatives, '$[0]')), "
        "EXISTS(SELECT 1 FROM prototypes WHERE event_id = e.id) "
        "FROM events e LEFT JOIN (SELECT event_id, COUNT(*) AS n, MIN(taken_at) AS first, "
        "MAX(taken_at) AS last, SUM(taken_at IS NULL) AS undated FROM photos "
        "WHERE event_id IS NOT NULL GROUP BY event_id) c ON c.event_id = e.id").fetchall()
    spans = [EventSpan(i, name, n or 0, first, last, undated or 0, cover, bool(example))
             for i, name, n, first, last, undated, cover, example in rows]
    return sorted(spans, key=lambda s: (s.first is None, s.first or 0.0, s.id))


def timeline_row_by_row(store: AlbumStore) -> Timeline:
    """``timeline`` as it was: the same SQL, fetched row by row."""
    rows = store.con.execute(
        "SELECT CAST(strftime('%Y', taken_at, 'unixepoch', 'localtime') AS INTEGER) AS y, "
        "CAST(strftime('%m', taken_at, 'unixepoch', 'localtime') AS INTEGER) AS m, COUNT(*) "
        "FROM photos WHERE error IS NULL GROUP BY y, m ORDER BY y, m").fetchall()
    return Timeline([MonthCount(y, m, n) for y, m, n in rows if y is not None], sum(n for y, _, n in rows if y is None))


def posts(path: Path, n: int) -> PostStore:
    store = PostStore(path)
    with store._con:
        store._con.executemany(
            "INSERT INTO posts (kind, description, category, place, date, fingerprint, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [("lost" if i % 2 else "found", f"검정 지갑 black wallet {i}, lost near the station", "wallet",
              "Seoul station", "2024-05-01", f"post {i}", 1.7e9 + i) for i in range(n)])
    return store


def posts_row_by_row(store: PostStore) -> list[Post]:
    """``PostStore.list()`` as it was."""
    return [store._post(r) for r in store._con.execute("SELECT * FROM posts WHERE deleted_at IS NULL ORDER BY id")]


class Busy:
    """A thread running Python (a loop of additions) while the ``with`` block runs."""

    def __enter__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()
        return self

    def _spin(self) -> None:
        x = 0
        while not self._stop.is_set():
            for i in range(2000):
                x += i

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.setswitchinterval(0.001)  # as the app sets it (app.main.SWITCH_INTERVAL_S)
    results: dict[tuple[str, str, str], list[float]] = {}
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="simscope-reads-") as tmp:
            store = build(Path(tmp) / "albums.sqlite", n)
            board = posts(Path(tmp) / "lostfound.sqlite", n)
            some = [p.path for p in store.photos("all")[:: max(1, n // 60)]][:60]
            pairs = {
                "events list": (lambda s=store: events_row_by_row(s), lambda s=store: events_by_date(s)),
                "any photos?": (lambda s=store: s.photos("all") == [], lambda s=store: s.is_empty()),
                "60 results' photos": (lambda s=store, p=some: {x.path: x for x in s.photos("all") if x.path in p},
                                       lambda s=store, p=some: s.photos_at(p)),
                "Lost & Found posts": (lambda b=board: posts_row_by_row(b), lambda b=board: b.list()),
                "the scrubber's months": (lambda s=store: timeline_row_by_row(s), lambda s=store: timeline(s)),
            }
            for what, (a, b) in pairs.items():
                assert _same(a(), b()), what
            print(f"\n{n:,} photos ({len(events_by_date(store)):,} events, {len(store.photos(None)):,} unsorted); "
                  f"medians of {args.rounds}, A B interleaved:")
            for load in ("quiet", "busy worker"):
                for what, (a, b) in pairs.items():
                    ta, tb = [], []
                    for _ in range(args.rounds):
                        for f, out in ((a, ta), (b, tb)):
                            if load == "quiet":
                                out.append(_time(f))
                            else:
                                with Busy():
                                    out.append(_time(f))
                    ma, mb = statistics.median(ta), statistics.median(tb)
                    results[(what, load, "a")] = [*results.get((what, load, "a"), []), ma]
                    results[(what, load, "b")] = [*results.get((what, load, "b"), []), mb]
                    print(f"  {load:<11} {what:<20} row by row {1000 * ma:8.1f} ms   one step / no read "
                          f"{1000 * mb:7.1f} ms   x{ma / mb:6.1f}")
            store.close()
            board.close()
    if len(args.sizes) >= 2:
        n0, n1 = args.sizes[-2], args.sizes[-1]
        print(f"\nslope of time against n, {n0:,} -> {n1:,} (1: linear; 0: flat):")
        for (what, load, side), ts in results.items():
            slope = math.log(ts[-1] / ts[-2]) / math.log(n1 / n0)
            print(f"  {load:<11} {what:<20} {'before' if side == 'a' else 'now':<6} {slope:5.2f}")
    return 0


def _time(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return {k: v.id for k, v in a.items()} == {k: v.id for k, v in b.items()}
    if isinstance(a, list):
        return [getattr(x, "id", x) for x in a] == [getattr(x, "id", x) for x in b] and \
            [vars(x) for x in a if hasattr(x, "__dict__")] == [vars(x) for x in b if hasattr(x, "__dict__")]
    return a == b


if __name__ == "__main__":
    sys.exit(main())
