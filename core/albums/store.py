"""The album store (SQLite): photos, events, the user's edits.

Every edit is written at once. What the user decided is marked so that a
re-clustering never undoes it:

* a photo the user moved (or split off) is *pinned* to its event;
* an event the user renamed keeps its name (``name_pinned``);
* an event defined by example keeps its prototype photos.

Events made from capture times alone while a folder is still being indexed are *provisional*
(``add_provisional_events``): the next grouping takes them over or drops them like any event
it made, and clears the mark; until then the mark says the content grouping is still owed.

Photos that could not be read stay in the store with their error, so adding a
folder again never loses them and the user can see why.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.paths import data_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    name_pinned INTEGER NOT NULL DEFAULT 0,
    caption TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    representatives TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    unsure INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    caption_key TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    taken_at REAL,
    error TEXT,
    added_at REAL NOT NULL,
    why TEXT NOT NULL DEFAULT '',
    exif_stamp TEXT NOT NULL DEFAULT '',
    gps_lat REAL,
    gps_lon REAL,
    exif_note TEXT NOT NULL DEFAULT ''
);
-- (event_id, taken_at) serves every look-up by event (and the foreign key's); a second index on
-- event_id alone doubled the cost of moving photos between events: 4.0 -> 5.7 us a photo from
-- 30,000 to 100,000 photos, 3.3 -> 3.5 without it
DROP INDEX IF EXISTS photos_event;
CREATE INDEX IF NOT EXISTS photos_event_time ON photos(event_id, taken_at);
CREATE INDEX IF NOT EXISTS photos_errors ON photos(id) WHERE error IS NOT NULL;
CREATE TABLE IF NOT EXISTS prototypes (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, photo_id)
);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS excluded (path TEXT PRIMARY KEY);
"""

# The seed's useful WIDER classes plus common events: the default naming vocabulary.
DEFAULT_VOCABULARY = [
    "Parade", "Cheering", "Group", "Concert", "Couple", "Family Group", "Festival", "Picnic", "Sports Fan",
    "Students Schoolkids", "Baseball", "Basketball", "Soccer", "Tennis", "Ice Skating", "Swimming",
    "Greeting", "Celebration Or Party", "Birthday", "Graduation", "Wedding", "Beach", "Christmas", "Halloween",
]


@dataclass
class Photo:
    id: int
    path: str
    event_id: int | None = None
    pinned: bool = False
    unsure: bool = False
    note: str = ""
    caption: str = ""
    tags: list[str] = field(default_factory=list)
    taken_at: float | None = None  # seconds since the epoch
    error: str | None = None
    why: str = ""  # what the automatic grouping said of it when it last placed it ('' otherwise)


@dataclass
class EventRow:
    id: int
    name: str
    name_pinned: bool = False
    caption: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    representatives: list[int] = field(default_factory=list)  # photo ids nearest the centre
    prototypes: list[int] = field(default_factory=list)  # photo ids the user chose (defined by example)
    photo_count: int = 0

    @property
    def by_example(self) -> bool:
        return bool(self.prototypes)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def default_path() -> Path:
    return data_dir() / "albums.sqlite"


_COLUMN_NAMES = ("id", "path", "event_id", "pinned", "unsure", "note", "caption", "tags", "taken_at", "error")
_PHOTO_COLUMNS = f"SELECT {', '.join(_COLUMN_NAMES)} FROM photos"


