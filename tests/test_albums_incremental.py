"""Photos added later are placed into the existing events without regrouping the library
(``core.albums.incremental``): by capture time first, then by their nearest photos; a new time
segment of their own is a new event, a stray stays unsorted; the user's events are untouched."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from core.albums.cluster import ClusterSettings
from core.albums.events import GroupInput, regroup
from core.albums.incremental import mark_grouped, new_photos, place_new
from core.albums.store import AlbumStore

DAY = 24.0


def _library(rng, k=3, n=30, dim=32):
    centres = rng.normal(0, 1, (k, dim))
    x = np.concatenate([c + rng.normal(0, 0.25, (n, dim)) for c in centres])
    times = np.concatenate([350_000 + 30 * DAY * e + np.sort(rng.uniform(0, 4, n)) for e in range(k)])
    return centres, x, times


def _input(paths, x, times) -> GroupInput:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return GroupInput(list(paths), x.astype(np.float32), np.asarray(times, np.float64),
                      [["thing"]] * len(paths), [""] * len(paths))


def test_photos_added_later_join_events_by_time_then_content_and_nothing_else_moves(data_dir):
    rng = np.random.default_rng(0)
    centres, x, times = _library(rng)
    paths = [f"/lib/{i:03d}.jpg" for i in range(len(x))]
    with AlbumStore() as store:
        store.add_photos(paths)
        assert new_photos(store) is None  # never grouped: nothing to place into
        regroup(store, _input(paths, x, times), ClusterSettings(min_size=20))
        mark_grouped(store)
        before = {p.path: p.event_id for p in store.photos("all")}
        events = {e.id: e.name for e in store.events()}
        assert len(events) == 3
        first = before[paths[0]]
        store.rename_event(first, "Beach week")
        time.sleep(0.01)
        far = rng.normal(0, 1, x.shape[1]) * 3
        added = {
            "/lib/new-by-time-a.jpg": (centres[2] + rng.normal(0, 0.25, x.shape[1]), times[5] + 0.5),  # event 0's days, event 2's look
            "/lib/new-by-time-b.jpg": (far, times[6] + 0.2),  # chained by time: joins as well
            "/lib/new-by-content.jpg": (centres[1] + rng.normal(0, 0.1, x.shape[1]), np.nan),
            "/lib/new-trip-1.jpg": (far + rng.normal(0, 0.2, x.shape[1]), times[-1] + 200 * DAY),
            "/lib/new-trip-2.jpg": (far + rng.normal(0, 0.2, x.shape[1]), times[-1] + 200 * DAY + 2),
            "/lib/new-trip-3.jpg": (far + rng.normal(0, 0.2, x.shape[1]), times[-1] + 200 * DAY + 3),
            "/lib/new-stray.jpg": (-centres.sum(0) * 3, np.nan),
        }
        store.add_photos(list(added))
        assert sorted(new_photos(store)) == sorted(added)
        all_paths = paths + list(added)
        data = _input(all_paths, np.concatenate([x, np.stack([v for v, _ in added.values()])]),
                      np.concatenate([times, [t for _, t in added.values()]]))
        report = place_new(store, data, new_photos(store), ClusterSettings(min_size=20))
        after = {p.path: p.event_id for p in store.photos("all")}
        assert all(after[p] == before[p] for p in paths)  # no regroup: every placed photo stays
        assert after["/lib/new-by-time-a.jpg"] == first and after["/lib/new-by-time-b.jpg"] == first
        assert after["/lib/new-by-content.jpg"] == before[paths[45]]
        trip = {after[f"/lib/new-trip-{i}.jpg"] for i in (1, 2, 3)}
        assert len(trip) == 1 and trip.pop() not in events  # a new event of their own
        assert after["/lib/new-stray.jpg"] is None
        assert (report.new, report.by_time, report.by_content, report.new_events, report.unsorted) == (7, 2, 1, 1, 1)
        assert store.event(first).name == "Beach week"  # the user's name stays
        assert all(store.event(e).name == name for e, name in events.items() if e != first)
        new_event = store.event(after["/lib/new-trip-1.jpg"])
        assert new_event.name and len(new_event.representatives) == 3
        assert "capture time" in report.summary() and "no regroup" in report.summary()
        assert new_photos(store) == []  # placed: not new any more
        assert "added later" in store.photo(store.photo_ids(["/lib/new-by-content.jpg"])["/lib/new-by-content.jpg"]).why


def test_cli_albums_add_again_places_the_new_photos_and_regroups_only_when_asked(data_dir, tmp_path):
    import shutil

    from tests.conftest import DEMO_PHOTOS
    from tests.test_cli import run_cli

    library = tmp_path / "Pictures"
    library.mkdir()
    photos = sorted(DEMO_PHOTOS.glob("*.jpg"))
    for p in photos[:9]:
        shutil.copy(p, library / p.name)
    store = tmp_path / "album.sqlite"
    first = run_cli("albums", "add", str(library), "--store", str(store), "--no-captions", env_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "9 photos (9 new): 9 embedded" in first.stdout and "grouped:" in first.stdout  # never grouped: grouped
    for p in photos[9:]:
        shutil.copy(p, library / p.name)
    again = run_cli("albums", "add", str(library), "--store", str(store), "--no-captions", env_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert "12 photos (3 new): 3 embedded, 9 from cache" in again.stdout
    assert "3 new photos:" in again.stdout and "(no regroup)" in again.stdout
    full = run_cli("albums", "add", str(library), "--store", str(store), "--regroup", "--no-captions", env_dir=data_dir)
    assert full.returncode == 0 and "12 from cache" in full.stdout and "grouped:" in full.stdout

    # a folder with no photo, and a CSV dropped by mistake: said, and not left watched
    empty = tmp_path / "Empty"
    empty.mkdir()
    sheet = tmp_path / "posts.csv"
    sheet.write_text("a,b\n1,2\n", encoding="utf-8")
    for wrong in (empty, sheet):
        out = run_cli("albums", "add", str(wrong), "--store", str(store), "--no-captions", env_dir=data_dir)
        assert out.returncode != 0 and f"no photos found in {wrong}" in out.stderr, out.stderr
    from core.albums.store import AlbumStore

    with AlbumStore(store) as album:
        assert album.folders() == [str(library.resolve())] and len(album.paths()) == 12


def test_adding_a_folder_reads_only_its_files_and_writes_only_its_rows(data_dir, tmp_path):
    """Adding a folder to a library scans, checks and embeds only its files and writes only its
    photos' rows; the photos already indexed are taken as the store and the cache hold them (a
    file of theirs deleted or damaged since goes unnoticed), and the next full index notices."""
    import shutil

    from core.albums.pipeline import Album, make_models
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from tests.conftest import DEMO_PHOTOS

    photos = sorted(DEMO_PHOTOS.glob("*.jpg"))
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    for p in photos[:6]:
        shutil.copy(p, old / p.name)
    for p in photos[6:9]:
        shutil.copy(p, new / p.name)
    with EmbeddingCache() as cache, AlbumStore() as store:
        album = Album(store, cache, make_models(ModelManager("cpu"), captions=False))
        first = album.add([old])
        assert first.computed == 6
        album.regroup(ClusterSettings(min_size=3))
        before = dict(zip(album.data.paths, album.data.vectors, strict=True))
        old_rows = {p.path: (p.taken_at, p.tags) for p in store.photos("all")}
        store.con.executescript(  # every photo row written from here on, by path
            "CREATE TEMP TABLE written (path TEXT);"
            "CREATE TEMP TRIGGER photo_written AFTER UPDATE ON photos BEGIN INSERT INTO written VALUES (new.path); END;"
            "CREATE TEMP TRIGGER photo_added AFTER INSERT ON photos BEGIN INSERT INTO written VALUES (new.path); END;")
        vanished, damaged = sorted(before)[:2]
        os.remove(vanished)
        Path(damaged).write_bytes(b"not a photo any more")
        report = album.add([new])
        written = {r[0] for r in store.con.execute("SELECT path FROM written")}
        new_paths = {str(p) for p in sorted(new.resolve().glob("*.jpg"))}
        assert written == new_paths  # not one old photo's row or EXIF stamp written again
        assert report.computed == 3 and report.reused == 0 and not report.errors  # the new photos alone
        assert report.found == 9
        # the old photos as they were indexed (never opened: the deleted and the damaged one too)
        assert set(album.data.paths) == set(before) | new_paths
        row = {p: i for i, p in enumerate(album.data.paths)}
        for p, v in before.items():
            np.testing.assert_allclose(album.data.vectors[row[p]], v, atol=1e-3)  # the cache keeps float16
        assert {p.path: (p.taken_at, p.tags) for p in store.photos("all") if p.path in before} == old_rows
        assert album.place_new().new == 3
        # a full index (a rescan of every watched folder) notices what changed
        full = album.index()
        said = dict(full.errors)
        assert "does not exist" in said[vanished] and damaged in said and full.gone == 1
        assert set(album.data.paths) == set(before) - {vanished, damaged} | new_paths
