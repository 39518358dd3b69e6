"""The album by date: photos per year and month, and the events in the order they happened.

What the Albums page's date scrubber (``app.albums.timeline``) paints and ``albums events``
prints. Counted by SQLite in one pass over the photos (``GROUP BY``), never by decoding each
photo's row in Python: 100,000 photos take tens of milliseconds.

Months are the photo's local calendar month (capture times are kept as seconds since the epoch,
read from EXIF as local time). Photos without a capture time are counted apart (``no_date``);
unreadable photos are not counted (they are not in any event, nor in the grid's months).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int  # 1–12
    count: int


@dataclass(frozen=True)
class Timeline:
    months: list[MonthCount]  # oldest first, only months with photos
    no_date: int  # readable photos without a capture time

    @property
    def total(self) -> int:
        return sum(m.count for m in self.months) + self.no_date

    def years(self) -> list[tuple[int, int]]:
        """(year, photos) oldest first."""
        out: dict[int, int] = {}
        for m in self.months:
            out[m.year] = out.get(m.year, 0) + m.count
        return list(out.items())


@dataclass(frozen=True)
class EventSpan:
    id: int
    name: str
    count: int
    first: float | None  # earliest capture time of its photos (None: none has one)
    last: float | None
    undated: int  # its photos without a capture time
    cover: int | None = None  # the photo id of its first example, else of its first representative
    by_example: bool = False  # the user chose its example photos

    def month(self) -> tuple[int, int] | None:
        """(year, month) of its first capture time (the scrubber's mark), None when undated."""
        if self.first is None:
            return None
        a = dt.datetime.fromtimestamp(self.first)
        return a.year, a.month

    def dates_text(self) -> str:
        """'12 Mar 2019', '12–14 Mar 2019', '30 Dec 2019 – 2 Jan 2020' or 'no date'."""
        if self.first is None or self.last is None:
            return "no date"
        a, b = dt.datetime.fromtimestamp(self.first), dt.datetime.fromtimestamp(self.last)
        if a.date() == b.date():
            return f"{a.day} {a:%b %Y}"
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{b.day} {a:%b %Y}"
        if a.year == b.year:
            return f"{a.day} {a:%b} – {b.day} {b:%b %Y}"
        return f"{a.day} {a:%b %Y} – {b.day} {b:%b %Y}"


def month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def photos_text(n: int) -> str:
    return f"{n:,} photo" if n == 1 else f"{n:,} photos"


def timeline(store) -> Timeline:
    """Readable photos per (year, month) of capture, and how many have no capture time. The rows
    (one per month: ~150 over 13 years) are read in one step (``rows_at_once``): row by row, with a
    worker thread busy in Python, each waited up to a switch interval (bench/ui_reads.py). The
    count itself is a pass over every photo (60-150 ms at 100,000): the events panel has it read
    off the UI thread (``timeline_at``)."""
    return _months(store.con)


def timeline_at(path) -> Timeline:
    """``timeline`` of the album store at ``path``, on a read-only connection of its own (a worker
    thread's: SQLite connections are not shared between threads), closed after. Read-only: a store
    moved or deleted meanwhile is an error, not a new empty file made in its place."""
    import sqlite3
    from pathlib import Path

    con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=30.0)
    try:
        return _months(con)
    finally:
        con.close()


def _months(con) -> Timeline:
    from core.database import rows_at_once

    rows = rows_at_once(con,
        "SELECT CAST(strftime('%Y', taken_at, 'unixepoch', 'localtime') AS INTEGER) AS y, "
        "CAST(strftime('%m', taken_at, 'unixepoch', 'localtime') AS INTEGER) AS m, COUNT(*) AS n "
        "FROM photos WHERE error IS NULL GROUP BY y, m ORDER BY y, m", columns=("y", "m", "n"))
    months = [MonthCount(y, m, n) for y, m, n in rows if y is not None]
    return Timeline(months, sum(n for y, _, n in rows if y is None))


def events_by_date(store, ids: list[int] | None = None) -> list[EventSpan]:
    """Every event (or the events ``ids``) with its photo count, the span of its capture times and
    its cover photo's id, in the order they happened (by first capture time; events without any
    dated photo last, by id). One pass over the index ``photos(event_id, taken_at)``, no photo row
    read, the rows read in one step (``rows_at_once``): ~20 ms at 100,000, also while a worker
    thread is busy in Python; a few events' rows: their photos' index entries alone."""
    import json

    from core.database import rows_at_once

    only, args = "", ()
    if ids is not None:
        only = "AND event_id IN (SELECT value FROM json_each(?1))"
        args = (json.dumps([int(i) for i in ids]),)
    rows = rows_at_once(store.con,  # in one step: the UI thread calls this at every reload
        "SELECT e.id AS id, e.name AS name, c.n AS n, c.first AS first, c.last AS last, c.undated AS undated, "
        "COALESCE((SELECT photo_id FROM prototypes WHERE event_id = e.id ORDER BY rowid LIMIT 1), "
        "json_extract(e.representatives, '$[0]')) AS cover, "
        "EXISTS(SELECT 1 FROM prototypes WHERE event_id = e.id) AS example "
        "FROM events e LEFT JOIN (SELECT event_id, COUNT(*) AS n, MIN(taken_at) AS first, "
        "MAX(taken_at) AS last, SUM(taken_at IS NULL) AS undated FROM photos "
        f"WHERE event_id IS NOT NULL {only} GROUP BY event_id) c ON c.event_id = e.id"
        + (" WHERE e.id IN (SELECT value FROM json_each(?1))" if ids is not None else ""), args,
        columns=("id", "name", "n", "first", "last", "undated", "cover", "example"), reals=("first", "last"))
    spans = [EventSpan(i, name, n or 0, first, last, undated or 0, cover, bool(example))
             for i, name, n, first, last, undated, cover, example in rows]
    return sorted(spans, key=lambda s: (s.first is None, s.first or 0.0, s.id))


def event_in_month(spans: list[EventSpan], year: int, month: int) -> EventSpan | None:
    """The first event (by date) with photos in that month, or else the first one after it (the
    scrubber's jump); None when no dated event is that late."""
    start = dt.datetime(year, month, 1).timestamp()
    end = dt.datetime(year + month // 12, month % 12 + 1, 1).timestamp()
    later = None
    for s in spans:
        if s.first is None:
            continue
        if s.first < end and s.last is not None and s.last >= start:
            return s
        if s.first >= end and later is None:
            later = s
    return later