class AlbumStore:
    """One SQLite file; open one store per thread (connections are not shared)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else default_path()
        if str(path) != ":memory:":  # a throw-away store (the CLI)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # one thread uses a store at a time; another may close it once that one has stopped (the
        # app closes the model worker's store after the job queue: app.main.close_down)
        from core.database import connect

        self.con = connect(self.path, "album", self._setup)  # StoreUnavailable: damaged, or no access
        self._log = None  # the undo's change log (``tracked``), made at the first edit

    @staticmethod
    def _setup(con: sqlite3.Connection) -> None:
        con.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a crash of the app (or kill -9) never loses a committed edit nor corrupts the
        # file; only a power cut can drop the last commits. It saves an fsync per edit (undo stalls).
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(_SCHEMA)
        columns = {r[1] for r in con.execute("PRAGMA table_info(photos)")}
        if "caption_key" not in columns:  # albums made before captions knew their file's content
            with con:
                con.execute("ALTER TABLE photos ADD COLUMN caption_key TEXT NOT NULL DEFAULT ''")
        if "why" not in columns:  # albums made before the grouping said why it placed a photo
            with con:
                con.execute("ALTER TABLE photos ADD COLUMN why TEXT NOT NULL DEFAULT ''")
        if "exif_stamp" not in columns:  # albums made before indexing kept what EXIF said (read again once)
            with con:
                for column in ("exif_stamp TEXT NOT NULL DEFAULT ''", "gps_lat REAL", "gps_lon REAL",
                               "exif_note TEXT NOT NULL DEFAULT ''"):
                    con.execute(f"ALTER TABLE photos ADD COLUMN {column}")
        if "provisional" not in {r[1] for r in con.execute("PRAGMA table_info(events)")}:
            with con:  # albums made before events by capture time were shown during indexing
                con.execute("ALTER TABLE events ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0")

    # -- undo: what the user's edits change, as it was and as it is ---------------------
    # (table, primary key columns), in the order rows are inserted (parents first)
    EDIT_TABLES = (("events", ("id",)), ("photos", ("id",)), ("prototypes", ("event_id", "photo_id")),
                   ("folders", ("path",)), ("excluded", ("path",)))

    def snapshot(self) -> dict[str, dict[tuple, tuple]]:
        """Every row an edit can change, keyed by primary key: {table: {key: row}}."""
        out = {}
        for table, pk in self.EDIT_TABLES:
            cur = self.con.execute(f"SELECT * FROM {table}")  # fixed names
            cols = [d[0] for d in cur.description]
            idx = [cols.index(c) for c in pk]
            out[table] = {tuple(r[i] for i in idx): tuple(r) for r in cur.fetchall()}
        return out

    def _changes(self):
        if self._log is None:
            from core.undo_log import ChangeLog

            self._log = ChangeLog(self.con, self.EDIT_TABLES)
        return self._log

    def tracked(self, edit):
        """Run ``edit`` and return (its result, the rows it changed as they were, as they are now):
        {table: {key: row or None}}, from SQLite triggers (``core.undo_log``), O(rows changed)."""
        return self._changes().run(edit)

    def apply_rows(self, rows: dict[str, dict[tuple, tuple | None]]) -> int:
        """Write ``rows`` ({table: {key: row or None}}, from :meth:`tracked`) over the store: undo
        and redo, reading only those rows (``restore`` on them)."""
        from core.undo_log import laid_over

        now = self._changes().current(rows)
        return self.restore(laid_over(now, rows), now)

    def restore(self, snap: dict[str, dict[tuple, tuple]], now: dict | None = None) -> int:
        """Make the edit tables equal ``snap`` (a :meth:`snapshot`), writing only the rows that
        differ, in one transaction; returns how many rows were written. Undo and redo use it
        (``now``: the snapshot they just took, so it is not read twice)."""
        now = self.snapshot() if now is None else now
        written = 0
        with self.con:
            for table, pk in reversed(self.EDIT_TABLES):  # children first: nothing dangles
                gone = [k for k in now[table] if k not in snap[table]]
                where = " AND ".join(f"{c}=?" for c in pk)
                self.con.executemany(f"DELETE FROM {table} WHERE {where}", gone)
                written += len(gone)
            for table, pk in self.EDIT_TABLES:
                cols = [d[0] for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
                changed = [row for k, row in snap[table].items() if now[table].get(k) != row]
                new = [row for row in changed if tuple(row[cols.index(c)] for c in pk) not in now[table]]
                old = [row for row in changed if tuple(row[cols.index(c)] for c in pk) in now[table]]
                marks = ",".join("?" * len(cols))
                self.con.executemany(f"INSERT INTO {table} VALUES ({marks})", new)
                if old:  # only the columns that differ (a merge changes event_id and pinned): cheap indexes
                    keys = [cols.index(c) for c in pk]
                    where = " AND ".join(f"{c}=?" for c in pk)
                    by_columns: dict[tuple[int, ...], list] = {}
                    for r in old:
                        cur = now[table][tuple(r[i] for i in keys)]
                        diff = tuple(i for i, c in enumerate(cols) if c not in pk and r[i] != cur[i])
                        by_columns.setdefault(diff, []).append([r[i] for i in diff] + [r[i] for i in keys])
                    for diff, rows in by_columns.items():
                        sets = ", ".join(f"{cols[i]}=?" for i in diff)
                        self.con.executemany(f"UPDATE {table} SET {sets} WHERE {where}", rows)
                written += len(changed)
        return written

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> AlbumStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- folders and photos ---------------------------------------------------
    def add_folder(self, path: str | os.PathLike[str]) -> None:
        """Watch a folder (or one photo); adding it again brings back photos removed from it."""
        folder = str(Path(path).resolve())
        with self.con:
            self.con.execute("INSERT OR IGNORE INTO folders VALUES (?, ?)", (folder, time.time()))
            self._unexclude(folder)

    def folders(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT path FROM folders ORDER BY path")]

    def has_photos_under(self, folder: str) -> bool:
        """Whether the album holds a photo in ``folder`` (or is that photo)."""
        prefix = folder.rstrip(os.sep) + os.sep
        return self.con.execute("SELECT 1 FROM photos WHERE path=? OR substr(path, 1, ?)=? LIMIT 1",
                                (folder, len(prefix), prefix)).fetchone() is not None

    def add_photos(self, paths: list[str]) -> int:
        """Store new photos (known ones are left as they are); returns how many were new."""
        now = time.time()
        with self.con:
            before = self.con.total_changes
            self.con.executemany("INSERT OR IGNORE INTO photos (path, added_at) VALUES (?, ?)",
                                 [(str(p), now) for p in paths])
            return self.con.total_changes - before

    def set_photo_info(self, rows: list[tuple[str, float | None, list[str], str, str | None]]) -> None:
        """(path, taken_at, tags, caption, error) per photo, from indexing. A photo that could not
        be read leaves the provisional event its capture time put it in (the user's place stays)."""
        with self.con:
            self.con.executemany(
                "UPDATE photos SET taken_at=?, tags=?, caption=?, error=? WHERE path=?",
                [(t, json.dumps(tags, ensure_ascii=False), cap, err, str(p)) for p, t, tags, cap, err in rows])
            before = self.con.total_changes
            self.con.executemany(
                "UPDATE photos SET event_id=NULL, why='' WHERE path=? AND pinned=0 "
                "AND event_id IN (SELECT id FROM events WHERE provisional=1)",
                [(str(r[0]),) for r in rows if r[4] is not None])
            if self.con.total_changes != before:
                self._drop_empty_events()

    def set_capture(self, rows: list[tuple[str, float | None, float | None, float | None]]) -> None:
        """(path, taken_at, GPS latitude, longitude) per photo, as its EXIF says, written before the
        photo is indexed whole (its EXIF is not marked read: ``set_exif`` does that at the end)."""
        with self.con:
            self.con.executemany("UPDATE photos SET taken_at=?, gps_lat=?, gps_lon=? WHERE path=?",
                                 [(t, lat, lon, str(p)) for p, t, lat, lon in rows])

    def ungrouped_times(self, since: float | None = None) -> list[tuple[int, float, float | None, float | None]]:
        """(photo id, taken_at, GPS latitude, longitude) of the readable photos with a capture time
        that no grouping has placed yet: in no event, not placed by the user, not unsure, and added
        after ``since`` (the album's last grouping; None: never grouped)."""
        sql = ("SELECT id, taken_at, gps_lat, gps_lon FROM photos WHERE event_id IS NULL AND pinned=0 "
               "AND unsure=0 AND error IS NULL AND taken_at IS NOT NULL")
        args: tuple = ()
        if since is not None:
            sql += " AND added_at > ?"
            args = (float(since),)
        return self.con.execute(sql, args).fetchall()

    def add_provisional_events(self, groups: list[tuple[dict, list[int], list[int]]], why: str = "") -> list[int]:
        """(fields: name, tags; photo ids; representative photo ids) per event made from capture times
        alone, written in one transaction and marked provisional. A photo another hand placed
        meanwhile (in an event, pinned) is left where it is; an event left with no photo is not
        kept. Returns the new events' ids."""
        now, made = time.time(), []
        with self.con:
            for fields, photo_ids, reps in groups:
                cur = self.con.execute(
                    "INSERT INTO events (name, tags, representatives, created_at, provisional) VALUES (?, ?, ?, ?, 1)",
                    (fields.get("name", ""), json.dumps(fields.get("tags", []), ensure_ascii=False),
                     json.dumps(reps), now))
                eid = int(cur.lastrowid)
                self.con.executemany("UPDATE photos SET event_id=?, why=? WHERE id=? AND event_id IS NULL AND pinned=0",
                                     [(eid, why, i) for i in photo_ids])
                if self.con.execute("SELECT 1 FROM photos WHERE event_id=? LIMIT 1", (eid,)).fetchone():
                    made.append(eid)
                else:  # every photo of it placed by another hand meanwhile
                    self.con.execute("DELETE FROM events WHERE id=?", (eid,))
        return made

    def has_provisional(self) -> bool:
        """Whether events made from capture times alone still wait for the content grouping."""
        return self.con.execute("SELECT 1 FROM events WHERE provisional=1 LIMIT 1").fetchone() is not None

    def provisional_ids(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT id FROM events WHERE provisional=1")}

    def release_provisional(self) -> int:
        """Before placing new photos one by one (``core.albums.incremental``): the provisional events
        go and their photos are unsorted again, except what the user made of them (a renamed event,
        one with examples, photos moved by hand: these stay, no longer provisional). Returns how
        many photos were freed."""
        with self.con:
            kept = "name_pinned=1 OR id IN (SELECT event_id FROM prototypes)"
            cur = self.con.execute(
                "UPDATE photos SET event_id=NULL, why='' WHERE pinned=0 AND event_id IN "
                f"(SELECT id FROM events WHERE provisional=1 AND NOT ({kept}))")
            freed = cur.rowcount
            self.con.execute("UPDATE events SET provisional=0 WHERE provisional=1")
            self._drop_empty_events()
        return freed

    def exif_known(self, paths: list[str] | None = None,
                   ) -> dict[str, tuple[str, float | None, float | None, float | None, str]]:
        """path → (file stamp, taken_at, GPS latitude, longitude, note) as indexing last read the
        photo's EXIF (``set_exif``): an unchanged file (same stamp) is not read again. Photos never
        read (or read before the album kept this) are absent. ``paths``: only these photos'."""
        sql = "SELECT path, exif_stamp, taken_at, gps_lat, gps_lon, exif_note FROM photos WHERE exif_stamp != ''"
        if paths is None:
            return {r[0]: r[1:] for r in self.con.execute(sql)}
        out = {}
        for start in range(0, len(paths), 500):
            chunk = [str(p) for p in paths[start : start + 500]]
            out.update({r[0]: r[1:] for r in self.con.execute(
                f"{sql} AND path IN ({','.join('?' * len(chunk))})", chunk)})
        return out

    def indexed(self) -> dict[str, tuple[float | None, float | None, float | None, tuple[str, ...], str]]:
        """path → (taken_at, GPS latitude, longitude, tags, caption) of every photo indexed whole
        (its EXIF kept, no error): what adding a folder takes as it is, without opening the file.
        The tags a tuple (``core.albums.events.GroupInput`` keeps them so)."""
        rows = self.con.execute("SELECT path, taken_at, gps_lat, gps_lon, tags, caption FROM photos "
                                "WHERE exif_stamp != '' AND error IS NULL").fetchall()
        tags = json.loads("[" + ",".join(r[4] for r in rows) + "]")  # one parse, not 100,000
        return {r[0]: (r[1], r[2], r[3], tuple(t), r[5]) for r, t in zip(rows, tags, strict=True)}

    def notes(self) -> dict[str, str]:
        """path → the user's note, for the photos that have one."""
        return dict(self.con.execute("SELECT path, note FROM photos WHERE note != ''").fetchall())

    def set_exif(self, rows: list[tuple[str, str, float | None, float | None, str]]) -> None:
        """(path, file stamp, GPS latitude, longitude, note) per photo whose EXIF was just read (its
        capture time is written by ``set_photo_info``)."""
        with self.con:
            self.con.executemany("UPDATE photos SET exif_stamp=?, gps_lat=?, gps_lon=?, exif_note=? WHERE path=?",
                                 [(stamp, lat, lon, note, str(p)) for p, stamp, lat, lon, note in rows])

    def set_captions(self, rows: list[tuple[str, str, str]]) -> None:
        """(path, caption, content key of the file it describes) per photo."""
        with self.con:
            self.con.executemany("UPDATE photos SET caption=?, caption_key=? WHERE path=?",
                                 [(c, k, str(p)) for p, c, k in rows])

    def captions(self) -> dict[str, tuple[str, str]]:
        """path → (caption, content key of the file it was made from; '' if not known)."""
        return {r[0]: (r[1], r[2]) for r in self.con.execute("SELECT path, caption, caption_key FROM photos")}

    def photos(self, event_id: int | None | str = "all") -> list[Photo]:
        """All photos, or one event's (``None``: unsorted, ``"unsure"``: the unsure ones)."""
        sql = _PHOTO_COLUMNS
        args: tuple = ()
        if event_id is None:
            sql += " WHERE event_id IS NULL AND unsure = 0 AND error IS NULL"
        elif event_id == "unsure":
            sql += " WHERE event_id IS NULL AND unsure = 1"
        elif event_id == "errors":
            sql += " WHERE error IS NOT NULL"
        elif event_id != "all":
            sql += " WHERE event_id = ?"
            args = (event_id,)
        sql += " ORDER BY COALESCE(taken_at, 0), path"
        return self._photo_rows(sql, args)

    def photos_at(self, paths: list[str]) -> dict[str, Photo]:
        """The photos at these paths (those in the album), by path: a search's or a duplicates
        check's results, without reading the other photos of the album."""
        return {p.path: p for p in self._photo_rows(
            f"{_PHOTO_COLUMNS} WHERE path IN (SELECT value FROM json_each(?))", (json.dumps(list(paths)),))}

    def is_empty(self) -> bool:
        """No photo at all (readable or not): one index probe, not a read of the album."""
        return self.con.execute("SELECT NOT EXISTS(SELECT 1 FROM photos)").fetchone()[0] == 1

    def _photo_rows(self, sql: str, args: tuple) -> list[Photo]:
        """Photos from a SELECT of ``_PHOTO_COLUMNS``, row by row (``core.database.rows_at_once``
        measured slower here: each row's tags are JSON inside the JSON; bench/ui_reads.py)."""
        return [Photo(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], json.loads(r[7]), r[8], r[9])
                for r in self.con.execute(sql, args)]

    def placements(self) -> list[Photo]:
        """Every readable photo with only its id, path, event and time filled (no JSON to decode:
        what the UI thread needs to explain a photo's place, fast at 10k photos)."""
        return [Photo(r[0], r[1], r[2], taken_at=r[3]) for r in self.con.execute(
            "SELECT id, path, event_id, taken_at FROM photos WHERE error IS NULL")]

    def group_counts(self) -> dict[str, int]:
        """How many photos are unsorted, unsure, unreadable (one query, for the event list)."""
        row = self.con.execute(  # the photos without an event, by the event index; the errors by theirs
            "SELECT SUM(unsure = 0 AND error IS NULL), SUM(unsure = 1), "
            "(SELECT COUNT(*) FROM photos WHERE error IS NOT NULL) FROM photos WHERE event_id IS NULL").fetchone()
        return {"unsorted": row[0] or 0, "unsure": row[1] or 0, "errors": row[2] or 0}

    def photo(self, photo_id: int) -> Photo:
        r = self.con.execute("SELECT id, path, event_id, pinned, unsure, note, caption, tags, taken_at, error, why "
                             "FROM photos WHERE id = ?", (photo_id,)).fetchone()
        if r is None:
            raise KeyError(f"no photo #{photo_id}")
        return Photo(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], json.loads(r[7]), r[8], r[9], r[10])

    def photo_ids(self, paths: list[str]) -> dict[str, int]:
        out = {}
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.con.execute(f"SELECT path, id FROM photos WHERE path IN ({marks})", chunk).fetchall())
        return out

    def paths_of(self, photo_ids: list[int]) -> dict[int, str]:
        """id → path of those photos still in the album, in one step (``rows_at_once``): the event
        list asks for the covers it paints on the UI thread, while a worker may be busy in Python."""
        from core.database import rows_at_once

        return dict(rows_at_once(self.con, "SELECT id, path FROM photos WHERE id IN (SELECT value FROM json_each(?))",
                                 (json.dumps([int(i) for i in photo_ids]),), columns=("id", "path")))

    def remove_photos(self, photo_ids: list[int], exclude: bool = True) -> int:
        """Take photos out of the album (the files are never touched). ``exclude``: remember their
        paths, so scanning their folder again does not bring them back (adding the folder again
        does). Events left empty go, unless the user named them or gave them examples."""
        paths = list(self.paths_of(photo_ids).values())
        with self.con:
            if exclude:
                self.con.executemany("INSERT OR IGNORE INTO excluded VALUES (?)", [(p,) for p in paths])
            self.con.executemany("DELETE FROM photos WHERE id=?", [(i,) for i in photo_ids])
            self._drop_empty_events()
        return len(paths)

    def remove_folder(self, folder: str) -> int:
        """Stop watching a folder (or a single photo that was added): its photos leave the album,
        except those another added folder still covers. Returns how many photos left."""
        with self.con:
            self.con.execute("DELETE FROM folders WHERE path=?", (folder,))
            rest = self.folders()
            gone = [(i,) for i, p in self.con.execute("SELECT id, path FROM photos")
                    if _under(p, folder) and not any(_under(p, f) for f in rest)]
            self.con.executemany("DELETE FROM photos WHERE id=?", gone)
            self._unexclude(folder, still_watched=rest)  # removals inside a folder still watched stay
            self._drop_empty_events()
        return len(gone)

    def added_since(self, when: float) -> list[str]:
        """Readable photos added after ``when`` (epoch seconds) that are in no event and not placed by the
        user: what incremental placement (``core.albums.incremental``) takes."""
        return [r[0] for r in self.con.execute(
            "SELECT path FROM photos WHERE added_at > ? AND event_id IS NULL AND pinned = 0 AND error IS NULL",
            (when,))]

    def in_events(self) -> list[tuple[str, int]]:
        """(path, event id) of every photo in an event: one light query for 100,000 photos."""
        return self.con.execute("SELECT path, event_id FROM photos WHERE event_id IS NOT NULL").fetchall()

    def paths(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT path FROM photos")}

    def prune(self) -> int:
        """Photos that no watched folder covers any more, or that were removed, leave the album
        (a folder removed while it was being indexed). Returns how many."""
        folders, excluded = self.folders(), self.excluded()
        with self.con:
            gone = [(i,) for i, p in self.con.execute("SELECT id, path FROM photos")
                    if p in excluded or not any(_under(p, f) for f in folders)]
            if gone:
                self.con.executemany("DELETE FROM photos WHERE id=?", gone)
                self._drop_empty_events()
        return len(gone)

    def _unexclude(self, folder: str, still_watched: list[str] = ()) -> None:
        self.con.executemany("DELETE FROM excluded WHERE path=?",
                             [(p,) for p in self.excluded()
                              if _under(p, folder) and not any(_under(p, f) for f in still_watched)])

    def excluded(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT path FROM excluded")}

    def _drop_empty_events(self) -> None:
        """Also: representatives that are no longer in the album are dropped from their event."""
        present = {r[0] for r in self.con.execute("SELECT id FROM photos")}
        for eid, reps in self.con.execute("SELECT id, representatives FROM events").fetchall():
            kept = [i for i in json.loads(reps) if i in present]
            if len(kept) != len(json.loads(reps)):
                self.con.execute("UPDATE events SET representatives=? WHERE id=?", (json.dumps(kept), eid))
        self.con.execute("DELETE FROM events WHERE name_pinned = 0 AND id NOT IN (SELECT event_id FROM prototypes) "
                         "AND id NOT IN (SELECT event_id FROM photos WHERE event_id IS NOT NULL)")

    # -- events -----------------------------------------------------------------
    def events(self) -> list[EventRow]:
        """Every event, the largest first (the whole album: counts its photos; ``event`` reads one)."""
        counts = dict(self.con.execute("SELECT event_id, COUNT(*) FROM photos WHERE event_id IS NOT NULL "
                                       "GROUP BY event_id"))
        protos: dict[int, list[int]] = {}
        for e, p in self.con.execute("SELECT event_id, photo_id FROM prototypes ORDER BY rowid"):
            protos.setdefault(e, []).append(p)
        rows = self.con.execute("SELECT id, name, name_pinned, caption, tags, note, representatives FROM events")
        out = [EventRow(r[0], r[1], bool(r[2]), r[3], json.loads(r[4]), r[5], json.loads(r[6]),
                        protos.get(r[0], []), counts.get(r[0], 0)) for r in rows]
        return sorted(out, key=lambda e: (-e.photo_count, e.id))

    def event(self, event_id: int) -> EventRow:
        """One event, as ``events()`` lists it, from its own rows (the photo index counts its photos:
        showing an event costs the same at 100 or 100,000 photos)."""
        r = self.con.execute("SELECT id, name, name_pinned, caption, tags, note, representatives, "
                             "(SELECT COUNT(*) FROM photos WHERE event_id = events.id) FROM events WHERE id = ?",
                             (event_id,)).fetchone()
        if r is None:
            raise KeyError(f"no event #{event_id}")
        protos = [p for (p,) in self.con.execute("SELECT photo_id FROM prototypes WHERE event_id = ? ORDER BY rowid",
                                                 (event_id,))]
        return EventRow(r[0], r[1], bool(r[2]), r[3], json.loads(r[4]), r[5], json.loads(r[6]), protos, r[7])

    def has_events(self) -> bool:
        return self.con.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None

    def create_event(self, name: str = "", name_pinned: bool = False) -> int:
        with self.con:
            cur = self.con.execute("INSERT INTO events (name, name_pinned, created_at) VALUES (?, ?, ?)",
                                   (name, int(name_pinned), time.time()))
        return int(cur.lastrowid)

    def rename_event(self, event_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise ValueError("an event needs a name")
        with self.con:
            self.con.execute("UPDATE events SET name=?, name_pinned=1 WHERE id=?", (name, event_id))

    def set_event_note(self, event_id: int, note: str) -> None:
        with self.con:
            self.con.execute("UPDATE events SET note=? WHERE id=?", (note, event_id))

    def set_photo_note(self, photo_id: int, note: str) -> None:
        with self.con:
            self.con.execute("UPDATE photos SET note=? WHERE id=?", (note, photo_id))

    def move_photos(self, photo_ids: list[int], event_id: int | None) -> None:
        """The user's move: the photos are pinned there (``None``: to Unsorted, also pinned)."""
        with self.con:
            self.con.executemany("UPDATE photos SET event_id=?, pinned=1, unsure=0 WHERE id=?",
                                 [(event_id, i) for i in photo_ids])

    def unpin(self, photo_ids: list[int]) -> None:
        with self.con:
            self.con.executemany("UPDATE photos SET pinned=0 WHERE id=?", [(i,) for i in photo_ids])

    def merge_events(self, event_ids: list[int], name: str | None = None) -> int:
        """Merge into the first event; the others are removed. Moved photos are pinned."""
        if len(event_ids) < 2:
            raise ValueError("select two or more events to merge")
        target, rest = event_ids[0], event_ids[1:]
        with self.con:
            for e in rest:
                self.con.execute("UPDATE photos SET event_id=?, pinned=1 WHERE event_id=?", (target, e))
                self.con.execute("UPDATE prototypes SET event_id=? WHERE event_id=?", (target, e))
                self.con.execute("DELETE FROM events WHERE id=?", (e,))
            self.con.execute("UPDATE photos SET pinned=1 WHERE event_id=?", (target,))
            if name:
                self.con.execute("UPDATE events SET name=?, name_pinned=1 WHERE id=?", (name, target))
        return target

    def split_event(self, photo_ids: list[int], name: str = "") -> int:
        """Take photos out of their event into a new one (pinned there)."""
        if not photo_ids:
            raise ValueError("select the photos to split off")
        new = self.create_event(name or "New event", name_pinned=bool(name))
        self.move_photos(photo_ids, new)
        return new

    def delete_event(self, event_id: int) -> None:
        """The event goes; its photos become unsorted (and free for re-clustering)."""
        with self.con:
            self.con.execute("UPDATE photos SET event_id=NULL, pinned=0 WHERE event_id=?", (event_id,))
            self.con.execute("DELETE FROM events WHERE id=?", (event_id,))

    def set_prototypes(self, event_id: int, photo_ids: list[int]) -> None:
        """Define an event by example: these photos are its prototypes (and pinned to it)."""
        with self.con:
            self.con.execute("DELETE FROM prototypes WHERE event_id=?", (event_id,))
            self.con.executemany("INSERT OR IGNORE INTO prototypes VALUES (?, ?)",
                                 [(event_id, p) for p in photo_ids])
        self.move_photos(photo_ids, event_id)

    # -- the clusterer's writes ----------------------------------------------------
    def apply_grouping(self, assignments: dict[int, int | None], unsure: set[int],
                       new_events: dict[int, dict], updates: dict[int, dict], drop: list[int],
                       why: dict[int, str] | None = None, settle: bool = False) -> dict[int, int]:
        """Write one re-clustering in one transaction (see ``core.albums.events.regroup``).

        ``assignments``: photo id → event id (negative ids name ``new_events``) or None;
        ``why``: photo id → what the grouping said of it ('' where absent);
        ``settle``: the grouping is whole: no event is provisional any more;
        returns the new events' real ids by their negative ids.
        """
        why = why or {}
        ids: dict[int, int] = {}
        now = time.time()
        with self.con:
            for tmp, fields in new_events.items():
                cur = self.con.execute(
                    "INSERT INTO events (name, caption, tags, representatives, created_at) VALUES (?, ?, ?, '[]', ?)",
                    (fields.get("name", ""), fields.get("caption", ""),
                     json.dumps(fields.get("tags", []), ensure_ascii=False), now))
                ids[tmp] = int(cur.lastrowid)
            self.con.executemany(
                "UPDATE photos SET event_id=?, unsure=?, why=? WHERE id=? AND pinned=0",
                [(ids.get(e, e) if e is not None else None, int(pid in unsure), why.get(pid, ""), pid)
                 for pid, e in assignments.items()])
            for eid, fields in updates.items():
                eid = ids.get(eid, eid)
                if "name" in fields:
                    self.con.execute("UPDATE events SET name=? WHERE id=? AND name_pinned=0", (fields["name"], eid))
                for key in ("caption", "tags", "representatives"):
                    if key in fields:
                        value = fields[key] if key == "caption" else json.dumps(fields[key], ensure_ascii=False)
                        self.con.execute(f"UPDATE events SET {key}=? WHERE id=?", (value, eid))
            self.con.executemany("DELETE FROM events WHERE id=?", [(e,) for e in drop])
            if settle:
                self.con.execute("UPDATE events SET provisional=0 WHERE provisional=1")
        return ids

    # -- settings kept with the album --------------------------------------------
    def get_meta(self, key: str, default=None):
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        with self.con:
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value, ensure_ascii=False)))

    def vocabulary(self) -> list[str]:
        return self.get_meta("vocabulary", DEFAULT_VOCABULARY)

    def set_vocabulary(self, words: list[str]) -> None:
        self.set_meta("vocabulary", [w.strip() for w in words if w.strip()])
