"""Reads the UI thread makes in one SQLite step (``core.database.rows_at_once``): the same rows, in
the same order, with the same values and types as reading them row by row; and the Albums reads the
UI thread makes at every reload or search (a group's photos, the events by date, the photos at
some paths, whether there are any)."""

from __future__ import annotations

import random
import sqlite3

from core.albums.store import AlbumStore
from core.albums.timeline import events_by_date, timeline
from core.database import rows_at_once

HOSTILE = ["plain", "it's \"quoted\"", "back\\slash", "new\nline\ttab", "생일 케이크 🎂", '{"a": [1, 2]}', "", "NULL",
           "1.5e+09", "\u0000 zero"]


def test_rows_at_once_equals_row_by_row_with_hostile_texts_exact_floats_and_order():
    rng = random.Random(3)
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, name TEXT, big INTEGER, at REAL, note TEXT)")
    values = []
    for k in range(500):
        at = rng.choice([None, 1412345678.1234567 + k / 7, float(1_400_000_000 + k), 1e-5 * k, float("inf"), -2.5])
        values.append((k, rng.choice(HOSTILE) + str(k % 3), rng.choice([None, 2 ** 62 + k, -k]), at,
                       rng.choice([None, *HOSTILE])))
    rng.shuffle(values)
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", values)
    sql = "SELECT k, name, big, at, note FROM t WHERE k % 5 != 1 ORDER BY COALESCE(at, 0) DESC, name, k"
    plain = [list(r) for r in con.execute(sql)]
    once = rows_at_once(con, sql, columns=("k", "name", "big", "at", "note"), reals=("at",))
    assert once == plain  # order, texts, 63-bit integers and NULLs
    assert [[type(v) for v in r] for r in once] == [[type(v) for v in r] for r in plain]
    assert all(a[3] is None or a[3] == b[3] for a, b in zip(once, plain, strict=True))  # floats bit for bit
    assert rows_at_once(con, "SELECT k FROM t WHERE k < 0", columns=("k",)) == []
    assert rows_at_once(con, "SELECT k, at FROM t WHERE k = ?", (7,), ("k", "at"), reals=("at",)) == \
        [list(r) for r in con.execute("SELECT k, at FROM t WHERE k = 7")]


def test_album_groups_events_by_date_photos_at_and_is_empty_read_the_store_exactly(data_dir):
    store = AlbumStore()
    try:
        assert store.is_empty()
        rng = random.Random(5)
        paths = [f"/photos/{name}_{i:03d}.jpg" for i, name in
                 enumerate(rng.choice(["a", "B", "zz", "é", "it's"]) for _ in range(300))]
        rng.shuffle(paths)
        store.add_photos(paths)
        assert not store.is_empty()
        ids = {p.path: p.id for p in store.photos("all")}
        events = [store.create_event(f"event {e}") for e in range(4)]
        with store.con:
            for i, path in enumerate(paths):
                taken = None if i % 9 == 0 else 1_300_000_000 + rng.random() * 1e6
                event = None if i % 5 == 0 else events[i % 4]
                store.con.execute("UPDATE photos SET taken_at = ?, event_id = ?, tags = ? WHERE id = ?",
                                  (taken, event, f'["t{i % 3}", "it\'s"]', ids[path]))
        cols = "id, path, event_id, pinned, unsure, note, caption, tags, taken_at, error"
        for key, where, args in ((None, "event_id IS NULL AND unsure = 0 AND error IS NULL", ()),
                                 (events[2], "event_id = ?", (events[2],))):
            plain = store.con.execute(f"SELECT {cols} FROM photos WHERE {where} ORDER BY COALESCE(taken_at, 0), path",
                                      args).fetchall()
            got = store.photos(key)
            assert [(p.id, p.path, p.event_id, p.taken_at, p.tags) for p in got] == \
                [(r[0], r[1], r[2], r[8], ["t" + str(paths.index(r[1]) % 3), "it's"]) for r in plain]
        spans = {s.id: s for s in events_by_date(store)}
        for e in events:
            first, last, n = store.con.execute(
                "SELECT MIN(taken_at), MAX(taken_at), COUNT(*) FROM photos WHERE event_id = ?", (e,)).fetchone()
            assert (spans[e].first, spans[e].last, spans[e].count) == (first, last, n)  # exact floats
        some_events = [events[2], events[0], 10 ** 9]  # a few events' rows (a rename), one gone
        assert events_by_date(store, some_events) == [s for s in events_by_date(store) if s.id in some_events]
        assert events_by_date(store, []) == []
        some = paths[10:40] + ["/not/in/the/album.jpg"]
        at = store.photos_at(some)
        assert set(at) == set(paths[10:40]) and all(at[p].id == ids[p] for p in at)
        wanted = [ids[p] for p in paths[50:90]] + [10 ** 9]  # and an id no longer in the album
        assert store.paths_of(wanted) == {ids[p]: p for p in paths[50:90]}
        with store.con:  # the scrubber's months: one unreadable photo is not counted
            store.con.execute("UPDATE photos SET error = 'broken' WHERE id = ?", (ids[paths[1]],))
        months = store.con.execute(
            "SELECT CAST(strftime('%Y', taken_at, 'unixepoch', 'localtime') AS INTEGER), "
            "CAST(strftime('%m', taken_at, 'unixepoch', 'localtime') AS INTEGER), COUNT(*) "
            "FROM photos WHERE error IS NULL GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        line = timeline(store)
        assert [(m.year, m.month, m.count) for m in line.months] == [r for r in months if r[0] is not None]
        assert line.no_date == sum(r[2] for r in months if r[0] is None) > 0
        assert line.total == len(paths) - 1
    finally:
        store.close()


def test_lost_and_found_posts_read_in_one_step_equal_row_by_row(data_dir):
    from core.lostfound.store import PostStore

    store = PostStore(data_dir / "lostfound.sqlite")
    try:
        with store._con:
            store._con.executemany(
                "INSERT INTO posts (kind, image, image_hash, description, category, storage_location, status, "
                "place, date, fingerprint, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [("lost" if i % 3 else "found", None if i % 4 else f"images/{i}.jpg", None if i % 4 else f"h{i}",
                  HOSTILE[i % len(HOSTILE)], ["wallet", "phone", "우산"][i % 3], "desk 2" if i % 5 else "",
                  "returned" if i % 7 == 0 else "", "Seoul", f"2024-05-0{1 + i % 9}", f"post {i}", 1.7e9 + i,
                  1.8e9 if i % 11 == 0 else None) for i in range(200)])
        plain = [store._post(r) for r in store._con.execute(
            "SELECT * FROM posts WHERE deleted_at IS NULL ORDER BY id")]
        assert store.list() == plain and len(plain) == 200 - len(range(0, 200, 11))
        assert [p.id for p in store.list()] == [p.id for p in plain]
        assert store.list("found") == [p for p in plain if p.kind == "found"]
    finally:
        store.close()
